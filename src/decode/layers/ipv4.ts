// IPv4 header (RFC 791).
//
//  0       4       8               16      19                      31
//  +-------+-------+---------------+-------------------------------+
//  |version|  IHL  |  DSCP  | ECN  |         total length          |
//  +-------+-------+---------------+-----+-------------------------+
//  |        identification         |flags|    fragment offset      |
//  +---------------+---------------+-----+-------------------------+
//  |      TTL      |   protocol    |        header checksum        |
//  +---------------+---------------+-------------------------------+
//  |                source address / destination address          |
//  +---------------------------------------------------------------+
//  |                 options (IHL > 5) …                           |
//
// A total length of 0 is what GSO/TSO and BIG TCP super-packets carry (the kernel
// hands tcpdump a packet larger than 64 KiB): like tshark's "assume TSO" default, the
// captured bytes then bound the payload. A non-first fragment's payload is left
// undecoded (its L4 header is in the first fragment); podpath does not reassemble.
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { Ipv4Layer } from '../types.ts';
import { putByte, putBytes, putIpv4, putUint } from '../output/sink.ts';
import { ARROW, base, baseJson, encoded, FALSE, jsonBytes, putJsonHead, TRUE, type LayerCodec } from './codec.ts';
import { hexString, ipv4Text } from './text.ts';
import { IP_PROTOCOL_NAMES, named } from './names.ts';

const OPEN = encoded('{"type":"ipv4"');
const SRC = encoded(',"src":"');
const DST = encoded('","dst":"');
const PROTO = encoded('","proto":');
const TTL = encoded(',"ttl":');
const HEADER_LENGTH = encoded(',"headerLength":');
const TOTAL_LENGTH = encoded(',"totalLength":');
const ID = encoded(',"id":');
const DF = encoded(',"dontFragment":');
const MF = encoded(',"moreFragments":');
const FRAGMENT_OFFSET = encoded(',"fragmentOffset":');
const FRAGMENT = encoded(',"fragment":');
const DSCP = encoded(',"dscp":');
const WHOLE_DF = encoded(',"dontFragment":true,"moreFragments":false,"fragmentOffset":0,"fragment":false');
const WHOLE = encoded(',"dontFragment":false,"moreFragments":false,"fragmentOffset":0,"fragment":false');
const ECN = encoded(',"ecn":');
const CHECKSUM = encoded(',"checksum":');
const NAME = encoded('IPv4');
const FRAGMENT_TEXT = encoded(' fragment offset=');
const MF_TEXT = encoded(' MF');
/** Room for the JSON object jsonTo writes. */
const JSON_BYTES = jsonBytes([OPEN, SRC, DST, PROTO, TTL, HEADER_LENGTH, TOTAL_LENGTH, ID, WHOLE_DF, WHOLE, DF, FALSE, MF, FALSE, FRAGMENT_OFFSET, FRAGMENT, TRUE, DSCP, ECN, CHECKSUM], 2 * 2 + 9);
const ADDRESSES_BYTES = 15 + ARROW.length + 15;

