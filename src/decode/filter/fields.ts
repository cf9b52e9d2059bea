// The display-filter fields podpath knows, named as Wireshark names them, each read from the
// decoded layers. A field occurs once per layer that has it, so `ip.addr` holds the outer and
// the inner (and an ICMP error's quoted) addresses of a tunnelled packet, as in tshark.
import type { CapturedPacket, Layer, LayerType } from '../types.ts';

export type FieldType = 'number' | 'bool' | 'ipv4' | 'ipv6' | 'mac' | 'string' | 'protocol';

export interface FieldDef {
  type: FieldType;
  /** Every occurrence of the field in the packet (empty: the packet does not have it). */
  values(layers: readonly Layer[], packet: CapturedPacket): (number | string | boolean)[];
}

type Of<T extends LayerType> = Extract<Layer, { type: T }>;

function from<T extends LayerType>(type: T, fieldType: FieldType, read: (layer: Of<T>) => number | string | boolean | undefined | (number | string)[]): FieldDef {
  return {
    type: fieldType,
    values: (layers) => {
      const out: (number | string | boolean)[] = [];
      for (const layer of layers) {
        if (layer.type !== type) continue;
        const value = read(layer as Of<T>);
        if (Array.isArray(value)) for (const v of value) out.push(v);
        else if (value !== undefined) out.push(value);
      }
      return out;
    },
  };
}

const protocol = (...types: LayerType[]): FieldDef => ({
  type: 'protocol',
  values: (layers) => (layers.some((l) => types.includes(l.type)) ? [true] : []),
});

const frame = (read: (p: CapturedPacket) => number): FieldDef => ({ type: 'number', values: (_layers, packet) => [read(packet)] });

/** tcp.flags as the header's flag byte (FIN 0x01 … CWR 0x80). */
const flagByte = (f: Of<'tcp'>['flags']): number =>
  (f.fin ? 0x01 : 0) | (f.syn ? 0x02 : 0) | (f.rst ? 0x04 : 0) | (f.psh ? 0x08 : 0) | (f.ack ? 0x10 : 0) | (f.urg ? 0x20 : 0) | (f.ece ? 0x40 : 0) | (f.cwr ? 0x80 : 0);

