// The shape every layer module exports. `scan` is the allocation-free fast path:
// it checks the header, pushes one entry into the Dissection and names what comes
// next (by EtherType, IP protocol, UDP ports …; registry.ts resolves it). `describe`
// builds the public Layer object from the bytes when someone needs one. The layer's
// text lives here too (gopacket keeps a layer's printing with the layer): its part of
// the summary line and of the JSON line, written as bytes from the dissection into a
// ByteSink (no per-packet string), and `detail`, the -V section and the UI's layer tree.
import type { Dissection } from '../dissection.ts';
import { encoded, putBytes, putUint, type ByteSink, type Encoded } from '../output/sink.ts';
import type { Layer } from '../types.ts';

/**
 * What a layer adds to the summary line (output/summary-line.ts puts the parts together):
 * - link: its addresses stand for the packet until an IP header gives better ones (Ethernet);
 * - network: its addresses and a description (IPv4, IPv6);
 * - tunnel: closes a segment, "VXLAN 1 <outer addresses> | " (isTunnel);
 * - info: its description replaces the one so far (TCP, UDP, ICMP, HTTP);
 * - info-at-link: the same, shown beside the link addresses (ARP);
 * - segment: a segment of its own when it has something to say (NFLOG's prefix);
 * - trailer: appended to the description (undecoded payload, a malformed header);
 * - none: nothing (VLAN tags, cooked-capture headers).
 */
export type SummaryRole = 'link' | 'network' | 'tunnel' | 'info' | 'info-at-link' | 'segment' | 'trailer' | 'none';

export interface LayerCodec<L extends Layer = Layer> {
  kind: number;
  type: L['type'];
  /** An encapsulation: what follows is another packet (a new summary segment, one level deeper in the UI's tree). */
  isTunnel: boolean;
  summaryRole: SummaryRole;
  scan(d: Dissection, offset: number, end: number): void;
  describe(d: Dissection, index: number): L;
  /**
   * The layer's words in the summary line (info, trailer, tunnel, segment and network roles).
   * `described`: a description precedes it in the line (a trailer then adds to it).
   */
  summaryAt?(d: Dissection, index: number, out: ByteSink, described: boolean): void;
  /** For segment and trailer roles: whether summaryAt has anything to write. */
  summaryIf?(d: Dissection, index: number, described: boolean): boolean;
  /** "src → dst" (link and network roles). */
  addressesAt?(d: Dissection, index: number, out: ByteSink): void;
  /** How the layer reads inside an ICMP error's quote: "(quoted a → b", "UDP 1 → 2". */
  quotedAt?(d: Dissection, index: number, out: ByteSink): void;
  /** The layer as JSON text, written by hand: JSON.stringify on Node 20 was most of --json's time. */
  json(layer: L): string;
  /** The same JSON as bytes straight from the dissection (hot layers only; fuzz.test.ts checks they agree with json()). */
  jsonTo?(d: Dissection, index: number, out: ByteSink): void;
  detail(layer: L): { title: string; lines: string[] };
}

/** Layer fields common to every describe(). */
export function base(d: Dissection, index: number): { offset: number; length: number; quoted?: true } {
  const out: { offset: number; length: number; quoted?: true } = {
    offset: (d.offsets[index] as number) - d.base,
    length: d.lengths[index] as number,
  };
  if ((d.flags[index] as number) & 1) out.quoted = true;
  return out;
}

export function hex4(value: number): string {
  return '0x' + value.toString(16).padStart(4, '0');
}

const OFFSET = encoded(',"offset":');
const LENGTH = encoded(',"length":');
const QUOTED = encoded(',"quoted":true');

/** `{"type":"…"` then baseJson()'s fields, from the dissection; `open` is encoded('{"type":"ethernet"'). */
export function jsonHead(d: Dissection, index: number, out: ByteSink, open: Encoded): void {
  out.used = putJsonHead(out.reserve(jsonBytes([open], 0)), out.used, d, index, open);
}

/** jsonHead for a layer writer that reserved jsonBytes() for its whole object (sink.ts's put* writers). */
export function putJsonHead(w: DataView, at: number, d: Dissection, index: number, open: Encoded): number {
  let o = putUint(w, putBytes(w, putBytes(w, at, open), OFFSET), (d.offsets[index] as number) - d.base);
  o = putUint(w, putBytes(w, o, LENGTH), d.lengths[index] as number);
  return (d.flags[index] as number) & 1 ? putBytes(w, o, QUOTED) : o;
}

/**
 * Room for a layer's JSON object written with put* writers: jsonHead's fields, the constants
 * it may copy (each counted once it may be written), `numbers` numbers of up to 16 digits
 * (an address counts as two), and the closing brace.
 */
export function jsonBytes(constants: Encoded[], numbers: number): number {
  return OFFSET.length + LENGTH.length + QUOTED.length + 2 * 16 + constants.reduce((sum, c) => sum + c.length, 0) + numbers * 16 + 1;
}

export function baseJson(layer: { offset: number; length: number; quoted?: true }): string {
  return `"offset":${layer.offset},"length":${layer.length}${layer.quoted ? ',"quoted":true' : ''}`;
}

/** JSON booleans as bytes. */
export const TRUE = encoded('true');
export const FALSE = encoded('false');
export const ARROW = encoded(' → ');

// Capture text in the hand-written JSON lines: one home for JSON escaping (util/json-output.ts).
export { asciiJsonString as str } from '../../util/json-output.ts';
export { encoded };
