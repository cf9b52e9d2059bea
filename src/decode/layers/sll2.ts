// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276): `tcpdump -i any` since libpcap
// 1.10. 20 bytes, big-endian; unlike v1 it names the interface (its ifindex).
//
//  +-------------+----------+------------------------+-------------+------+------+
//  | protocol    | reserved | interface index (32)   | ARPHRD type | pkt  | addr |
//  |             |          |                        |             | type | len  |
//  +-------------+----------+------------------------+-------------+------+------+
//  | address (8 bytes)                                                           |
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { Sll2Layer } from '../types.ts';
import { base, baseJson, hex4, type LayerCodec } from './codec.ts';
import { PACKET_TYPES } from './sll.ts';
import { hexColons } from './text.ts';

export const sll2: LayerCodec<Sll2Layer> = {
  kind: Kind.SLL2,
  type: 'sll2',
  isTunnel: false,
  summaryRole: 'none',
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 20) return d.malformed(Kind.SLL2, offset, end, `Linux cooked v2 header needs 20 bytes, ${end - offset} present`);
    d.push(Kind.SLL2, offset, 20, end);
    d.next(NextBy.ETHERTYPE, d.view.getUint16(offset));
  },
  describe(d: Dissection, index: number): Sll2Layer {
    const at = d.offsets[index] as number;
    return {
      type: 'sll2',
      ...base(d, index),
      protocol: d.view.getUint16(at),
      interfaceIndex: d.view.getUint32(at + 4),
      arphrd: d.view.getUint16(at + 8),
      packetType: d.data[at + 10] as number,
      address: hexColons(d.data, at + 12, Math.min(8, d.data[at + 11] as number)),
    };
  },
  json(l: Sll2Layer): string {
    return `{"type":"sll2",${baseJson(l)},"protocol":${l.protocol},"interfaceIndex":${l.interfaceIndex},"arphrd":${l.arphrd},"packetType":${l.packetType},"address":"${l.address}"}`;
  },
  detail(layer: Sll2Layer) {
    return {
      title: 'Linux cooked capture v2',
      lines: [
        `Protocol: ${hex4(layer.protocol)}`,
        `Interface index: ${layer.interfaceIndex}`,
        `Link-layer address type: ${layer.arphrd}`,
        `Packet type: ${PACKET_TYPES[layer.packetType] ?? layer.packetType} (${layer.packetType})`,
        `Source: ${layer.address}`,
      ],
    };
  },
};