export const FIELDS: Record<string, FieldDef> = {
  frame: protocol('ethernet', 'sll', 'sll2', 'ipv4', 'ipv6', 'null', 'nflog', 'payload', 'malformed'),
  'frame.number': frame((p) => p.frame),
  'frame.len': frame((p) => p.len),
  'frame.cap_len': frame((p) => p.caplen),
  eth: protocol('ethernet'),
  'eth.src': from('ethernet', 'mac', (l) => l.src),
  'eth.dst': from('ethernet', 'mac', (l) => l.dst),
  'eth.addr': from('ethernet', 'mac', (l) => [l.src, l.dst]),
  'eth.type': from('ethernet', 'number', (l) => l.ethertype),
  vlan: protocol('vlan'),
  'vlan.id': from('vlan', 'number', (l) => l.id),
  sll: protocol('sll', 'sll2'),
  arp: protocol('arp'),
  'arp.opcode': from('arp', 'number', (l) => l.opcode),
  'arp.src.proto_ipv4': from('arp', 'ipv4', (l) => l.senderIp),
  'arp.dst.proto_ipv4': from('arp', 'ipv4', (l) => l.targetIp),
  'arp.src.hw_mac': from('arp', 'mac', (l) => l.senderMac),
  'arp.dst.hw_mac': from('arp', 'mac', (l) => l.targetMac),
  ip: protocol('ipv4'),
  'ip.src': from('ipv4', 'ipv4', (l) => l.src),
  'ip.dst': from('ipv4', 'ipv4', (l) => l.dst),
  'ip.addr': from('ipv4', 'ipv4', (l) => [l.src, l.dst]),
  'ip.proto': from('ipv4', 'number', (l) => l.proto),
  'ip.ttl': from('ipv4', 'number', (l) => l.ttl),
  'ip.len': from('ipv4', 'number', (l) => l.totalLength),
  'ip.id': from('ipv4', 'number', (l) => l.id),
  'ip.hdr_len': from('ipv4', 'number', (l) => l.headerLength),
  'ip.flags.df': from('ipv4', 'bool', (l) => l.dontFragment),
  'ip.flags.mf': from('ipv4', 'bool', (l) => l.moreFragments),
  'ip.dsfield.dscp': from('ipv4', 'number', (l) => l.dscp),
  ipv6: protocol('ipv6'),
  'ipv6.src': from('ipv6', 'ipv6', (l) => l.src),
  'ipv6.dst': from('ipv6', 'ipv6', (l) => l.dst),
  'ipv6.addr': from('ipv6', 'ipv6', (l) => [l.src, l.dst]),
  'ipv6.nxt': from('ipv6', 'number', (l) => l.nextHeader),
  'ipv6.hlim': from('ipv6', 'number', (l) => l.ttl),
  'ipv6.plen': from('ipv6', 'number', (l) => l.payloadLength),
  icmp: protocol('icmp'),
  'icmp.type': from('icmp', 'number', (l) => l.icmpType),
  'icmp.code': from('icmp', 'number', (l) => l.code),
  icmpv6: protocol('icmpv6'),
  'icmpv6.type': from('icmpv6', 'number', (l) => l.icmpType),
  'icmpv6.code': from('icmpv6', 'number', (l) => l.code),
  udp: protocol('udp'),
  'udp.srcport': from('udp', 'number', (l) => l.sport),
  'udp.dstport': from('udp', 'number', (l) => l.dport),
  'udp.port': from('udp', 'number', (l) => [l.sport, l.dport]),
  'udp.length': from('udp', 'number', (l) => l.udpLength),
  tcp: protocol('tcp'),
  'tcp.srcport': from('tcp', 'number', (l) => l.sport),
  'tcp.dstport': from('tcp', 'number', (l) => l.dport),
  'tcp.port': from('tcp', 'number', (l) => [l.sport, l.dport]),
  'tcp.len': from('tcp', 'number', (l) => l.payloadLength),
  'tcp.hdr_len': from('tcp', 'number', (l) => l.headerLength),
  'tcp.seq_raw': from('tcp', 'number', (l) => l.seq),
  'tcp.ack_raw': from('tcp', 'number', (l) => l.ack),
  'tcp.window_size_value': from('tcp', 'number', (l) => l.window),
  'tcp.flags': from('tcp', 'number', (l) => flagByte(l.flags)),
  'tcp.flags.fin': from('tcp', 'bool', (l) => l.flags.fin),
  'tcp.flags.syn': from('tcp', 'bool', (l) => l.flags.syn),
  'tcp.flags.reset': from('tcp', 'bool', (l) => l.flags.rst),
  'tcp.flags.push': from('tcp', 'bool', (l) => l.flags.psh),
  'tcp.flags.ack': from('tcp', 'bool', (l) => l.flags.ack),
  'tcp.flags.urg': from('tcp', 'bool', (l) => l.flags.urg),
  'tcp.flags.ece': from('tcp', 'bool', (l) => l.flags.ece),
  'tcp.flags.cwr': from('tcp', 'bool', (l) => l.flags.cwr),
  vxlan: protocol('vxlan'),
  'vxlan.vni': from('vxlan', 'number', (l) => l.vni),
  geneve: protocol('geneve'),
  'geneve.vni': from('geneve', 'number', (l) => l.vni),
  gre: protocol('gre'),
  'gre.proto': from('gre', 'number', (l) => l.protocol),
  http: protocol('http'),
  'http.request.method': from('http', 'string', (l) => l.method),
  'http.request.uri': from('http', 'string', (l) => l.uri),
  'http.host': from('http', 'string', (l) => l.host),
  'http.response.code': from('http', 'number', (l) => l.status),
};

export const FIELD_NAMES = Object.keys(FIELDS).sort();
