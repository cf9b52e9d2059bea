// A decoded packet turned into what the capture pane shows: one summary row, a
// layer tree (outer layers, then the tunnelled ones indented), and the bytes for
// the hex view. The words are the decoder's (PacketText: `podpath decode`'s summary
// line and -V sections); built once per kept packet, every string escaped here,
// because captured bytes (HTTP lines, NFLOG prefixes) may hold terminal escapes.
import type { PacketText } from '../../decode/output/packet-text.ts';
import type { DecodedPacket, Layer } from '../../decode/types.ts';
import { Kind, QUOTED, type Dissection } from '../../decode/dissection.ts';
import { ipv4Text, ipv6Text } from '../../decode/layers/text.ts';
import type { TraceResult } from '../../trace/model.ts';
import { escapeLine } from '../../util/escape-text.ts';
import { parseIpv4 } from '../../util/address.ts';

export interface LayerLine {
  /** Tunnel depth: 0 outer, 1 inside the first tunnel, … */
  depth: number;
  title: string;
  fields: string[];
  offset: number;
  length: number;
}

export interface CaptureRow {
  /** The capture file's name, when several were given (frame numbers restart per file). */
  source?: string | undefined;
  /** Index of the capture file in the list given (with frame, names the packet the explainer speaks of). */
  file: number;
  frame: number;
  time: string;
  summary: string;
  layers: LayerLine[];
  /** A copy of the first bytes (at most HEX_LIMIT), for the hex view. */
  bytes: Uint8Array;
  caplen: number;
  /** The packet belongs to the traced connection (either direction). */
  marked: boolean;
  searchText: string;
}

export const HEX_LIMIT = 2048;

/** The connection the trace follows, in a form packets can be compared with. */
export interface FlowMatcher {
  (layers: Layer[]): boolean;
}

/** The same question asked of a packet's dissection (no Layer objects): the Capture pane past its kept packets. */
export interface DissectionMatcher {
  (d: Dissection): boolean;
}

/** Where a packet's connection is, in either form: its innermost (or quoted) IP header and the ports after it. */
interface Endpoints {
  src: string;
  dst: string;
  sport: number | undefined;
  dport: number | undefined;
}

/**
 * Packets of the traced connection: the innermost IP header and ports equal one of
 * the trace's hop packets (before or after NAT), in either direction, or an ICMP
 * error quotes such a packet. The source port is compared only when the trace fixed
 * one (`--sport`).
 */
interface ConnectionTest {
  (e: Endpoints | undefined): boolean;
  /** Every address a key names: a packet matches only when both its addresses are among them. */
  addresses: Set<string>;
}

function connectionTest(trace: TraceResult): ConnectionTest {
  const keys = new Set<string>();
  const addresses = new Set<string>();
  for (const path of trace.paths) {
    for (const hop of path.hops) {
      const p = hop.packet;
      keys.add(`${p.src}|${p.dst}|${p.sport ?? '*'}|${p.dport ?? '*'}`);
      addresses.add(p.src).add(p.dst);
      for (const step of hop.steps) {
        if (step.type !== 'nat') continue;
        const after = { ...p };
        for (const d of step.diffs) (after as Record<string, unknown>)[d.field] = d.new;
        keys.add(`${after.src}|${after.dst}|${after.sport ?? '*'}|${after.dport ?? '*'}`);
        addresses.add(after.src).add(after.dst);
      }
    }
  }
  const has = (src: string, dst: string, sport: number | undefined, dport: number | undefined): boolean =>
    keys.has(`${src}|${dst}|${sport ?? '*'}|${dport ?? '*'}`) ||
    keys.has(`${src}|${dst}|*|${dport ?? '*'}`) ||
    keys.has(`${src}|${dst}|*|*`);
  const test = (e: Endpoints | undefined): boolean => e !== undefined && (has(e.src, e.dst, e.sport, e.dport) || has(e.dst, e.src, e.dport, e.sport));
  return Object.assign(test, { addresses });
}

/** The IPv4 addresses among `addresses` as the numbers their four bytes read as (big-endian), for a test without strings. */
function ipv4Numbers(addresses: Set<string>): Set<number> {
  const numbers = new Set<number>();
  for (const a of addresses) {
    // parseIpv4 takes only the dotted quad ipv4Text writes, so no other text can match a packet.
    const n = parseIpv4(a);
    if (n !== undefined) numbers.add(n);
  }
  return numbers;
}

