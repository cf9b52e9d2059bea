// Ethernet II (DIX) header. A type field ≤ 1500 is an 802.3 length (LLC follows).
//
//  0                   6                   12      14
//  +-------------------+-------------------+-------+
//  | destination MAC   | source MAC        | type  |
//  +-------------------+-------------------+-------+
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { EthernetLayer } from '../types.ts';
import { putByte, putBytes, putMac, putUint } from '../output/sink.ts';
import { ARROW, base, baseJson, encoded, hex4, jsonBytes, putJsonHead, type LayerCodec } from './codec.ts';
import { macText } from './text.ts';
import { ETHERTYPE_NAMES, named } from './names.ts';

const OPEN = encoded('{"type":"ethernet"');
const DST = encoded(',"dst":"');
const SRC = encoded('","src":"');
const ETHERTYPE = encoded('","ethertype":');
/** Room for the JSON object jsonTo writes. */
const JSON_BYTES = jsonBytes([OPEN, DST, SRC, ETHERTYPE], 2 * 2 + 1);

export const ethernet: LayerCodec<EthernetLayer> = {
  kind: Kind.ETHERNET,
  type: 'ethernet',
  isTunnel: false,
  summaryRole: 'link',
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 14) return d.malformed(Kind.ETHERNET, offset, end, `Ethernet header needs 14 bytes, ${end - offset} present`);
    d.push(Kind.ETHERNET, offset, 14, end);
    const type = d.view.getUint16(offset + 12);
    if (type <= 1500) d.next(NextBy.NONE, 0);
    else d.next(NextBy.ETHERTYPE, type);
  },
  describe(d: Dissection, index: number): EthernetLayer {
    const at = d.offsets[index] as number;
    return {
      type: 'ethernet',
      ...base(d, index),
      dst: macText(d.data, at),
      src: macText(d.data, at + 6),
      ethertype: d.view.getUint16(at + 12),
    };
  },
  addressesAt(d, index, out): void {
    const at = d.offsets[index] as number;
    const w = out.reserve(17 + ARROW.length + 17);
    out.used = putMac(w, putBytes(w, putMac(w, out.used, d.data, at + 6), ARROW), d.data, at);
  },
  jsonTo(d, index, out): void {
    const at = d.offsets[index] as number;
    const w = out.reserve(JSON_BYTES);
    let o = putJsonHead(w, out.used, d, index, OPEN);
    o = putBytes(w, o, DST);
    o = putMac(w, o, d.data, at);
    o = putBytes(w, o, SRC);
    o = putMac(w, o, d.data, at + 6);
    o = putBytes(w, o, ETHERTYPE);
    o = putUint(w, o, d.view.getUint16(at + 12));
    out.used = putByte(w, o, 0x7d); // }
  },
  json(l: EthernetLayer): string {
    return `{"type":"ethernet",${baseJson(l)},"dst":"${l.dst}","src":"${l.src}","ethertype":${l.ethertype}}`;
  },
  detail(layer: EthernetLayer) {
    return {
      title: `Ethernet II, Src: ${layer.src}, Dst: ${layer.dst}`,
      lines: [`Destination: ${layer.dst}`, `Source: ${layer.src}`, `Type: ${layer.ethertype <= 1500 ? `Length ${layer.ethertype}` : named(ETHERTYPE_NAMES, layer.ethertype, hex4(layer.ethertype))}`],
    };
  },
};
