// The display-filter fields podpath knows, named as Wireshark names them, each read straight
// from the dissection (the layer kinds and byte offsets the decoder found), so a filter tests
// a packet without building its Layer objects. A field occurs once per layer that has it
// (twice for the *.addr and *.port pairs), so `ip.addr` holds the outer and the inner (and an
// ICMP error's quoted) addresses of a tunnelled packet, as in tshark. Each reader gives the
// value its layer's describe() gives (test/decode/filter-fields.test.ts checks they agree).
import { Kind, type Dissection } from '../dissection.ts';
import { http as httpCodec } from '../layers/http.ts';
import type { CapturedPacket } from '../types.ts';

export type FieldType = 'number' | 'bool' | 'ipv4' | 'ipv6' | 'mac' | 'string' | 'protocol';

/**
 * What an occurrence reads as, by field type: number fields their value, bool fields 0 or 1;
 * address fields (ipv4, ipv6, mac) the offset of the address bytes in d.data, or NOT_AN_ADDRESS
 * when the layer has the field but it holds no address of that type (an ARP packet for another
 * protocol); undefined when this layer lacks the field (an HTTP response has no method).
 */
export type FieldRead = (d: Dissection, index: number, which: number) => number | undefined;

export const NOT_AN_ADDRESS = -1;

export interface FieldDef {
  type: FieldType;
  /** Layer kinds that carry the field (protocols: the kinds that make the packet have it). */
  kinds: readonly number[];
  /** Occurrences per layer: 2 for the src/dst pairs (ip.addr, tcp.port …), else 1. */
  per: number;
  read: FieldRead;
  /** string fields: the text (undefined: the layer lacks it). */
  text?: (d: Dissection, index: number) => string | undefined;
  /** frame.* fields: one occurrence per packet, from the capture record. */
  frame?: (packet: CapturedPacket) => number;
}

const u8 = (d: Dissection, at: number): number => d.data[at] as number;
const u16 = (d: Dissection, at: number): number => d.view.getUint16(at);
const off = (d: Dissection, index: number): number => d.offsets[index] as number;

function field(kind: number, type: FieldType, read: FieldRead, per = 1): FieldDef {
  return { type, kinds: [kind], per, read };
}

const never: FieldRead = () => undefined;
/** A protocol occurs once per layer of its kinds. */
const once: FieldRead = () => 1;

const protocol = (...kinds: number[]): FieldDef => ({ type: 'protocol', kinds, per: 1, read: once });

const frame = (read: (p: CapturedPacket) => number): FieldDef => ({ type: 'number', kinds: [], per: 1, read: never, frame: read });

/** A src/dst pair: occurrence 0 is the source, 1 the destination. */
const pair = (kind: number, type: FieldType, src: FieldRead, dst: FieldRead): FieldDef => field(kind, type, (d, i, which) => (which === 0 ? src(d, i, 0) : dst(d, i, 0)), 2);

// TCP: a quoted stub in an ICMP error (fewer than 20 bytes) has ports and maybe a sequence number, the rest reads 0 (tcp.ts describe).
const tcpFull = (d: Dissection, i: number): boolean => (d.lengths[i] as number) >= 20;
const tcpFlag = (bit: number): FieldRead => (d, i) => (tcpFull(d, i) && (u8(d, off(d, i) + 13) & bit) !== 0 ? 1 : 0);
const tcpSport: FieldRead = (d, i) => u16(d, off(d, i));
const tcpDport: FieldRead = (d, i) => u16(d, off(d, i) + 2);
const udpSport = tcpSport;
const udpDport = tcpDport;

// ARP: the addresses are MACs and IPv4 addresses only when the header says 6 and 4 bytes (arp.ts describe).
const arpHlen = (d: Dissection, i: number): number => u8(d, off(d, i) + 4);
const arpPlen = (d: Dissection, i: number): number => u8(d, off(d, i) + 5);
const arpMac = (target: boolean): FieldRead => (d, i) => {
  const hlen = arpHlen(d, i);
  if (hlen !== 6) return NOT_AN_ADDRESS;
  return off(d, i) + 8 + (target ? hlen + arpPlen(d, i) : 0);
};
const arpIp = (target: boolean): FieldRead => (d, i) => {
  const hlen = arpHlen(d, i);
  const plen = arpPlen(d, i);
  if (plen !== 4) return NOT_AN_ADDRESS;
  return off(d, i) + 8 + hlen + (target ? hlen + plen : 0);
};

