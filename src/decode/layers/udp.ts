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
import { putByte, putBytes, putUint, type ByteSink } from '../output/sink.ts';
import type { UdpLayer } from '../types.ts';
import { ARROW, base, baseJson, encoded, jsonBytes, putJsonHead, type LayerCodec } from './codec.ts';

const OPEN = encoded('{"type":"udp"');
const SPORT = encoded(',"sport":');
const DPORT = encoded(',"dport":');
const UDP_LENGTH = encoded(',"udpLength":');
const CHECKSUM = encoded(',"checksum":');
const NAME = encoded('UDP ');
const LEN = encoded(' Len=');
/** Room for the JSON object jsonTo writes. */
const JSON_BYTES = jsonBytes([OPEN, SPORT, DPORT, UDP_LENGTH, CHECKSUM], 4);
const SUMMARY_BYTES = NAME.length + 5 + ARROW.length + 5 + LEN.length + 5;

export const udp: LayerCodec<UdpLayer> = {
  kind: Kind.UDP,
  type: 'udp',
  isTunnel: false,
  summaryRole: 'info',
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
  summaryAt(d, index, out): void {
    // "UDP 35115 → 8472 Len=70": Len is the payload (the length field less the header; 0 when the field is).
    const at = d.offsets[index] as number;
    const view = d.view;
    const length = (d.lengths[index] as number) >= 8 ? view.getUint16(at + 4) : 0;
    const w = out.reserve(SUMMARY_BYTES);
    let o = putUint(w, putBytes(w, out.used, NAME), view.getUint16(at));
    o = putUint(w, putBytes(w, o, ARROW), view.getUint16(at + 2));
    out.used = putUint(w, putBytes(w, o, LEN), Math.max(0, (length || 8) - 8));
  },
  quotedAt(d, index, out): void {
    out.bytes(NAME);
    udpPorts(d, d.offsets[index] as number, out);
  },
  jsonTo(d, index, out): void {
    const at = d.offsets[index] as number;
    if ((d.lengths[index] as number) < 8) return out.ascii(udp.json(udp.describe(d, index)));
    const v = d.view;
    const w = out.reserve(JSON_BYTES);
    let o = putJsonHead(w, out.used, d, index, OPEN);
    o = putBytes(w, o, SPORT);
    o = putUint(w, o, v.getUint16(at));
    o = putBytes(w, o, DPORT);
    o = putUint(w, o, v.getUint16(at + 2));
    o = putBytes(w, o, UDP_LENGTH);
    o = putUint(w, o, v.getUint16(at + 4));
    o = putBytes(w, o, CHECKSUM);
    o = putUint(w, o, v.getUint16(at + 6));
    out.used = putByte(w, o, 0x7d);
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

function udpPorts(d: Dissection, at: number, out: ByteSink): void {
  out.uint(d.view.getUint16(at));
  out.bytes(ARROW);
  out.uint(d.view.getUint16(at + 2));
}
