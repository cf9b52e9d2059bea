// Geneve (RFC 8926) on UDP 6081: 8 bytes plus options, then the payload named by
// its protocol type (0x6558 inner Ethernet, 0x0800 IPv4, 0x86dd IPv6).
//
//  +---+------+-+-+-------+----------------+
//  |Ver|OptLen|O|C| Rsvd  | protocol type  |
//  +---+------+-+-+-------+----------------+
//  |       VNI (24)            |  reserved |
//  +---------------------------+-----------+
//  |  options (OptLen × 4 bytes) …         |
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { GeneveLayer } from '../types.ts';
import { base, baseJson, hex4, type LayerCodec } from './codec.ts';

export const geneve: LayerCodec<GeneveLayer> = {
  kind: Kind.GENEVE,
  type: 'geneve',
  isTunnel: true,
  summaryRole: 'tunnel',
  summaryAt(d, index, out): void {
    out.ascii('Geneve ');
    out.uint(d.view.getUint32((d.offsets[index] as number) + 4) >>> 8);
  },
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 8) return d.malformed(Kind.GENEVE, offset, end, `Geneve header needs 8 bytes, ${end - offset} present`);
    const length = 8 + ((d.data[offset] as number) & 0x3f) * 4;
    if (end - offset < length) return d.malformed(Kind.GENEVE, offset, end, `Geneve header with options needs ${length} bytes, ${end - offset} present`);
    d.push(Kind.GENEVE, offset, length, end);
    d.next(NextBy.ETHERTYPE, d.view.getUint16(offset + 2));
  },
  describe(d: Dissection, index: number): GeneveLayer {
    const at = d.offsets[index] as number;
    const second = d.data[at + 1] as number;
    return {
      type: 'geneve',
      ...base(d, index),
      vni: d.view.getUint32(at + 4) >>> 8,
      protocol: d.view.getUint16(at + 2),
      optionsLength: ((d.data[at] as number) & 0x3f) * 4,
      oam: (second & 0x80) !== 0,
      critical: (second & 0x40) !== 0,
    };
  },
  json(l: GeneveLayer): string {
    return `{"type":"geneve",${baseJson(l)},"vni":${l.vni},"protocol":${l.protocol},"optionsLength":${l.optionsLength},"oam":${l.oam},"critical":${l.critical}}`;
  },
  detail(layer: GeneveLayer) {
    return {
      title: 'Generic Network Virtualization Encapsulation',
      lines: [`Virtual Network Identifier (VNI): 0x${layer.vni.toString(16).padStart(6, '0')} (${layer.vni})`, `Protocol Type: ${hex4(layer.protocol)}`, `Options length: ${layer.optionsLength} bytes`],
    };
  },
};
