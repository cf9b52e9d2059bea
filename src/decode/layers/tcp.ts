// TCP header (RFC 9293).
//
//  +-----------------+-----------------+
//  |  source port    |  dest port      |
//  +-----------------+-----------------+
//  |          sequence number          |
//  +-----------------------------------+
//  |       acknowledgment number       |
//  +----+----+--------+----------------+
//  |off |rsvd| flags  |    window      |   flags: CWR ECE URG ACK PSH RST SYN FIN
//  +----+----+--------+----------------+
//  |  checksum       | urgent pointer  |
//  +-----------------+-----------------+
//  |  options (off > 5) …              |
//
// Sequence numbers are absolute (tshark: -o tcp.relative_sequence_numbers:FALSE).
// In an ICMP error only the first 8 bytes are quoted: ports and sequence number.
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { TcpFlags, TcpLayer, TcpOption } from '../types.ts';
import { base, baseJson, baseJsonAt, type LayerCodec } from './codec.ts';

export const tcp: LayerCodec<TcpLayer> = {
  kind: Kind.TCP,
  type: 'tcp',
  scan(d: Dissection, offset: number, end: number): void {
    const available = end - offset;
    if (d.quoted && available >= 4 && available < 20) {
      d.push(Kind.TCP, offset, available, end);
      return d.next(NextBy.NONE, 0);
    }
    if (available < 20) return d.malformed(Kind.TCP, offset, end, `TCP header needs 20 bytes, ${available} present`);
    const headerLength = ((d.data[offset + 12] as number) >> 4) * 4;
    if (headerLength < 20) return d.malformed(Kind.TCP, offset, end, `TCP header length ${headerLength} is below 20`);
    if (available < headerLength) {
      if (d.quoted) {
        d.push(Kind.TCP, offset, available, end);
        return d.next(NextBy.NONE, 0);
      }
      return d.malformed(Kind.TCP, offset, end, `TCP header claims ${headerLength} bytes, ${available} present`);
    }
    d.push(Kind.TCP, offset, headerLength, end);
    if (d.quoted || available === headerLength) return d.next(NextBy.NONE, 0);
    d.next(NextBy.TCP_PAYLOAD, d.view.getUint16(offset), d.view.getUint16(offset + 2));
  },
  describe(d: Dissection, index: number): TcpLayer {
    const at = d.offsets[index] as number;
    const view = d.view;
    const length = d.lengths[index] as number;
    const full = length >= 20;
    const flagByte = full ? (d.data[at + 13] as number) : 0;
    const flags: TcpFlags = {
      syn: (flagByte & 0x02) !== 0,
      ack: (flagByte & 0x10) !== 0,
      fin: (flagByte & 0x01) !== 0,
      rst: (flagByte & 0x04) !== 0,
      psh: (flagByte & 0x08) !== 0,
      urg: (flagByte & 0x20) !== 0,
      ece: (flagByte & 0x40) !== 0,
      cwr: (flagByte & 0x80) !== 0,
    };
    const end = d.ends[index] as number;
    return {
      type: 'tcp',
      ...base(d, index),
      sport: view.getUint16(at),
      dport: view.getUint16(at + 2),
      seq: length >= 8 ? view.getUint32(at + 4) : 0,
      ack: full ? view.getUint32(at + 8) : 0,
      flags,
      window: full ? view.getUint16(at + 14) : 0,
      headerLength: full ? length : 0,
      payloadLength: full ? Math.max(0, end - at - length) : 0,
      checksum: full ? view.getUint16(at + 16) : 0,
      urgentPointer: full ? view.getUint16(at + 18) : 0,
      options: full ? readOptions(d, at + 20, at + length) : [],
    };
  },
  jsonAt(d: Dissection, index: number): string {
    const length = d.lengths[index] as number;
    if (length !== 20) return tcp.json(tcp.describe(d, index)); // options, or a quoted stub
    const at = d.offsets[index] as number;
    const v = d.view;
    const f = d.data[at + 13] as number;
    return `{"type":"tcp",${baseJsonAt(d, index)},"sport":${v.getUint16(at)},"dport":${v.getUint16(at + 2)},"seq":${v.getUint32(at + 4)},"ack":${v.getUint32(at + 8)},"flags":{"syn":${(f & 0x02) !== 0},"ack":${(f & 0x10) !== 0},"fin":${(f & 0x01) !== 0},"rst":${(f & 0x04) !== 0},"psh":${(f & 0x08) !== 0},"urg":${(f & 0x20) !== 0},"ece":${(f & 0x40) !== 0},"cwr":${(f & 0x80) !== 0}},"window":${v.getUint16(at + 14)},"headerLength":20,"payloadLength":${Math.max(0, (d.ends[index] as number) - at - 20)},"checksum":${v.getUint16(at + 16)},"urgentPointer":${v.getUint16(at + 18)},"options":[]}`;
  },
  json(l: TcpLayer): string {
    const f = l.flags;
    const options = l.options.map((o) => `{"kind":${o.kind},"name":"${o.name}"${o.value === undefined ? '' : typeof o.value === 'number' ? `,"value":${o.value}` : `,"value":"${o.value}"`}}`).join(',');
    return `{"type":"tcp",${baseJson(l)},"sport":${l.sport},"dport":${l.dport},"seq":${l.seq},"ack":${l.ack},"flags":{"syn":${f.syn},"ack":${f.ack},"fin":${f.fin},"rst":${f.rst},"psh":${f.psh},"urg":${f.urg},"ece":${f.ece},"cwr":${f.cwr}},"window":${l.window},"headerLength":${l.headerLength},"payloadLength":${l.payloadLength},"checksum":${l.checksum},"urgentPointer":${l.urgentPointer},"options":[${options}]}`;
  },
  detail(layer: TcpLayer) {
    const lines = [
      `Source Port: ${layer.sport}`,
      `Destination Port: ${layer.dport}`,
      `Sequence Number (raw): ${layer.seq}`,
      `Acknowledgment Number (raw): ${layer.ack}`,
      `Header Length: ${layer.headerLength} bytes`,
      `Flags: ${flagText(layer.flags) || '(none)'}`,
      `Window: ${layer.window}`,
      `TCP payload: ${layer.payloadLength} bytes`,
    ];
    if (layer.options.length > 0) {
      lines.push(`Options: ${layer.options.map((o) => (o.value === undefined ? o.name : `${o.name}=${o.value}`)).join(' ')}`);
    }
    return {
      title: `Transmission Control Protocol, Src Port: ${layer.sport}, Dst Port: ${layer.dport}, Seq: ${layer.seq}, Ack: ${layer.ack}, Len: ${layer.payloadLength}`,
      lines,
    };
  },
};

