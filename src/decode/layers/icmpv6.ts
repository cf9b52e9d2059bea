// ICMPv6 (RFC 4443). Errors (1 unreachable, 2 packet too big, 3 time exceeded,
// 4 parameter problem) quote as much of the original packet as fits; the quoted
// IPv6 header and ports follow as layers marked `quoted`.
//
//  +--------+--------+-----------------+
//  |  type  |  code  |    checksum     |
//  +--------+--------+-----------------+
//  | id (echo 128/129) | seq           |
//  +-----------------+-----------------+
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { Icmpv6Layer } from '../types.ts';
import { base, baseJson, type LayerCodec } from './codec.ts';

const NAMES: Record<number, string> = {
  1: 'Destination Unreachable',
  2: 'Packet Too Big',
  3: 'Time Exceeded',
  4: 'Parameter Problem',
  128: 'Echo (ping) request',
  129: 'Echo (ping) reply',
  133: 'Router Solicitation',
  134: 'Router Advertisement',
  135: 'Neighbor Solicitation',
  136: 'Neighbor Advertisement',
  143: 'Multicast Listener Report Message v2',
};

export function icmpv6TypeName(type: number): string {
  return NAMES[type] ?? `Type ${type}`;
}

export const icmpv6: LayerCodec<Icmpv6Layer> = {
  kind: Kind.ICMPV6,
  type: 'icmpv6',
  isTunnel: false,
  summaryRole: 'info',
  summaryAt(d, index, out): void {
    const l = icmpv6.describe(d, index);
    out.ascii(`ICMPv6 ${icmpv6TypeName(l.icmpType)}`);
    if (l.id !== undefined) out.ascii(` id=0x${l.id.toString(16).padStart(4, '0')}, seq=${l.seq}`);
  },
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 4) return d.malformed(Kind.ICMPV6, offset, end, `ICMPv6 header needs 4 bytes, ${end - offset} present`);
    const type = d.data[offset] as number;
    const isError = type >= 1 && type <= 4;
    if (isError && !d.quoted && end - offset >= 8) {
      d.push(Kind.ICMPV6, offset, 8, end);
      d.quoted = true;
      d.next(NextBy.KIND, Kind.IPV6);
      return;
    }
    d.push(Kind.ICMPV6, offset, end - offset, end);
    d.next(NextBy.NONE, 0);
  },
  describe(d: Dissection, index: number): Icmpv6Layer {
    const at = d.offsets[index] as number;
    const icmpType = d.data[at] as number;
    const layer: Icmpv6Layer = {
      type: 'icmpv6',
      ...base(d, index),
      icmpType,
      code: d.data[at + 1] as number,
      checksum: d.view.getUint16(at + 2),
    };
    if ((icmpType === 128 || icmpType === 129) && (d.lengths[index] as number) >= 8) {
      layer.id = d.view.getUint16(at + 4);
      layer.seq = d.view.getUint16(at + 6);
    }
    return layer;
  },
  json(l: Icmpv6Layer): string {
    return `{"type":"icmpv6",${baseJson(l)},"icmpType":${l.icmpType},"code":${l.code},"checksum":${l.checksum}${l.id !== undefined ? `,"id":${l.id},"seq":${l.seq}` : ''}}`;
  },
  detail(layer: Icmpv6Layer) {
    const lines = [`Type: ${icmpv6TypeName(layer.icmpType)} (${layer.icmpType})`, `Code: ${layer.code}`];
    if (layer.id !== undefined) lines.push(`Identifier: ${layer.id}`, `Sequence: ${layer.seq ?? 0}`);
    return { title: 'Internet Control Message Protocol v6', lines };
  },
};
