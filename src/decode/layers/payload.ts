// The bytes after the last decoded header, and headers that were cut or invalid.
// A payload may be named (igmp, dns, an IPv4 fragment …) without being decoded.
import { Kind, type Dissection } from '../dissection.ts';
import type { MalformedLayer, PayloadLayer } from '../types.ts';
import { base, baseJson, encoded, jsonHead, str, type LayerCodec } from './codec.ts';

const OPEN = encoded('{"type":"payload"');

/** Layer type names by Kind, for malformed layers' `protocol`. */
export const KIND_NAMES: Record<number, string> = {
  [Kind.ETHERNET]: 'ethernet',
  [Kind.VLAN]: 'vlan',
  [Kind.ARP]: 'arp',
  [Kind.IPV4]: 'ipv4',
  [Kind.IPV6]: 'ipv6',
  [Kind.ICMP]: 'icmp',
  [Kind.ICMPV6]: 'icmpv6',
  [Kind.UDP]: 'udp',
  [Kind.TCP]: 'tcp',
  [Kind.VXLAN]: 'vxlan',
  [Kind.GENEVE]: 'geneve',
  [Kind.GRE]: 'gre',
  [Kind.IPIP]: 'ipip',
  [Kind.HTTP]: 'http',
  [Kind.SLL]: 'sll',
  [Kind.SLL2]: 'sll2',
  [Kind.NULL]: 'null',
  [Kind.NFLOG]: 'nflog',
  [Kind.RAW_IP]: 'ip',
};

/** A payload name said in the summary line: fragments are already said by the IP layer. */
function named(name: string | undefined): name is string {
  return name !== undefined && name !== 'ipv4-fragment' && name !== 'ipv6-fragment';
}

const upper = (code: number): number => (code >= 97 && code <= 122 ? code - 32 : code);

export const payload: LayerCodec<PayloadLayer> = {
  kind: Kind.PAYLOAD,
  type: 'payload',
  isTunnel: false,
  summaryRole: 'trailer',
  summaryIf(d, index, described): boolean {
    return !described || named(d.notes[index]);
  },
  summaryAt(d, index, out, described): void {
    // A protocol podpath names but does not decode (DNS, TLS, IGMP …) is said after the
    // description, as tshark's Protocol column; with nothing else to say, the bytes are "Data".
    const name = d.notes[index];
    if (named(name)) for (let i = 0; i < name.length; i++) out.byte(upper(name.charCodeAt(i)));
    else if (!described) out.ascii(name ?? `Data (${d.lengths[index] as number} bytes)`);
  },
  scan(d: Dissection, offset: number, end: number): void {
    d.push(Kind.PAYLOAD, offset, Math.max(0, end - offset), end);
  },
  describe(d: Dissection, index: number): PayloadLayer {
    const layer: PayloadLayer = { type: 'payload', ...base(d, index) };
    const name = d.notes[index];
    if (name !== undefined) layer.protocol = name;
    return layer;
  },
  jsonTo(d, index, out): void {
    jsonHead(d, index, out, OPEN);
    const name = d.notes[index];
    if (name !== undefined) out.ascii(`,"protocol":${str(name)}`);
    out.byte(0x7d); // }
  },
  json(l: PayloadLayer): string {
    return `{"type":"payload",${baseJson(l)}${l.protocol !== undefined ? `,"protocol":${str(l.protocol)}` : ''}}`;
  },
  detail(layer: PayloadLayer) {
    return { title: `${layer.protocol === undefined ? 'Data' : layer.protocol} (${layer.length} bytes)`, lines: [] };
  },
};

export const malformed: LayerCodec<MalformedLayer> = {
  kind: Kind.MALFORMED,
  type: 'malformed',
  isTunnel: false,
  summaryRole: 'trailer',
  summaryAt(d, index, out): void {
    const l = malformed.describe(d, index);
    out.ascii(`[Malformed ${l.protocol}: `);
    out.text(l.reason);
    out.ascii(']');
  },
  scan(): void {
    // Pushed by Dissection.malformed(), never dispatched to.
  },
  describe(d: Dissection, index: number): MalformedLayer {
    return {
      type: 'malformed',
      ...base(d, index),
      protocol: KIND_NAMES[d.expected[index] as number] ?? 'unknown',
      reason: d.notes[index] ?? 'malformed',
    };
  },
  json(l: MalformedLayer): string {
    return `{"type":"malformed",${baseJson(l)},"protocol":${str(l.protocol)},"reason":${str(l.reason)}}`;
  },
  detail(layer: MalformedLayer) {
    return { title: `[Malformed Packet: ${layer.protocol}]`, lines: [layer.reason] };
  },
};
