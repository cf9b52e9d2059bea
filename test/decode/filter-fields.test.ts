// `-Y` reads its fields straight from the dissection (src/decode/filter/fields.ts) instead of
// from the Layer objects that --json and -V print. The two must never disagree: for every
// packet of every capture the tshark filter record uses, each field's occurrences read from
// the dissection equal the ones the packet's Layer objects hold (the table below says which
// Layer property each field is, as docs/decode.md names them).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dissectPacket, layersOf } from '../../src/decode/dissect.ts';
import { Dissection } from '../../src/decode/dissection.ts';
import { FIELDS, FIELD_NAMES, NOT_AN_ADDRESS, type FieldDef } from '../../src/decode/filter/fields.ts';
import { ipv4Text, ipv6Text, macText } from '../../src/decode/layers/text.ts';
import { scanCapture } from '../../src/decode/read/stream.ts';
import { portTable } from '../../src/decode/registry.ts';
import type { CapturedPacket, Layer, LayerType } from '../../src/decode/types.ts';
import { repoRoot } from '../helpers/run.ts';
import { CAPTURES } from './filter-oracle/cases.ts';

type Value = number | string | boolean;
type Of<T extends LayerType> = Extract<Layer, { type: T }>;
const on = <T extends LayerType>(type: T, read: (l: Of<T>) => Value | undefined | Value[]) => (l: Layer): Value[] => {
  if (l.type !== type) return [];
  const v = read(l as Of<T>);
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
const anyOf = (...types: LayerType[]) => (l: Layer): Value[] => (types.includes(l.type) ? [true] : []);
const flagByte = (f: Of<'tcp'>['flags']): number =>
  (f.fin ? 0x01 : 0) | (f.syn ? 0x02 : 0) | (f.rst ? 0x04 : 0) | (f.psh ? 0x08 : 0) | (f.ack ? 0x10 : 0) | (f.urg ? 0x20 : 0) | (f.ece ? 0x40 : 0) | (f.cwr ? 0x80 : 0);

/** Each field as the Layer objects (the --json output) hold it; frame.* from the capture record. */
const FROM_LAYERS: Record<string, (l: Layer) => Value[]> = {
  frame: anyOf('ethernet', 'sll', 'sll2', 'ipv4', 'ipv6', 'null', 'nflog', 'payload', 'malformed'),
  eth: anyOf('ethernet'),
  'eth.src': on('ethernet', (l) => l.src),
  'eth.dst': on('ethernet', (l) => l.dst),
  'eth.addr': on('ethernet', (l) => [l.src, l.dst]),
  'eth.type': on('ethernet', (l) => l.ethertype),
  vlan: anyOf('vlan'),
  'vlan.id': on('vlan', (l) => l.id),
  sll: anyOf('sll', 'sll2'),
  arp: anyOf('arp'),
  'arp.opcode': on('arp', (l) => l.opcode),
  'arp.src.proto_ipv4': on('arp', (l) => l.senderIp),
  'arp.dst.proto_ipv4': on('arp', (l) => l.targetIp),
  'arp.src.hw_mac': on('arp', (l) => l.senderMac),
  'arp.dst.hw_mac': on('arp', (l) => l.targetMac),
  ip: anyOf('ipv4'),
  'ip.src': on('ipv4', (l) => l.src),
  'ip.dst': on('ipv4', (l) => l.dst),
  'ip.addr': on('ipv4', (l) => [l.src, l.dst]),
  'ip.proto': on('ipv4', (l) => l.proto),
  'ip.ttl': on('ipv4', (l) => l.ttl),
  'ip.len': on('ipv4', (l) => l.totalLength),
  'ip.id': on('ipv4', (l) => l.id),
  'ip.hdr_len': on('ipv4', (l) => l.headerLength),
  'ip.flags.df': on('ipv4', (l) => l.dontFragment),
  'ip.flags.mf': on('ipv4', (l) => l.moreFragments),
  'ip.dsfield.dscp': on('ipv4', (l) => l.dscp),
  ipv6: anyOf('ipv6'),
  'ipv6.src': on('ipv6', (l) => l.src),
  'ipv6.dst': on('ipv6', (l) => l.dst),
  'ipv6.addr': on('ipv6', (l) => [l.src, l.dst]),
  'ipv6.nxt': on('ipv6', (l) => l.nextHeader),
  'ipv6.hlim': on('ipv6', (l) => l.ttl),
  'ipv6.plen': on('ipv6', (l) => l.payloadLength),
  icmp: anyOf('icmp'),
  'icmp.type': on('icmp', (l) => l.icmpType),
  'icmp.code': on('icmp', (l) => l.code),
  icmpv6: anyOf('icmpv6'),
  'icmpv6.type': on('icmpv6', (l) => l.icmpType),
  'icmpv6.code': on('icmpv6', (l) => l.code),
  udp: anyOf('udp'),
  'udp.srcport': on('udp', (l) => l.sport),
  'udp.dstport': on('udp', (l) => l.dport),
  'udp.port': on('udp', (l) => [l.sport, l.dport]),
  'udp.length': on('udp', (l) => l.udpLength),
  tcp: anyOf('tcp'),
  'tcp.srcport': on('tcp', (l) => l.sport),
  'tcp.dstport': on('tcp', (l) => l.dport),
  'tcp.port': on('tcp', (l) => [l.sport, l.dport]),
  'tcp.len': on('tcp', (l) => l.payloadLength),
  'tcp.hdr_len': on('tcp', (l) => l.headerLength),
  'tcp.seq_raw': on('tcp', (l) => l.seq),
  'tcp.ack_raw': on('tcp', (l) => l.ack),
  'tcp.window_size_value': on('tcp', (l) => l.window),
  'tcp.flags': on('tcp', (l) => flagByte(l.flags)),
  'tcp.flags.fin': on('tcp', (l) => l.flags.fin),
  'tcp.flags.syn': on('tcp', (l) => l.flags.syn),
  'tcp.flags.reset': on('tcp', (l) => l.flags.rst),
  'tcp.flags.push': on('tcp', (l) => l.flags.psh),
  'tcp.flags.ack': on('tcp', (l) => l.flags.ack),
  'tcp.flags.urg': on('tcp', (l) => l.flags.urg),
  'tcp.flags.ece': on('tcp', (l) => l.flags.ece),
  'tcp.flags.cwr': on('tcp', (l) => l.flags.cwr),
  vxlan: anyOf('vxlan'),
  'vxlan.vni': on('vxlan', (l) => l.vni),
  geneve: anyOf('geneve'),
  'geneve.vni': on('geneve', (l) => l.vni),
  gre: anyOf('gre'),
  'gre.proto': on('gre', (l) => l.protocol),
  http: anyOf('http'),
  'http.request.method': on('http', (l) => l.method),
  'http.request.uri': on('http', (l) => l.uri),
  'http.host': on('http', (l) => l.host),
  'http.response.code': on('http', (l) => l.status),
};

const FRAME_FIELDS: Record<string, (p: CapturedPacket) => number> = {
  'frame.number': (p) => p.frame,
  'frame.len': (p) => p.len,
  'frame.cap_len': (p) => p.caplen,
};

/** A field's occurrences read from the dissection, as text for addresses (the Layer objects' form). */
function fromDissection(field: FieldDef, d: Dissection, packet: CapturedPacket): Value[] {
  if (field.frame) return [field.frame(packet)];
  const out: Value[] = [];
  for (let i = 0; i < d.count; i++) {
    if (!field.kinds.includes(d.kinds[i] as number)) continue;
    if (field.text) {
      const text = field.text(d, i);
      if (text !== undefined) out.push(text);
      continue;
    }
    for (let which = 0; which < field.per; which++) {
      const v = field.read(d, i, which);
      if (v === undefined) continue;
      if (field.type === 'protocol') out.push(true);
      else if (field.type === 'bool') out.push(v === 1);
      else if (field.type === 'number') out.push(v);
      else if (v === NOT_AN_ADDRESS) out.push('(not an address)');
      else out.push(field.type === 'ipv4' ? ipv4Text(d.data, v) : field.type === 'ipv6' ? ipv6Text(d.data, v) : macText(d.data, v));
    }
  }
  return out;
}

/** Whether a Layer value is an address of the field's type (ARP for another protocol holds other hex). */
function isAddressOf(type: FieldDef['type'], v: Value): boolean {
  if (type === 'ipv4') return /^\d+\.\d+\.\d+\.\d+$/.test(String(v));
  if (type === 'mac') return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(String(v));
  return true;
}

describe('-Y reads each field from the dissection as the Layer objects hold it', () => {
  it('the table here names every field fields.ts knows', () => {
    expect(FIELD_NAMES).toEqual([...Object.keys(FROM_LAYERS), ...Object.keys(FRAME_FIELDS)].sort());
  });
  for (const capture of CAPTURES) {
    it(capture, async () => {
      const d = new Dissection();
      const table = portTable({ vxlanPorts: [] });
      let compared = 0;
      await scanCapture(join(repoRoot, capture), { name: capture }, (packet) => {
        dissectPacket(d, packet, table);
        const layers = layersOf(d);
        for (const name of FIELD_NAMES) {
          const field = FIELDS[name]!;
          const ours = fromDissection(field, d, packet);
          const theirs = FRAME_FIELDS[name] ? [FRAME_FIELDS[name](packet)] : layers.flatMap(FROM_LAYERS[name]!);
          // An ARP packet for another protocol holds hex, not an address: the filter sees it as present and unequal.
          const expected = theirs.map((v) => (isAddressOf(field.type, v) ? v : '(not an address)'));
          if (JSON.stringify(ours) !== JSON.stringify(expected)) expect(ours, `${capture} frame ${packet.frame} ${name}`).toEqual(expected);
          compared += ours.length;
        }
        return true;
      });
      expect(compared).toBeGreaterThan(0);
    });
  }
});
