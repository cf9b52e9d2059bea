// VXLAN (RFC 7348): an 8-byte header after UDP (4789 IANA, 8472 Linux default and
// Flannel, others via --vxlan-port). The next layer is the inner Ethernet frame.
//
//  +--------+--------------------------+
//  |R R R R I R R R|    reserved (24)   |   I flag 0x08: VNI valid
//  +-----------------------------------+
//  |         VNI (24)         | rsvd   |
//  +-----------------------------------+
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { VxlanLayer } from '../types.ts';
import { putByte, putBytes, putUint } from '../output/sink.ts';
import { base, baseJson, encoded, jsonBytes, putJsonHead, type LayerCodec } from './codec.ts';

const OPEN = encoded('{"type":"vxlan"');
const FLAGS = encoded(',"flags":');
const VNI = encoded(',"vni":');
const NAME = encoded('VXLAN ');
/** Room for the JSON object jsonTo writes. */
const JSON_BYTES = jsonBytes([OPEN, FLAGS, VNI], 2);

export const vxlan: LayerCodec<VxlanLayer> = {
  kind: Kind.VXLAN,
  type: 'vxlan',
  isTunnel: true,
  summaryRole: 'tunnel',
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 8) return d.malformed(Kind.VXLAN, offset, end, `VXLAN header needs 8 bytes, ${end - offset} present`);
    d.push(Kind.VXLAN, offset, 8, end);
    d.next(NextBy.KIND, Kind.ETHERNET);
  },
  describe(d: Dissection, index: number): VxlanLayer {
    const at = d.offsets[index] as number;
    return { type: 'vxlan', ...base(d, index), flags: d.data[at] as number, vni: d.view.getUint32(at + 4) >>> 8 };
  },
  summaryAt(d, index, out): void {
    const w = out.reserve(NAME.length + 8);
    out.used = putUint(w, putBytes(w, out.used, NAME), d.view.getUint32((d.offsets[index] as number) + 4) >>> 8);
  },
  jsonTo(d, index, out): void {
    const at = d.offsets[index] as number;
    const w = out.reserve(JSON_BYTES);
    let o = putJsonHead(w, out.used, d, index, OPEN);
    o = putBytes(w, o, FLAGS);
    o = putUint(w, o, d.data[at] as number);
    o = putBytes(w, o, VNI);
    o = putUint(w, o, d.view.getUint32(at + 4) >>> 8);
    out.used = putByte(w, o, 0x7d);
  },
  json(l: VxlanLayer): string {
    return `{"type":"vxlan",${baseJson(l)},"flags":${l.flags},"vni":${l.vni}}`;
  },
  detail(layer: VxlanLayer) {
    return {
      title: 'Virtual eXtensible Local Area Network',
      lines: [`Flags: 0x${layer.flags.toString(16).padStart(2, '0')}${layer.flags & 0x08 ? ' (VXLAN Network ID present)' : ''}`, `VXLAN Network Identifier (VNI): ${layer.vni}`],
    };
  },
};