// HTTP: the strings come from the layer's head (describe(): only for packets that have an HTTP layer).
const httpText = (pick: 'method' | 'uri' | 'host'): FieldDef => ({
  type: 'string',
  kinds: [Kind.HTTP],
  per: 1,
  read: never,
  text: (d, i) => httpCodec.describe(d, i)[pick],
});

const ipv4Src: FieldRead = (d, i) => off(d, i) + 12;
const ipv4Dst: FieldRead = (d, i) => off(d, i) + 16;
const ipv6Src: FieldRead = (d, i) => off(d, i) + 8;
const ipv6Dst: FieldRead = (d, i) => off(d, i) + 24;
const ethSrc: FieldRead = (d, i) => off(d, i) + 6;
const ethDst: FieldRead = (d, i) => off(d, i);

export const FIELDS: Record<string, FieldDef> = {
  frame: protocol(Kind.ETHERNET, Kind.SLL, Kind.SLL2, Kind.IPV4, Kind.IPV6, Kind.NULL, Kind.NFLOG, Kind.PAYLOAD, Kind.MALFORMED),
  'frame.number': frame((p) => p.frame),
  'frame.len': frame((p) => p.len),
  'frame.cap_len': frame((p) => p.caplen),
  eth: protocol(Kind.ETHERNET),
  'eth.src': field(Kind.ETHERNET, 'mac', ethSrc),
  'eth.dst': field(Kind.ETHERNET, 'mac', ethDst),
  'eth.addr': pair(Kind.ETHERNET, 'mac', ethSrc, ethDst),
  'eth.type': field(Kind.ETHERNET, 'number', (d, i) => u16(d, off(d, i) + 12)),
  vlan: protocol(Kind.VLAN),
  'vlan.id': field(Kind.VLAN, 'number', (d, i) => u16(d, off(d, i)) & 0x0fff),
  sll: protocol(Kind.SLL, Kind.SLL2),
  arp: protocol(Kind.ARP),
  'arp.opcode': field(Kind.ARP, 'number', (d, i) => u16(d, off(d, i) + 6)),
  'arp.src.proto_ipv4': field(Kind.ARP, 'ipv4', arpIp(false)),
  'arp.dst.proto_ipv4': field(Kind.ARP, 'ipv4', arpIp(true)),
  'arp.src.hw_mac': field(Kind.ARP, 'mac', arpMac(false)),
  'arp.dst.hw_mac': field(Kind.ARP, 'mac', arpMac(true)),
  ip: protocol(Kind.IPV4),
  'ip.src': field(Kind.IPV4, 'ipv4', ipv4Src),
  'ip.dst': field(Kind.IPV4, 'ipv4', ipv4Dst),
  'ip.addr': pair(Kind.IPV4, 'ipv4', ipv4Src, ipv4Dst),
  'ip.proto': field(Kind.IPV4, 'number', (d, i) => u8(d, off(d, i) + 9)),
  'ip.ttl': field(Kind.IPV4, 'number', (d, i) => u8(d, off(d, i) + 8)),
  'ip.len': field(Kind.IPV4, 'number', (d, i) => u16(d, off(d, i) + 2)),
  'ip.id': field(Kind.IPV4, 'number', (d, i) => u16(d, off(d, i) + 4)),
  'ip.hdr_len': field(Kind.IPV4, 'number', (d, i) => d.lengths[i] as number),
  'ip.flags.df': field(Kind.IPV4, 'bool', (d, i) => (u16(d, off(d, i) + 6) & 0x4000 ? 1 : 0)),
  'ip.flags.mf': field(Kind.IPV4, 'bool', (d, i) => (u16(d, off(d, i) + 6) & 0x2000 ? 1 : 0)),
  'ip.dsfield.dscp': field(Kind.IPV4, 'number', (d, i) => u8(d, off(d, i) + 1) >> 2),
  ipv6: protocol(Kind.IPV6),
  'ipv6.src': field(Kind.IPV6, 'ipv6', ipv6Src),
  'ipv6.dst': field(Kind.IPV6, 'ipv6', ipv6Dst),
  'ipv6.addr': pair(Kind.IPV6, 'ipv6', ipv6Src, ipv6Dst),
  'ipv6.nxt': field(Kind.IPV6, 'number', (d, i) => u8(d, off(d, i) + 6)),
  'ipv6.hlim': field(Kind.IPV6, 'number', (d, i) => u8(d, off(d, i) + 7)),
  'ipv6.plen': field(Kind.IPV6, 'number', (d, i) => u16(d, off(d, i) + 4)),
  icmp: protocol(Kind.ICMP),
  'icmp.type': field(Kind.ICMP, 'number', (d, i) => u8(d, off(d, i))),
  'icmp.code': field(Kind.ICMP, 'number', (d, i) => u8(d, off(d, i) + 1)),
  icmpv6: protocol(Kind.ICMPV6),
  'icmpv6.type': field(Kind.ICMPV6, 'number', (d, i) => u8(d, off(d, i))),
  'icmpv6.code': field(Kind.ICMPV6, 'number', (d, i) => u8(d, off(d, i) + 1)),
  udp: protocol(Kind.UDP),
  'udp.srcport': field(Kind.UDP, 'number', udpSport),
  'udp.dstport': field(Kind.UDP, 'number', udpDport),
  'udp.port': pair(Kind.UDP, 'number', udpSport, udpDport),
  'udp.length': field(Kind.UDP, 'number', (d, i) => ((d.lengths[i] as number) >= 8 ? u16(d, off(d, i) + 4) : 0)),
  tcp: protocol(Kind.TCP),
  'tcp.srcport': field(Kind.TCP, 'number', tcpSport),
  'tcp.dstport': field(Kind.TCP, 'number', tcpDport),
  'tcp.port': pair(Kind.TCP, 'number', tcpSport, tcpDport),
  'tcp.len': field(Kind.TCP, 'number', (d, i) => (tcpFull(d, i) ? Math.max(0, (d.ends[i] as number) - off(d, i) - (d.lengths[i] as number)) : 0)),
  'tcp.hdr_len': field(Kind.TCP, 'number', (d, i) => (tcpFull(d, i) ? (d.lengths[i] as number) : 0)),
  'tcp.seq_raw': field(Kind.TCP, 'number', (d, i) => ((d.lengths[i] as number) >= 8 ? d.view.getUint32(off(d, i) + 4) : 0)),
  'tcp.ack_raw': field(Kind.TCP, 'number', (d, i) => (tcpFull(d, i) ? d.view.getUint32(off(d, i) + 8) : 0)),
  'tcp.window_size_value': field(Kind.TCP, 'number', (d, i) => (tcpFull(d, i) ? u16(d, off(d, i) + 14) : 0)),
  'tcp.flags': field(Kind.TCP, 'number', (d, i) => (tcpFull(d, i) ? u8(d, off(d, i) + 13) : 0)),
  'tcp.flags.fin': field(Kind.TCP, 'bool', tcpFlag(0x01)),
  'tcp.flags.syn': field(Kind.TCP, 'bool', tcpFlag(0x02)),
  'tcp.flags.reset': field(Kind.TCP, 'bool', tcpFlag(0x04)),
  'tcp.flags.push': field(Kind.TCP, 'bool', tcpFlag(0x08)),
  'tcp.flags.ack': field(Kind.TCP, 'bool', tcpFlag(0x10)),
  'tcp.flags.urg': field(Kind.TCP, 'bool', tcpFlag(0x20)),
  'tcp.flags.ece': field(Kind.TCP, 'bool', tcpFlag(0x40)),
  'tcp.flags.cwr': field(Kind.TCP, 'bool', tcpFlag(0x80)),
  vxlan: protocol(Kind.VXLAN),
  'vxlan.vni': field(Kind.VXLAN, 'number', (d, i) => d.view.getUint32(off(d, i) + 4) >>> 8),
  geneve: protocol(Kind.GENEVE),
  'geneve.vni': field(Kind.GENEVE, 'number', (d, i) => d.view.getUint32(off(d, i) + 4) >>> 8),
  gre: protocol(Kind.GRE),
  'gre.proto': field(Kind.GRE, 'number', (d, i) => u16(d, off(d, i) + 2)),
  http: protocol(Kind.HTTP),
  'http.request.method': httpText('method'),
  'http.request.uri': httpText('uri'),
  'http.host': httpText('host'),
  'http.response.code': field(Kind.HTTP, 'number', (d, i) => httpCodec.describe(d, i).status),
};

export const FIELD_NAMES = Object.keys(FIELDS).sort();
