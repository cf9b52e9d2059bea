// iptables NFLOG (LINKTYPE_NFLOG 239): a 4-byte header, then TLVs whose length and
// type are in the capturing host's byte order (tshark guesses it the same way).
//
//  +--------+---------+------------------+
//  | family | version | resource id (BE) |   resource id = NFLOG group
//  +--------+---------+------------------+
//  | TLV length (incl. 4) | TLV type     |   type 9 NFULA_PAYLOAD: the logged packet
//  | value, padded to 4 …                |   type 10 NFULA_PREFIX: --nflog-prefix text
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { NflogLayer } from '../types.ts';
import { base, baseJson, str, type LayerCodec } from './codec.ts';
import { latin1 } from './text.ts';
import { escapeText } from '../../util/escape-text.ts';

const PAYLOAD = 9;
const PREFIX = 10;

/** Walks the TLVs; returns [valueStart, valueEnd] of `wanted`, or null. */
function findTlv(d: Dissection, start: number, end: number, wanted: number): [number, number] | null {
  let at = start;
  let little: boolean | null = null;
  while (end - at >= 4) {
    if (little === null) {
      const le = d.view.getUint16(at, true);
      little = le >= 4 && le <= end - at;
    }
    const length = d.view.getUint16(at, little);
    const type = d.view.getUint16(at + 2, little) & 0x7fff;
    if (length < 4 || length > end - at) return null;
    if (type === wanted) return [at + 4, at + length];
    at += (length + 3) & ~3;
  }
  return null;
}

export const nflog: LayerCodec<NflogLayer> = {
  kind: Kind.NFLOG,
  type: 'nflog',
  isTunnel: false,
  summaryRole: 'segment',
  summaryIf(d, index): boolean {
    return Boolean(nflog.describe(d, index).prefix);
  },
  summaryAt(d, index, out): void {
    const l = nflog.describe(d, index);
    out.ascii(`NFLOG group ${l.group} "`);
    out.text(escapeText(l.prefix ?? ''));
    out.ascii('"');
  },
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 4) return d.malformed(Kind.NFLOG, offset, end, `NFLOG header needs 4 bytes, ${end - offset} present`);
    const payload = findTlv(d, offset + 4, end, PAYLOAD);
    if (payload === null) {
      d.push(Kind.NFLOG, offset, end - offset, end);
      return d.next(NextBy.NONE, 0);
    }
    d.push(Kind.NFLOG, offset, payload[0] - offset, payload[1]);
    const family = d.data[offset] as number;
    if (family === 2) d.next(NextBy.KIND, Kind.IPV4);
    else if (family === 10) d.next(NextBy.KIND, Kind.IPV6);
    else d.next(NextBy.NONE, 0);
  },
  describe(d: Dissection, index: number): NflogLayer {
    const at = d.offsets[index] as number;
    const layer: NflogLayer = {
      type: 'nflog',
      ...base(d, index),
      family: d.data[at] as number,
      group: d.view.getUint16(at + 2),
    };
    const prefix = findTlv(d, at + 4, d.ends[index] as number, PREFIX) ?? findTlv(d, at + 4, d.end, PREFIX);
    if (prefix !== null) layer.prefix = latin1(d.data, prefix[0], prefix[1]).replace(/\0+$/, '');
    return layer;
  },
  json(l: NflogLayer): string {
    return `{"type":"nflog",${baseJson(l)},"family":${l.family},"group":${l.group}${l.prefix !== undefined ? `,"prefix":${str(l.prefix)}` : ''}}`;
  },
  detail(layer: NflogLayer) {
    const lines = [`Family: ${layer.family === 2 ? 'IPv4' : layer.family === 10 ? 'IPv6' : layer.family} (${layer.family})`, `Resource id (group): ${layer.group}`];
    if (layer.prefix !== undefined) lines.push(`Prefix: ${layer.prefix}`);
    return { title: 'Linux Netfilter NFLOG', lines };
  },
};
