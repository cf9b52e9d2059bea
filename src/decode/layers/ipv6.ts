// IPv6 header (RFC 8200) and the extension headers podpath walks past.
//
//  +-------+---------------+---------------------------------------+
//  |version| traffic class |              flow label               |
//  +-------+---------------+-------+---------------+---------------+
//  |        payload length         |  next header  |   hop limit   |
//  +-------------------------------+---------------+---------------+
//  |            source address (16) / destination address (16)     |
//  +---------------------------------------------------------------+
//
//  Extension headers: 0 hop-by-hop, 43 routing, 60 destination options,
//  135 mobility ((len+1)·8 bytes), 51 AH ((len+2)·4 bytes), 44 fragment (8 bytes).
//
// Payload length 0 with no jumbo option is what BIG TCP over IPv6 captures show
// (the kernel strips the hop-by-hop jumbo header before tcpdump sees the packet):
// podpath takes the captured bytes as the payload; tshark calls it malformed.
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { Ipv6Layer } from '../types.ts';
import { ARROW, base, baseJson, type LayerCodec } from './codec.ts';
import { ipv6Text } from './text.ts';
import { IP_PROTOCOL_NAMES, named } from './names.ts';

function isExtension(next: number): boolean {
  return next === 0 || next === 43 || next === 60 || next === 135 || next === 51 || next === 44;
}

export const ipv6: LayerCodec<Ipv6Layer> = {
  kind: Kind.IPV6,
  type: 'ipv6',
  isTunnel: false,
  summaryRole: 'network',
  addressesAt(d, index, out): void {
    const at = d.offsets[index] as number;
    out.ascii(ipv6Text(d.data, at + 8));
    out.bytes(ARROW);
    out.ascii(ipv6Text(d.data, at + 24));
  },
  quotedAt(d, index, out): void {
    out.ascii('(quoted ');
    ipv6.addressesAt?.(d, index, out);
  },
  summaryAt(d, index, out): void {
    const l = ipv6.describe(d, index);
    out.ascii(l.fragment ? `IPv6 fragment offset=${l.fragmentOffset ?? 0}${l.moreFragments ? ' MF' : ''}` : 'IPv6');
  },
  scan(d: Dissection, offset: number, end: number): void {
    const available = end - offset;
    if (available < 40) return d.malformed(Kind.IPV6, offset, end, `IPv6 header needs 40 bytes, ${available} present`);
    const version = (d.data[offset] as number) >> 4;
    if (version !== 6) return d.malformed(Kind.IPV6, offset, end, `IPv6 version field is ${version}`);
    const payloadLength = d.view.getUint16(offset + 4);
    let payloadEnd = end;
    if (payloadLength !== 0 && 40 + payloadLength < available) payloadEnd = offset + 40 + payloadLength;
    let next = d.data[offset + 6] as number;
    let at = offset + 40;
    let nonFirstFragment = false;
    while (isExtension(next)) {
      if (payloadEnd - at < 8) return d.malformed(Kind.IPV6, offset, payloadEnd, `IPv6 extension header ${next} is cut`);
      const size = next === 44 ? 8 : next === 51 ? ((d.data[at + 1] as number) + 2) * 4 : ((d.data[at + 1] as number) + 1) * 8;
      if (payloadEnd - at < size) return d.malformed(Kind.IPV6, offset, payloadEnd, `IPv6 extension header ${next} claims ${size} bytes, ${payloadEnd - at} present`);
      if (next === 44 && (d.view.getUint16(at + 2) & 0xfff8) !== 0) nonFirstFragment = true;
      next = d.data[at] as number;
      at += size;
    }
    d.push(Kind.IPV6, offset, at - offset, payloadEnd);
    if (nonFirstFragment) {
      d.next(NextBy.KIND, Kind.PAYLOAD);
      d.nextValue2 = 2; // marks "IPv6 fragment"
      return;
    }
    d.next(NextBy.IP_PROTO, next);
  },
  describe(d: Dissection, index: number): Ipv6Layer {
    const at = d.offsets[index] as number;
    const view = d.view;
    const first = view.getUint32(at);
    const extensions: number[] = [];
    let next = d.data[at + 6] as number;
    let cursor = at + 40;
    const headerEnd = at + (d.lengths[index] as number);
    const layer: Ipv6Layer = {
      type: 'ipv6',
      ...base(d, index),
      src: ipv6Text(d.data, at + 8),
      dst: ipv6Text(d.data, at + 24),
      proto: next,
      ttl: d.data[at + 7] as number,
      nextHeader: next,
      payloadLength: view.getUint16(at + 4),
      trafficClass: (first >>> 20) & 0xff,
      flowLabel: first & 0xfffff,
      extensions,
      fragment: false,
    };
    while (cursor < headerEnd && isExtension(next)) {
      extensions.push(next);
      const size = next === 44 ? 8 : next === 51 ? ((d.data[cursor + 1] as number) + 2) * 4 : ((d.data[cursor + 1] as number) + 1) * 8;
      if (next === 44) {
        const field = view.getUint16(cursor + 2);
        layer.fragmentOffset = field & 0xfff8;
        layer.moreFragments = (field & 1) !== 0;
        layer.fragment = true;
      }
      next = d.data[cursor] as number;
      cursor += size;
    }
    layer.proto = next;
    return layer;
  },
  json(l: Ipv6Layer): string {
    return `{"type":"ipv6",${baseJson(l)},"src":"${l.src}","dst":"${l.dst}","proto":${l.proto},"ttl":${l.ttl},"nextHeader":${l.nextHeader},"payloadLength":${l.payloadLength},"trafficClass":${l.trafficClass},"flowLabel":${l.flowLabel},"extensions":[${l.extensions.join(',')}]${l.fragmentOffset !== undefined ? `,"fragmentOffset":${l.fragmentOffset}` : ''}${l.moreFragments !== undefined ? `,"moreFragments":${l.moreFragments}` : ''},"fragment":${l.fragment}}`;
  },
  detail(layer: Ipv6Layer) {
    const lines = [
      `Traffic Class: 0x${layer.trafficClass.toString(16).padStart(2, '0')}`,
      `Flow Label: 0x${layer.flowLabel.toString(16).padStart(5, '0')}`,
      `Payload Length: ${layer.payloadLength}${layer.payloadLength === 0 ? ' (0: BIG TCP/jumbo, length taken from the capture)' : ''}`,
      `Next Header: ${named(IP_PROTOCOL_NAMES, layer.nextHeader)}`,
      `Hop Limit: ${layer.ttl}`,
      `Source Address: ${layer.src}`,
      `Destination Address: ${layer.dst}`,
    ];
    if (layer.extensions.length > 0) lines.push(`Extension headers: ${layer.extensions.join(', ')}`);
    if (layer.fragment) lines.push(`Fragment: offset ${layer.fragmentOffset ?? 0}, more fragments ${layer.moreFragments ? 'yes' : 'no'}`);
    return { title: `Internet Protocol Version 6, Src: ${layer.src}, Dst: ${layer.dst}`, lines };
  },
};
