// VXLAN (RFC 7348): an 8-byte header after UDP (4789 IANA, 8472 Linux default and
// Flannel, others via --vxlan-port). The next layer is the inner Ethernet frame.
//
//  +--------+--------------------------+
//  |R R R R I R R R|    reserved (24)   |   I flag 0x08: VNI valid
//  +-----------------------------------+
//  |         VNI (24)         | rsvd   |
//  +-----------------------------------+
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { VxlanLayer } from '../types.ts';
import { base, baseJson, baseJsonAt, type LayerCodec } from './codec.ts';

export const vxlan: LayerCodec<VxlanLayer> = {
  kind: Kind.VXLAN,
  type: 'vxlan',
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 8) return d.malformed(Kind.VXLAN, offset, end, `VXLAN header needs 8 bytes, ${end - offset} present`);
    d.push(Kind.VXLAN, offset, 8, end);
    d.next(NextBy.KIND, Kind.ETHERNET);
  },
  describe(d: Dissection, index: number): VxlanLayer {
    const at = d.offsets[index] as number;
    return { type: 'vxlan', ...base(d, index), flags: d.data[at] as number, vni: d.view.getUint32(at + 4) >>> 8 };
  },
  jsonAt(d: Dissection, index: number): string {
    const at = d.offsets[index] as number;
    return `{"type":"vxlan",${baseJsonAt(d, index)},"flags":${d.data[at] as number},"vni":${d.view.getUint32(at + 4) >>> 8}}`;
  },
  json(l: VxlanLayer): string {
    return `{"type":"vxlan",${baseJson(l)},"flags":${l.flags},"vni":${l.vni}}`;
  },
  detail(layer: VxlanLayer) {
    return {
      title: 'Virtual eXtensible Local Area Network',
      lines: [`Flags: 0x${layer.flags.toString(16).padStart(2, '0')}${layer.flags & 0x08 ? ' (VXLAN Network ID present)' : ''}`, `VXLAN Network Identifier (VNI): ${layer.vni}`],
    };
  },
};
