// GRE (RFC 2784, keys and sequence numbers RFC 2890; version 1 is PPTP's enhanced GRE).
//
//  +-+-+-+-+-----------+-----+------------------+
//  |C| |K|S| reserved  | ver |  protocol type   |
//  +-+-+-+-+-----------+-----+------------------+
//  | checksum + reserved (C)                    |
//  | key (K; version 1: payload length, call id)|
//  | sequence number (S)                        |
//  | acknowledgment (version 1, A bit 0x0080)   |
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { GreLayer } from '../types.ts';
import { base, baseJson, hex4, type LayerCodec } from './codec.ts';

function headerLength(flags: number): number {
  let length = 4;
  if (flags & 0x8000) length += 4;
  if (flags & 0x2000) length += 4;
  if (flags & 0x1000) length += 4;
  if ((flags & 7) === 1 && flags & 0x0080) length += 4;
  return length;
}

export const gre: LayerCodec<GreLayer> = {
  kind: Kind.GRE,
  type: 'gre',
  isTunnel: true,
  summaryRole: 'tunnel',
  summaryAt(d, index, out): void {
    const key = gre.describe(d, index).key;
    out.ascii('GRE');
    if (key === undefined) return;
    out.ascii(' key ');
    out.uint(key);
  },
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 4) return d.malformed(Kind.GRE, offset, end, `GRE header needs 4 bytes, ${end - offset} present`);
    const flags = d.view.getUint16(offset);
    const length = headerLength(flags);
    if (end - offset < length) return d.malformed(Kind.GRE, offset, end, `GRE header needs ${length} bytes, ${end - offset} present`);
    d.push(Kind.GRE, offset, length, end);
    d.next(NextBy.ETHERTYPE, d.view.getUint16(offset + 2));
  },
  describe(d: Dissection, index: number): GreLayer {
    const at = d.offsets[index] as number;
    const flags = d.view.getUint16(at);
    let cursor = at + 4 + (flags & 0x8000 ? 4 : 0);
    const layer: GreLayer = {
      type: 'gre',
      ...base(d, index),
      version: flags & 7,
      protocol: d.view.getUint16(at + 2),
      checksumPresent: (flags & 0x8000) !== 0,
    };
    if (flags & 0x2000) {
      layer.key = d.view.getUint32(cursor);
      cursor += 4;
    }
    if (flags & 0x1000) layer.sequence = d.view.getUint32(cursor);
    return layer;
  },
  json(l: GreLayer): string {
    return `{"type":"gre",${baseJson(l)},"version":${l.version},"protocol":${l.protocol},"checksumPresent":${l.checksumPresent}${l.key !== undefined ? `,"key":${l.key}` : ''}${l.sequence !== undefined ? `,"sequence":${l.sequence}` : ''}}`;
  },
  detail(layer: GreLayer) {
    const lines = [`Version: ${layer.version}`, `Protocol Type: ${hex4(layer.protocol)}`];
    if (layer.key !== undefined) lines.push(`Key: 0x${layer.key.toString(16).padStart(8, '0')}`);
    if (layer.sequence !== undefined) lines.push(`Sequence Number: ${layer.sequence}`);
    return { title: `Generic Routing Encapsulation (${hex4(layer.protocol)})`, lines };
  },
};