/** "SYN, ACK" in tshark's order. */
export function flagText(flags: TcpFlags): string {
  const names: string[] = [];
  if (flags.cwr) names.push('CWR');
  if (flags.ece) names.push('ECE');
  if (flags.urg) names.push('URG');
  if (flags.fin) names.push('FIN');
  if (flags.syn) names.push('SYN');
  if (flags.rst) names.push('RST');
  if (flags.psh) names.push('PSH');
  if (flags.ack) names.push('ACK');
  return names.join(', ');
}

function readOptions(d: Dissection, start: number, end: number): TcpOption[] {
  const options: TcpOption[] = [];
  let at = start;
  while (at < end) {
    const kind = d.data[at] as number;
    if (kind === 0) {
      options.push({ kind, name: 'eol' });
      break;
    }
    if (kind === 1) {
      options.push({ kind, name: 'nop' });
      at++;
      continue;
    }
    const size = d.data[at + 1] ?? 0;
    if (size < 2 || at + size > end) {
      options.push({ kind, name: `kind-${kind}`, value: 'cut' });
      break;
    }
    if (kind === 2 && size === 4) options.push({ kind, name: 'mss', value: d.view.getUint16(at + 2) });
    else if (kind === 3 && size === 3) options.push({ kind, name: 'ws', value: d.data[at + 2] as number });
    else if (kind === 4) options.push({ kind, name: 'sack_perm' });
    else if (kind === 8 && size === 10) options.push({ kind, name: 'ts', value: `${d.view.getUint32(at + 2)},${d.view.getUint32(at + 6)}` });
    else if (kind === 5) {
      const blocks: string[] = [];
      for (let b = at + 2; b + 8 <= at + size; b += 8) blocks.push(`${d.view.getUint32(b)}-${d.view.getUint32(b + 4)}`);
      options.push({ kind, name: 'sack', value: blocks.join(' ') });
    } else options.push({ kind, name: `kind-${kind}` });
    at += size;
  }
  return options;
}