export function flowMatcher(trace: TraceResult): FlowMatcher {
  const matches = connectionTest(trace);
  const endpoints = (layers: Layer[], quoted: boolean): Endpoints | undefined => {
    let ip: { src: string; dst: string } | undefined;
    let ports: { sport: number; dport: number } | undefined;
    for (const layer of layers) {
      if (Boolean(layer.quoted) !== quoted) continue;
      if (layer.type === 'ipv4' || layer.type === 'ipv6') {
        ip = layer;
        ports = undefined;
      } else if (layer.type === 'tcp' || layer.type === 'udp') ports = layer;
    }
    return ip && { src: ip.src, dst: ip.dst, sport: ports?.sport, dport: ports?.dport };
  };
  // An ICMP error quoting the connection's packet belongs to it too (tshark's filters
  // match the quoted header the same way): it is often the answer the client got.
  return (layers) => matches(endpoints(layers, false)) || (layers.some((l) => l.quoted) && matches(endpoints(layers, true)));
}

/**
 * flowMatcher read from the dissection: the same layers (a Layer object is made per dissected
 * layer, layersOf), the addresses in the same text (ipv4Text, ipv6Text, as the IP codecs'
 * describe) and the ports from the same bytes (the TCP and UDP codecs').
 */
export function dissectionMatcher(trace: TraceResult): DissectionMatcher {
  const matches = connectionTest(trace);
  const v4Addresses = ipv4Numbers(matches.addresses);
  const endpoints = (d: Dissection, quoted: number): Endpoints | undefined => {
    let ip = -1;
    let ports = -1;
    for (let i = 0; i < d.count; i++) {
      if (((d.flags[i] as number) & QUOTED) !== quoted) continue;
      const kind = d.kinds[i];
      if (kind === Kind.IPV4 || kind === Kind.IPV6) {
        ip = i;
        ports = -1;
      } else if (kind === Kind.TCP || kind === Kind.UDP) ports = i;
    }
    if (ip < 0) return undefined;
    const at = d.offsets[ip] as number;
    const v4 = d.kinds[ip] === Kind.IPV4;
    // Most packets are of other connections: told so from the address bytes, before any text is made.
    if (v4 && !(v4Addresses.has(d.view.getUint32(at + 12)) && v4Addresses.has(d.view.getUint32(at + 16)))) return undefined;
    const portsAt = ports < 0 ? -1 : (d.offsets[ports] as number);
    return {
      src: v4 ? ipv4Text(d.data, at + 12) : ipv6Text(d.data, at + 8),
      dst: v4 ? ipv4Text(d.data, at + 16) : ipv6Text(d.data, at + 24),
      sport: portsAt < 0 ? undefined : d.view.getUint16(portsAt),
      dport: portsAt < 0 ? undefined : d.view.getUint16(portsAt + 2),
    };
  };
  const anyQuoted = (d: Dissection): boolean => {
    for (let i = 0; i < d.count; i++) if ((d.flags[i] as number) & QUOTED) return true;
    return false;
  };
  return (d) => matches(endpoints(d, 0)) || (anyQuoted(d) && matches(endpoints(d, QUOTED)));
}

export function toRow(decoded: DecodedPacket, text: PacketText, data: Uint8Array, marked: boolean, source?: string, file = 0): CaptureRow {
  const layers: LayerLine[] = text.layers.map((l) => ({ depth: l.depth, title: escapeLine(l.title), fields: l.lines.map(escapeLine), offset: l.offset, length: l.length }));
  const summary = escapeLine(text.summary);
  return {
    ...(source === undefined ? {} : { source: escapeLine(source) }),
    file,
    frame: decoded.frame,
    time: decoded.time,
    summary,
    layers,
    // A copy of its own: the reader's packets are Buffers, whose slice() is a view that would keep
    // the whole read chunk alive (and a structured clone, from the streamer's worker, copies it whole).
    bytes: new Uint8Array(data.subarray(0, HEX_LIMIT)),
    caplen: decoded.caplen,
    marked,
    searchText: [source ?? '', summary, ...layers.map((l) => l.title)].join('\n').toLowerCase(),
  };
}

/** Classic hex dump rows: offset, 16 bytes, ASCII (non-printables as dots). */
export function hexRows(bytes: Uint8Array, from = 0, count = Infinity): { offset: number; hex: string; ascii: string }[] {
  const rows: { offset: number; hex: string; ascii: string }[] = [];
  for (let offset = from * 16; offset < bytes.length && rows.length < count; offset += 16) {
    const chunk = bytes.subarray(offset, offset + 16);
    const cells: string[] = [];
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const b = chunk[i];
      cells.push(b === undefined ? '  ' : b.toString(16).padStart(2, '0'));
      ascii += b === undefined ? ' ' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    rows.push({ offset, hex: `${cells.slice(0, 8).join(' ')}  ${cells.slice(8).join(' ')}`, ascii });
  }
  return rows;
}
