// ARP (RFC 826) for Ethernet/IPv4: hardware type 1, protocol 0x0800, 6- and 4-byte addresses.
//
//  +-------+-------+----+----+-------+---------+------+---------+------+
//  | htype | ptype |hlen|plen|opcode | sender  |sender| target  |target|
//  |       |       |    |    |       | MAC     |IP    | MAC     |IP    |
//  +-------+-------+----+----+-------+---------+------+---------+------+
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { ArpLayer } from '../types.ts';
import { base, baseJson, type LayerCodec } from './codec.ts';
import { hexColons, ipv4Text } from './text.ts';

export const arp: LayerCodec<ArpLayer> = {
  kind: Kind.ARP,
  type: 'arp',
  isTunnel: false,
  summaryRole: 'info-at-link',
  summaryAt(d, index, out): void {
    // tshark's Info column: "Who has 10.0.0.1? Tell 10.0.0.2", "10.0.0.1 is at aa:bb:…".
    const l = arp.describe(d, index);
    if (l.opcode === 1) out.ascii(`ARP Who has ${l.targetIp}? Tell ${l.senderIp}`);
    else if (l.opcode === 2) out.ascii(`ARP ${l.senderIp} is at ${l.senderMac}`);
    else out.ascii(`ARP opcode ${l.opcode}`);
  },
  scan(d: Dissection, offset: number, end: number): void {
    if (end - offset < 8) return d.malformed(Kind.ARP, offset, end, `ARP header needs 8 bytes, ${end - offset} present`);
    const length = 8 + 2 * ((d.data[offset + 4] as number) + (d.data[offset + 5] as number));
    if (end - offset < length) return d.malformed(Kind.ARP, offset, end, `ARP packet needs ${length} bytes, ${end - offset} present`);
    d.push(Kind.ARP, offset, length, end);
    d.next(NextBy.NONE, 0);
  },
  describe(d: Dissection, index: number): ArpLayer {
    const at = d.offsets[index] as number;
    const hlen = d.data[at + 4] as number;
    const plen = d.data[at + 5] as number;
    const address = (where: number, size: number): string =>
      size === 4 ? ipv4Text(d.data, where) : hexColons(d.data, where, size);
    return {
      type: 'arp',
      ...base(d, index),
      opcode: d.view.getUint16(at + 6),
      senderMac: hexColons(d.data, at + 8, hlen),
      senderIp: address(at + 8 + hlen, plen),
      targetMac: hexColons(d.data, at + 8 + hlen + plen, hlen),
      targetIp: address(at + 8 + 2 * hlen + plen, plen),
    };
  },
  json(l: ArpLayer): string {
    return `{"type":"arp",${baseJson(l)},"opcode":${l.opcode},"senderMac":"${l.senderMac}","senderIp":"${l.senderIp}","targetMac":"${l.targetMac}","targetIp":"${l.targetIp}"}`;
  },
  detail(layer: ArpLayer) {
    const op = layer.opcode === 1 ? 'request' : layer.opcode === 2 ? 'reply' : `opcode ${layer.opcode}`;
    return {
      title: `Address Resolution Protocol (${op})`,
      lines: [
        `Opcode: ${op} (${layer.opcode})`,
        `Sender MAC address: ${layer.senderMac}`,
        `Sender IP address: ${layer.senderIp}`,
        `Target MAC address: ${layer.targetMac}`,
        `Target IP address: ${layer.targetIp}`,
      ],
    };
  },
};
