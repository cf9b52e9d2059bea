// ICMP (RFC 792). Errors (destination unreachable 3, source quench 4, redirect 5,
// time exceeded 11, parameter problem 12) quote the original IP header and the first
// 8 bytes of its payload; those follow as layers marked `quoted`, as tshark nests them.
//
//  +--------+--------+-----------------+
//  |  type  |  code  |    checksum     |
//  +--------+--------+-----------------+
//  | id (echo)       | seq (echo)      |   (errors: unused / next-hop MTU (3/4, RFC 1191) / pointer)
//  +-----------------+-----------------+
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { IcmpLayer } from '../types.ts';
import { base, baseJson, type LayerCodec } from './codec.ts';

const ERRORS = new Set([3, 4, 5, 11, 12]);
const NAMES: Record<number, string> = {
  0: 'Echo (ping) reply',
  3: 'Destination unreachable',
  4: 'Source quench',
  5: 'Redirect',
  8: 'Echo (ping) request',
  11: 'Time-to-live exceeded',
  12: 'Parameter problem',
};

export function icmpTypeName(type: number): string {
  return NAMES[type] ?? `Type ${type}`;
}

export const icmp: LayerCodec<IcmpLayer> = {
  kind: Kind.ICMP,
  type: 'icmp',
  isTunnel: false,
  summaryRole: 'info',
  summaryAt(d, index, out): void {
    const l = icmp.describe(d, index);
    out.ascii(`ICMP ${icmpTypeName(l.icmpType)}`);
    if (l.id !== undefined) out.ascii(` id=0x${l.id.toString(16).padStart(4, '0')}, seq=${l.seq}`);
    if (l.icmpType === 3) out.ascii(` code ${l.code}`);
  },
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 8) return d.malformed(Kind.ICMP, offset, end, `ICMP header needs 8 bytes, ${end - offset} present`);
    const type = d.data[offset] as number;
    if (ERRORS.has(type) && !d.quoted) {
      d.push(Kind.ICMP, offset, 8, end);
      d.quoted = true;
      d.next(NextBy.KIND, Kind.IPV4);
      return;
    }
    d.push(Kind.ICMP, offset, 8, end);
    d.next(NextBy.NONE, 0);
  },
  describe(d: Dissection, index: number): IcmpLayer {
    const at = d.offsets[index] as number;
    const icmpType = d.data[at] as number;
    const layer: IcmpLayer = {
      type: 'icmp',
      ...base(d, index),
      icmpType,
      code: d.data[at + 1] as number,
      checksum: d.view.getUint16(at + 2),
    };
    if (icmpType === 0 || icmpType === 8) {
      layer.id = d.view.getUint16(at + 4);
      layer.seq = d.view.getUint16(at + 6);
    }
    if (icmpType === 3 && layer.code === 4) layer.mtu = d.view.getUint16(at + 6);
    return layer;
  },
  json(l: IcmpLayer): string {
    return `{"type":"icmp",${baseJson(l)},"icmpType":${l.icmpType},"code":${l.code},"checksum":${l.checksum}${l.id !== undefined ? `,"id":${l.id},"seq":${l.seq}` : ''}${l.mtu !== undefined ? `,"mtu":${l.mtu}` : ''}}`;
  },
  detail(layer: IcmpLayer) {
    const lines = [`Type: ${layer.icmpType} (${icmpTypeName(layer.icmpType)})`, `Code: ${layer.code}`];
    if (layer.id !== undefined) lines.push(`Identifier: ${layer.id}`, `Sequence Number: ${layer.seq ?? 0}`);
    if (layer.mtu !== undefined) lines.push(`MTU of next hop: ${layer.mtu}`);
    return { title: 'Internet Control Message Protocol', lines };
  },
};
