// The bytes after the last decoded header, and headers that were cut or invalid.
// A payload may be named (igmp, dns, an IPv4 fragment …) without being decoded.
import { Kind, type Dissection } from '../dissection.ts';
import type { MalformedLayer, PayloadLayer } from '../types.ts';
import { base, baseJson, str, type LayerCodec } from './codec.ts';

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

export const payload: LayerCodec<PayloadLayer> = {
  kind: Kind.PAYLOAD,
  type: 'payload',
  scan(d: Dissection, offset: number, end: number): void {
    d.push(Kind.PAYLOAD, offset, Math.max(0, end - offset), end);
  },
  describe(d: Dissection, index: number): PayloadLayer {
    const layer: PayloadLayer = { type: 'payload', ...base(d, index) };
    const name = d.notes[index];
    if (name !== undefined) layer.protocol = name;
    return layer;
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
