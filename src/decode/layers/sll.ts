// Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113): what `tcpdump -i any` wrote
// before libpcap 1.10. 16 bytes, all big-endian.
//
//  +-------------+-------------+-------------+------------------+-------------+
//  | packet type | ARPHRD type | addr length | address (8 bytes)| protocol    |
//  +-------------+-------------+-------------+------------------+-------------+
//  packet type: 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us.
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { SllLayer } from '../types.ts';
import { base, baseJson, hex4, type LayerCodec } from './codec.ts';
import { hexColons } from './text.ts';

export const PACKET_TYPES = ['Unicast to us', 'Broadcast', 'Multicast', 'Unicast to another host', 'Sent by us'];

export const sll: LayerCodec<SllLayer> = {
  kind: Kind.SLL,
  type: 'sll',
  isTunnel: false,
  summaryRole: 'none',
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 16) return d.malformed(Kind.SLL, offset, end, `Linux cooked header needs 16 bytes, ${end - offset} present`);
    d.push(Kind.SLL, offset, 16, end);
    d.next(NextBy.ETHERTYPE, d.view.getUint16(offset + 14));
  },
  describe(d: Dissection, index: number): SllLayer {
    const at = d.offsets[index] as number;
    const addressLength = Math.min(8, d.view.getUint16(at + 4));
    return {
      type: 'sll',
      ...base(d, index),
      packetType: d.view.getUint16(at),
      arphrd: d.view.getUint16(at + 2),
      address: hexColons(d.data, at + 6, addressLength),
      protocol: d.view.getUint16(at + 14),
    };
  },
  json(l: SllLayer): string {
    return `{"type":"sll",${baseJson(l)},"packetType":${l.packetType},"arphrd":${l.arphrd},"address":"${l.address}","protocol":${l.protocol}}`;
  },
  detail(layer: SllLayer) {
    return {
      title: 'Linux cooked capture v1',
      lines: [
        `Packet type: ${PACKET_TYPES[layer.packetType] ?? layer.packetType} (${layer.packetType})`,
        `Link-layer address type: ${layer.arphrd}`,
        `Source: ${layer.address}`,
        `Protocol: ${hex4(layer.protocol)}`,
      ],
    };
  },
};
