// 802.1Q / 802.1ad tag, after the Ethernet addresses (TPID 0x8100 / 0x88a8 read as the EtherType).
//
//  +-----+---+--------------+----------------+
//  | PCP |DEI| VLAN id (12) | next EtherType |
//  +-----+---+--------------+----------------+
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { VlanLayer } from '../types.ts';
import { base, baseJson, hex4, type LayerCodec } from './codec.ts';
import { ETHERTYPE_NAMES, named } from './names.ts';

export const vlan: LayerCodec<VlanLayer> = {
  kind: Kind.VLAN,
  type: 'vlan',
  isTunnel: false,
  summaryRole: 'none',
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 4) return d.malformed(Kind.VLAN, offset, end, `802.1Q tag needs 4 bytes, ${end - offset} present`);
    d.push(Kind.VLAN, offset, 4, end);
    d.next(NextBy.ETHERTYPE, d.view.getUint16(offset + 2));
  },
  describe(d: Dissection, index: number): VlanLayer {
    const at = d.offsets[index] as number;
    const tci = d.view.getUint16(at);
    return {
      type: 'vlan',
      ...base(d, index),
      id: tci & 0x0fff,
      priority: tci >> 13,
      dei: (tci & 0x1000) !== 0,
      ethertype: d.view.getUint16(at + 2),
    };
  },
  json(l: VlanLayer): string {
    return `{"type":"vlan",${baseJson(l)},"id":${l.id},"priority":${l.priority},"dei":${l.dei},"ethertype":${l.ethertype}}`;
  },
  detail(layer: VlanLayer) {
    return {
      title: `802.1Q Virtual LAN, PRI: ${layer.priority}, DEI: ${layer.dei ? 1 : 0}, ID: ${layer.id}`,
      lines: [`ID: ${layer.id}`, `Type: ${named(ETHERTYPE_NAMES, layer.ethertype, hex4(layer.ethertype))}`],
    };
  },
};