export const ipv4: LayerCodec<Ipv4Layer> = {
  kind: Kind.IPV4,
  type: 'ipv4',
  isTunnel: false,
  summaryRole: 'network',
  scan(d: Dissection, offset: number, end: number): void {
    const available = end - offset;
    if (available < 20) return d.malformed(Kind.IPV4, offset, end, `IPv4 header needs 20 bytes, ${available} present`);
    const first = d.data[offset] as number;
    if (first >> 4 !== 4) return d.malformed(Kind.IPV4, offset, end, `IPv4 version field is ${first >> 4}`);
    const headerLength = (first & 0x0f) * 4;
    if (headerLength < 20) return d.malformed(Kind.IPV4, offset, end, `IPv4 header length ${headerLength} is below 20`);
    if (available < headerLength) return d.malformed(Kind.IPV4, offset, end, `IPv4 header claims ${headerLength} bytes, ${available} present`);
    const totalLength = d.view.getUint16(offset + 2);
    let payloadEnd = end;
    if (totalLength !== 0) {
      if (totalLength < headerLength) return d.malformed(Kind.IPV4, offset, end, `IPv4 total length ${totalLength} is shorter than its header (${headerLength})`);
      if (totalLength < available) payloadEnd = offset + totalLength;
    }
    d.push(Kind.IPV4, offset, headerLength, payloadEnd);
    const fragmentField = d.view.getUint16(offset + 6);
    if ((fragmentField & 0x1fff) !== 0) {
      d.next(NextBy.KIND, Kind.PAYLOAD);
      d.nextValue2 = 1; // marks "IPv4 fragment" for the payload name
      return;
    }
    d.next(NextBy.IP_PROTO, d.data[offset + 9] as number);
  },
  describe(d: Dissection, index: number): Ipv4Layer {
    const at = d.offsets[index] as number;
    const view = d.view;
    const headerLength = d.lengths[index] as number;
    const fragmentField = view.getUint16(at + 6);
    const fragmentOffset = (fragmentField & 0x1fff) * 8;
    const moreFragments = (fragmentField & 0x2000) !== 0;
    const layer: Ipv4Layer = {
      type: 'ipv4',
      ...base(d, index),
      src: ipv4Text(d.data, at + 12),
      dst: ipv4Text(d.data, at + 16),
      proto: d.data[at + 9] as number,
      ttl: d.data[at + 8] as number,
      headerLength,
      totalLength: view.getUint16(at + 2),
      id: view.getUint16(at + 4),
      dontFragment: (fragmentField & 0x4000) !== 0,
      moreFragments,
      fragmentOffset,
      fragment: moreFragments || fragmentOffset > 0,
      dscp: (d.data[at + 1] as number) >> 2,
      ecn: (d.data[at + 1] as number) & 3,
      checksum: view.getUint16(at + 10),
    };
    if (headerLength > 20) layer.options = hexString(d.data, at + 20, headerLength - 20);
    return layer;
  },
  addressesAt(d, index, out): void {
    const at = d.offsets[index] as number;
    const w = out.reserve(ADDRESSES_BYTES);
    const o = putBytes(w, putIpv4(w, out.used, d.data, at + 12), ARROW);
    out.used = putIpv4(w, o, d.data, at + 16);
  },
  quotedAt(d, index, out): void {
    out.ascii('(quoted ');
    ipv4.addressesAt?.(d, index, out);
  },
  summaryAt(d, index, out): void {
    // "IPv4", and for a fragment "IPv4 fragment offset=1480 MF": its payload stays undecoded.
    out.bytes(NAME);
    const fragmentField = d.view.getUint16((d.offsets[index] as number) + 6);
    const fragmentOffset = (fragmentField & 0x1fff) * 8;
    const more = (fragmentField & 0x2000) !== 0;
    if (!more && fragmentOffset === 0) return;
    out.bytes(FRAGMENT_TEXT);
    out.uint(fragmentOffset);
    if (more) out.bytes(MF_TEXT);
  },
  jsonTo(d, index, out): void {
    const at = d.offsets[index] as number;
    const headerLength = d.lengths[index] as number;
    if (headerLength > 20) return out.ascii(ipv4.json(ipv4.describe(d, index))); // options: rare
    const v = d.view;
    const data = d.data;
    const fragmentField = v.getUint16(at + 6);
    const fragmentOffset = (fragmentField & 0x1fff) * 8;
    const more = (fragmentField & 0x2000) !== 0;
    const tos = data[at + 1] as number;
    const w = out.reserve(JSON_BYTES);
    let o = putJsonHead(w, out.used, d, index, OPEN);
    o = putBytes(w, o, SRC);
    o = putIpv4(w, o, data, at + 12);
    o = putBytes(w, o, DST);
    o = putIpv4(w, o, data, at + 16);
    o = putBytes(w, o, PROTO);
    o = putUint(w, o, data[at + 9] as number);
    o = putBytes(w, o, TTL);
    o = putUint(w, o, data[at + 8] as number);
    o = putBytes(w, o, HEADER_LENGTH);
    o = putUint(w, o, headerLength);
    o = putBytes(w, o, TOTAL_LENGTH);
    o = putUint(w, o, v.getUint16(at + 2));
    o = putBytes(w, o, ID);
    o = putUint(w, o, v.getUint16(at + 4));
    if (!more && fragmentOffset === 0) {
      // Not a fragment (nearly every packet): the four fields in one copy.
      o = putBytes(w, o, (fragmentField & 0x4000) !== 0 ? WHOLE_DF : WHOLE);
    } else {
      o = putBytes(w, o, DF);
      o = putBytes(w, o, (fragmentField & 0x4000) !== 0 ? TRUE : FALSE);
      o = putBytes(w, o, MF);
      o = putBytes(w, o, more ? TRUE : FALSE);
      o = putBytes(w, o, FRAGMENT_OFFSET);
      o = putUint(w, o, fragmentOffset);
      o = putBytes(w, o, FRAGMENT);
      o = putBytes(w, o, TRUE);
    }
    o = putBytes(w, o, DSCP);
    o = putUint(w, o, tos >> 2);
    o = putBytes(w, o, ECN);
    o = putUint(w, o, tos & 3);
    o = putBytes(w, o, CHECKSUM);
    o = putUint(w, o, v.getUint16(at + 10));
    out.used = putByte(w, o, 0x7d);
  },
  json(l: Ipv4Layer): string {
    return `{"type":"ipv4",${baseJson(l)},"src":"${l.src}","dst":"${l.dst}","proto":${l.proto},"ttl":${l.ttl},"headerLength":${l.headerLength},"totalLength":${l.totalLength},"id":${l.id},"dontFragment":${l.dontFragment},"moreFragments":${l.moreFragments},"fragmentOffset":${l.fragmentOffset},"fragment":${l.fragment},"dscp":${l.dscp},"ecn":${l.ecn},"checksum":${l.checksum}${l.options !== undefined ? `,"options":"${l.options}"` : ''}}`;
  },
  detail(layer: Ipv4Layer) {
    const lines = [
      `Header Length: ${layer.headerLength} bytes`,
      `Total Length: ${layer.totalLength}${layer.totalLength === 0 ? ' (0: GSO/BIG TCP, length taken from the capture)' : ''}`,
      `Identification: 0x${layer.id.toString(16).padStart(4, '0')} (${layer.id})`,
      `Flags: ${layer.dontFragment ? "Don't fragment" : ''}${layer.moreFragments ? ' More fragments' : ''}`.trimEnd(),
      `Fragment Offset: ${layer.fragmentOffset}`,
      `Time to Live: ${layer.ttl}`,
      `Protocol: ${named(IP_PROTOCOL_NAMES, layer.proto)}`,
      `Source Address: ${layer.src}`,
      `Destination Address: ${layer.dst}`,
    ];
    if (layer.options !== undefined) lines.push(`Options: ${layer.options}`);
    return { title: `Internet Protocol Version 4, Src: ${layer.src}, Dst: ${layer.dst}`, lines };
  },
};
