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
import { putBytes, putUint, type ByteSink, type Encoded } from '../output/sink.ts';
import { ARROW, base, baseJson, encoded, jsonBytes, putJsonHead, type LayerCodec } from './codec.ts';

const OPEN = encoded('{"type":"tcp"');
const SPORT = encoded(',"sport":');
const DPORT = encoded(',"dport":');
const SEQ = encoded(',"seq":');
const ACK = encoded(',"ack":');
const FLAG_FIELDS = ['syn', 'ack', 'fin', 'rst', 'psh', 'urg', 'ece', 'cwr'] as const;
const FLAG_BITS = [0x02, 0x10, 0x01, 0x04, 0x08, 0x20, 0x40, 0x80];
/** ',"flags":{"syn":true,…},"window":' for a flag byte: one copy instead of sixteen. */
function flagsJsonText(f: number): string {
  return `,"flags":{${FLAG_FIELDS.map((name, i) => `"${name}":${(f & (FLAG_BITS[i] as number)) !== 0}`).join(',')}},"window":`;
}
/**
 * flagsJsonText for every flag byte, encoded when --json first needs it: building the 256 at
 * load time was ~2 ms of every decode's start-up (a third of loading the decoder's code).
 */
let flagsJson: Encoded[] | undefined;
function flagsJsonOf(f: number): Encoded {
  flagsJson ??= Array.from({ length: 256 }, (_, byte) => encoded(flagsJsonText(byte)));
  return flagsJson[f] as Encoded;
}
const HEADER_LENGTH_20 = encoded(',"headerLength":20,"payloadLength":');
const CHECKSUM = encoded(',"checksum":');
const URGENT = encoded(',"urgentPointer":');
const NO_OPTIONS = encoded(',"options":[]}');
const NAME = encoded('TCP ');
const ACK_TEXT = encoded(' Ack=');
const WIN_TEXT = encoded(' Win=');
const LEN_TEXT = encoded(' Len=');
/** Room for the JSON object jsonTo writes. */
// The longest flags text is the one with every flag false (ASCII: its length in bytes).
const JSON_BYTES = jsonBytes([OPEN, SPORT, DPORT, SEQ, ACK, HEADER_LENGTH_20, CHECKSUM, URGENT, NO_OPTIONS], 8) + flagsJsonText(0).length;

export const tcp: LayerCodec<TcpLayer> = {
  kind: Kind.TCP,
  type: 'tcp',
  isTunnel: false,
  summaryRole: 'info',
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
    const flags = tcpFlags(full ? (d.data[at + 13] as number) : 0);
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
  summaryAt(d, index, out): void {
    // "TCP 50058 → 80 [SYN, ACK] Seq=… Ack=… Win=… Len=…" as tshark's Info column, with absolute numbers.
    const at = d.offsets[index] as number;
    const length = d.lengths[index] as number;
    const full = length >= 20;
    const view = d.view;
    const flags = full ? (d.data[at + 13] as number) : 0;
    const w = out.reserve(SUMMARY_BYTES);
    let o = putBytes(w, out.used, NAME);
    o = putUint(w, o, view.getUint16(at));
    o = putBytes(w, o, ARROW);
    o = putUint(w, o, view.getUint16(at + 2));
    o = putBytes(w, o, flagLabelOf(flags));
    o = putUint(w, o, length >= 8 ? view.getUint32(at + 4) : 0);
    if (flags & 0x10) {
      o = putBytes(w, o, ACK_TEXT);
      o = putUint(w, o, view.getUint32(at + 8));
    }
    o = putBytes(w, o, WIN_TEXT);
    o = putUint(w, o, full ? view.getUint16(at + 14) : 0);
    o = putBytes(w, o, LEN_TEXT);
    out.used = putUint(w, o, full ? Math.max(0, (d.ends[index] as number) - at - length) : 0);
  },
  quotedAt(d, index, out): void {
    out.bytes(NAME);
    tcpPorts(d, d.offsets[index] as number, out);
  },
  jsonTo(d, index, out): void {
    const length = d.lengths[index] as number;
    if (length !== 20) return out.ascii(tcp.json(tcp.describe(d, index))); // options, or a quoted stub
    const at = d.offsets[index] as number;
    const v = d.view;
    const f = d.data[at + 13] as number;
    const w = out.reserve(JSON_BYTES);
    let o = putJsonHead(w, out.used, d, index, OPEN);
    o = putBytes(w, o, SPORT);
    o = putUint(w, o, v.getUint16(at));
    o = putBytes(w, o, DPORT);
    o = putUint(w, o, v.getUint16(at + 2));
    o = putBytes(w, o, SEQ);
    o = putUint(w, o, v.getUint32(at + 4));
    o = putBytes(w, o, ACK);
    o = putUint(w, o, v.getUint32(at + 8));
    o = putBytes(w, o, flagsJsonOf(f));
    o = putUint(w, o, v.getUint16(at + 14));
    o = putBytes(w, o, HEADER_LENGTH_20);
    o = putUint(w, o, Math.max(0, (d.ends[index] as number) - at - 20));
    o = putBytes(w, o, CHECKSUM);
    o = putUint(w, o, v.getUint16(at + 16));
    o = putBytes(w, o, URGENT);
    o = putUint(w, o, v.getUint16(at + 18));
    out.used = putBytes(w, o, NO_OPTIONS);
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

function tcpPorts(d: Dissection, at: number, out: ByteSink): void {
  out.uint(d.view.getUint16(at));
  out.bytes(ARROW);
  out.uint(d.view.getUint16(at + 2));
}

/** The flag byte as a TcpFlags record. */
export function tcpFlags(flagByte: number): TcpFlags {
  return {
    syn: (flagByte & 0x02) !== 0,
    ack: (flagByte & 0x10) !== 0,
    fin: (flagByte & 0x01) !== 0,
    rst: (flagByte & 0x04) !== 0,
    psh: (flagByte & 0x08) !== 0,
    urg: (flagByte & 0x20) !== 0,
    ece: (flagByte & 0x40) !== 0,
    cwr: (flagByte & 0x80) !== 0,
  };
}

/** "SYN, ACK" in tshark's order: the one flag text (summary line, -V, the UI). */
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

function flagLabel(byte: number): string {
  return ` [${flagText(tcpFlags(byte))}] Seq=`;
}
/** " [SYN, ACK] Seq=" for every flag byte, encoded when a summary line first needs it (not at load: --summary and --json never do). */
let flagLabels: Encoded[] | undefined;
function flagLabelOf(byte: number): Encoded {
  flagLabels ??= Array.from({ length: 256 }, (_, b) => encoded(flagLabel(b)));
  return flagLabels[byte] as Encoded;
}
/** The longest summary: "TCP " and the numbers (16 bytes each at most), the longest flag text (every flag set), the labels. */
const SUMMARY_BYTES = 4 + 5 * 16 + ARROW.length + flagLabel(0xff).length + ACK_TEXT.length + WIN_TEXT.length + LEN_TEXT.length;

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
