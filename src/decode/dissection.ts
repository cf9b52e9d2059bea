// The reusable scratch record one packet is dissected into (after gopacket's
// DecodingLayerParser): per layer only a kind, an offset, a header length and the
// end of the bytes that protocol covers, in preallocated typed arrays. Scanning a
// packet allocates nothing; Layer objects are built from it only when someone asks
// (JSON, -V, the summary line). Layer modules push into it; registry.ts says which
// layer comes next; dissect.ts runs the loop.

/** Layer kinds as small integers for the typed arrays. */
export const Kind = {
  NONE: 0,
  ETHERNET: 1,
  VLAN: 2,
  ARP: 3,
  IPV4: 4,
  IPV6: 5,
  ICMP: 6,
  ICMPV6: 7,
  UDP: 8,
  TCP: 9,
  VXLAN: 10,
  GENEVE: 11,
  GRE: 12,
  IPIP: 13,
  HTTP: 14,
  SLL: 15,
  SLL2: 16,
  NULL: 17,
  NFLOG: 18,
  PAYLOAD: 19,
  MALFORMED: 20,
  /** Pseudo kind for raw-IP link types: IPv4 or IPv6 by the version nibble. */
  RAW_IP: 21,
} as const;
export type KindValue = (typeof Kind)[keyof typeof Kind];

/** How the next layer is chosen (registry.ts reads `nextValue` in the table named here). */
export const NextBy = {
  NONE: 0,
  ETHERTYPE: 1,
  IP_PROTO: 2,
  UDP_PORTS: 3,
  TCP_PAYLOAD: 4,
  /** `nextValue` is the Kind itself. */
  KIND: 5,
} as const;

export const MAX_LAYERS = 48;
/** Layer flag: inside an ICMP error's quoted packet. */
export const QUOTED = 1;

export class Dissection {
  data: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(0));
  count = 0;
  readonly kinds = new Uint8Array(MAX_LAYERS);
  readonly offsets = new Int32Array(MAX_LAYERS);
  readonly lengths = new Int32Array(MAX_LAYERS);
  /** End (exclusive) of the bytes the layer's protocol covers: its header plus payload. */
  readonly ends = new Int32Array(MAX_LAYERS);
  readonly flags = new Uint8Array(MAX_LAYERS);
  /** Malformed layers: the reason; payload layers: a protocol name. Constant strings only. */
  readonly notes: (string | undefined)[] = new Array<string | undefined>(MAX_LAYERS).fill(undefined);
  /** Malformed layers: the kind that was expected. */
  readonly expected = new Uint8Array(MAX_LAYERS);

  // Set by the layer just scanned, read by the dissect loop.
  nextBy: number = NextBy.NONE;
  nextValue = 0;
  nextValue2 = 0;
  /** True once an ICMP error started its quoted packet. */
  quoted = false;
  /** The link type the packet came with. */
  linkType = 0;
  /** Name for the undecoded payload at the end (set by the registry; constant strings). */
  payloadName: string | undefined = undefined;

  /** Where the packet starts and ends in `data` (layer offsets are absolute; Layer objects subtract `base`). */
  base = 0;
  end = 0;

  reset(data: Uint8Array, view: DataView, start: number, end: number, linkType: number): void {
    this.data = data;
    this.view = view;
    this.base = start;
    this.end = end;
    this.count = 0;
    this.nextBy = NextBy.NONE;
    this.quoted = false;
    this.linkType = linkType;
  }

  /** Records a layer; returns its index. */
  push(kind: number, offset: number, length: number, end: number): number {
    const i = this.count;
    if (i >= MAX_LAYERS) return i - 1;
    this.kinds[i] = kind;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.ends[i] = end;
    this.flags[i] = this.quoted ? QUOTED : 0;
    this.notes[i] = undefined;
    this.count = i + 1;
    return i;
  }

  /** Records a cut or invalid header and ends the dissection. */
  malformed(expected: number, offset: number, end: number, reason: string): void {
    const i = this.push(Kind.MALFORMED, offset, Math.max(0, end - offset), end);
    this.notes[i] = reason;
    this.expected[i] = expected;
    this.nextBy = NextBy.NONE;
  }

  /** Sets what follows the layer just pushed. */
  next(by: number, value: number, value2 = 0): void {
    this.nextBy = by;
    this.nextValue = value;
    this.nextValue2 = value2;
  }

  /** Index of the first layer of `kind`, or -1. */
  find(kind: number, from = 0): number {
    for (let i = from; i < this.count; i++) if (this.kinds[i] === kind) return i;
    return -1;
  }
}
