// UDP header (RFC 768). The ports choose what follows (VXLAN on 4789/8472, Geneve
// on 6081 … see registry.ts).
//
//  +-----------------+-----------------+
//  |  source port    |  dest port      |
//  +-----------------+-----------------+
//  |  length         |  checksum       |
//  +-----------------+-----------------+
//
// A length of 0 appears in BIG TCP / GSO tunnel packets (the UDP length cannot hold
// more than 64 KiB). tshark stops there ("BAD UDP LENGTH 0 < 8"); podpath takes the
// captured bytes as the datagram and decodes the tunnel inside, as tcpdump does.
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { UdpLayer } from '../types.ts';
import { base, baseJson, baseJsonAt, type LayerCodec } from './codec.ts';

export const udp: LayerCodec<UdpLayer> = {
  kind: Kind.UDP,
  type: 'udp',
  scan(d: Dissection, offset: number, end: number): void {
    const available = end - offset;
    if (available < 8) {
      if (d.quoted && available >= 4) {
        d.push(Kind.UDP, offset, available, end);
        d.next(NextBy.NONE, 0);
        return;
      }
      return d.malformed(Kind.UDP, offset, end, `UDP header needs 8 bytes, ${available} present`);
    }
    const length = d.view.getUint16(offset + 4);
    if (length !== 0 && length < 8) return d.malformed(Kind.UDP, offset, end, `UDP length ${length} is below 8`);
    const datagramEnd = length !== 0 && length < available ? offset + length : end;
    d.push(Kind.UDP, offset, 8, datagramEnd);
    if (d.quoted) return d.next(NextBy.NONE, 0);
    d.next(NextBy.UDP_PORTS, d.view.getUint16(offset), d.view.getUint16(offset + 2));
  },
  describe(d: Dissection, index: number): UdpLayer {
    const at = d.offsets[index] as number;
    const full = (d.lengths[index] as number) >= 8;
    return {
      type: 'udp',
      ...base(d, index),
      sport: d.view.getUint16(at),
      dport: d.view.getUint16(at + 2),
      udpLength: full ? d.view.getUint16(at + 4) : 0,
      checksum: full ? d.view.getUint16(at + 6) : 0,
    };
  },
  jsonAt(d: Dissection, index: number): string {
    const at = d.offsets[index] as number;
    if ((d.lengths[index] as number) < 8) return udp.json(udp.describe(d, index));
    const v = d.view;
    return `{"type":"udp",${baseJsonAt(d, index)},"sport":${v.getUint16(at)},"dport":${v.getUint16(at + 2)},"udpLength":${v.getUint16(at + 4)},"checksum":${v.getUint16(at + 6)}}`;
  },
  json(l: UdpLayer): string {
    return `{"type":"udp",${baseJson(l)},"sport":${l.sport},"dport":${l.dport},"udpLength":${l.udpLength},"checksum":${l.checksum}}`;
  },
  detail(layer: UdpLayer) {
    return {
      title: `User Datagram Protocol, Src Port: ${layer.sport}, Dst Port: ${layer.dport}`,
      lines: [
        `Source Port: ${layer.sport}`,
        `Destination Port: ${layer.dport}`,
        `Length: ${layer.udpLength}${layer.udpLength === 0 ? ' (0: BIG TCP/GSO, length taken from the capture)' : ''}`,
        `Checksum: 0x${layer.checksum.toString(16).padStart(4, '0')}`,
      ],
    };
  },
};
