// `podpath decode`: reads a capture, decodes every packet and prints it as
// summary lines (default), layered detail (-V, with -x for the bytes), JSON lines
// (--json) or whole-capture counts (--summary). Filters: -c, --vni, --host, --port.
import { CaptureError, UsageError } from '../errors.ts';
import { escapeLine, escapeText } from '../util/escape-text.ts';
import { jsonText, versioned } from '../util/json-output.ts';
import { decodedPacket, dissectPacket, layersOf, writePacketJson } from './dissect.ts';
import { Dissection } from './dissection.ts';
import { scanCapture } from './read/stream.ts';
import { PCAPNG_CUSTOM_BLOCK } from './read/pcapng.ts';
import { isDecodedLinkType, portTable } from './registry.ts';
import { detailLines, hexLines } from './output/detail.ts';
import { CaptureStats } from './output/stats.ts';
import { writeSummary } from './output/summary-line.ts';
import { putByte, putFill, putUint, putUintPadded, putUintZeroPadded, type ByteSink } from './output/sink.ts';
import { BatchedWriter } from './output/writer.ts';
import type { CapturedPacket } from './types.ts';
import type { Dissection as DissectionRecord } from './dissection.ts';
import { compileDisplayFilter, type PacketPredicate } from './filter/compile.ts';

export interface DecodeCommandOptions {
  count?: number;
  verbose?: boolean;
  hex?: boolean;
  json?: boolean;
  summary?: boolean;
  vni?: number;
  host?: string;
  port?: number;
  vxlanPorts?: number[];
  /** `-Y`: a display filter in Wireshark's syntax (src/decode/filter). */
  displayFilter?: string;
}

const FLUSH_BYTES = 1 << 16;

/** -Y first, straight from the dissection; --vni/--host/--port (rare) on the Layer objects, built only for them. */
function matches(d: DissectionRecord, options: DecodeCommandOptions, packet: CapturedPacket, displayFilter: PacketPredicate | undefined): boolean {
  if (displayFilter && !displayFilter(d, packet)) return false;
  if (options.vni === undefined && options.host === undefined && options.port === undefined) return true;
  const layers = layersOf(d);
  if (options.vni !== undefined && !layers.some((l) => (l.type === 'vxlan' || l.type === 'geneve') && l.vni === options.vni)) return false;
  if (options.host !== undefined) {
    const host = options.host;
    if (!layers.some((l) => ((l.type === 'ipv4' || l.type === 'ipv6') && (l.src === host || l.dst === host)) || (l.type === 'arp' && (l.senderIp === host || l.targetIp === host)))) return false;
  }
  if (options.port !== undefined) {
    const port = options.port;
    if (!layers.some((l) => (l.type === 'udp' || l.type === 'tcp') && (l.sport === port || l.dport === port))) return false;
  }
  return true;
}

export async function runDecode(source: string, options: DecodeCommandOptions): Promise<void> {
  if (options.summary && (options.verbose || options.hex)) throw new UsageError('--summary prints counts only; it does not combine with -V or -x');
  const writer = new BatchedWriter();
  const table = portTable({ vxlanPorts: options.vxlanPorts ?? [] });
  const d = new Dissection();
  const stats = options.summary ? new CaptureStats() : null;
  const displayFilter = options.displayFilter !== undefined ? compileDisplayFilter(options.displayFilter) : undefined;
  const filtered = options.vni !== undefined || options.host !== undefined || options.port !== undefined || displayFilter !== undefined;
  const limit = options.count ?? Infinity;
  const file = source === '-' ? '<stdin>' : source;
  let shown = 0;
  let firstSec = -1;
  let firstNsec = 0;
  let checkedLinkType = false;
  const warnedLinkTypes = new Set<number>();

  const onPacket = (packet: CapturedPacket): boolean => {
    if (writer.closed) return false;
    if (!checkedLinkType || packet.linkType !== d.linkType) {
      checkedLinkType = true;
      checkLinkType(packet, file, warnedLinkTypes);
    }
    dissectPacket(d, packet, table);
    // Times are relative to the capture's first packet, shown or not (as tshark prints them under -Y).
    if (firstSec < 0) {
      firstSec = packet.timeSec;
      firstNsec = packet.timeNsec;
    }
    if (stats && !filtered) {
      stats.add(d, packet.caplen, packet.linkType, packet.timeSec);
      return ++shown < limit;
    }
    // The fast paths: bytes from the dissection straight into the output buffer, no Layer objects.
    if (options.json && !filtered && !stats) {
      // Hand-written JSON (capture text escaped to ASCII, so terminal-safe as it is).
      writePacketJson(packet, d, writer);
      writer.byte(0x0a);
      return ++shown < limit;
    }
    if (!filtered && !stats && !options.verbose && !options.json) {
      writeSummaryLine(writer, packet, d, firstSec, firstNsec);
      if (options.hex) writeHex(writer, packet.data);
      return ++shown < limit;
    }
    if (filtered && !matches(d, options, packet, displayFilter)) return true;
    if (stats) {
      stats.add(d, packet.caplen, packet.linkType, packet.timeSec);
      return ++shown < limit;
    }
    if (options.json) {
      writePacketJson(packet, d, writer);
      writer.byte(0x0a);
    } else if (options.verbose) {
      for (const line of detailLines(decodedPacket(packet, layersOf(d)))) writer.line(escapeLine(line));
      if (options.hex) for (const line of hexLines(packet.data)) writer.line(line);
      writer.line('');
    } else {
      writeSummaryLine(writer, packet, d, firstSec, firstNsec);
      if (options.hex) writeHex(writer, packet.data);
    }
    return ++shown < limit;
  };

  let failure: unknown = null;
  try {
    await scanCapture(source, { name: file }, onPacket, () => (writer.pending >= FLUSH_BYTES ? writer.flush() : undefined));
  } catch (error) {
    failure = error;
  }
  if (stats && !writer.closed) {
    if (options.json) writer.line(jsonText(versioned(stats.toJSON()), 0));
    else for (const line of stats.lines()) writer.line(escapeText(line, { keepLineBreaks: true }));
  }
  await writer.flush();
  if (failure !== null) throw failure;
}

/** "    7    0.000222 <summary>": frame number, seconds since the first packet (6 decimals), the summary. */
function writeSummaryLine(out: ByteSink, packet: CapturedPacket, d: Dissection, firstSec: number, firstNsec: number): void {
  // In whole nanoseconds, rounded to microseconds half up (toFixed(6) of the difference).
  const nanos = (packet.timeSec - firstSec) * 1e9 + (packet.timeNsec - firstNsec);
  const negative = nanos < 0;
  const micros = Math.floor((Math.abs(nanos) + 500) / 1000);
  const seconds = Math.floor(micros / 1e6);
  let width = 8; // ".xxxxxx" and one digit
  for (let rest = seconds; rest >= 10; rest = Math.floor(rest / 10)) width++;
  if (negative) width++;
  const w = out.reserve(64);
  let o = putByte(w, putUintPadded(w, out.used, packet.frame, 5), 0x20);
  o = putFill(w, o, 11 - width, 0x20);
  if (negative) o = putByte(w, o, 0x2d);
  o = putByte(w, putUint(w, o, seconds), 0x2e);
  out.used = putByte(w, putUintZeroPadded(w, o, micros - seconds * 1e6, 6), 0x20);
  writeSummary(d, out);
  out.byte(0x0a);
}

function writeHex(writer: BatchedWriter, data: Uint8Array): void {
  for (const line of hexLines(data)) writer.line(line);
  writer.line('');
}

function checkLinkType(packet: CapturedPacket, file: string, warned: Set<number>): void {
  if (isDecodedLinkType(packet.linkType) || packet.linkType === PCAPNG_CUSTOM_BLOCK) return;
  if (packet.interfaceId === undefined) {
    // Classic pcap: one link type for the whole file, given in the header at byte 20.
    throw new CaptureError(file, 20, `link type ${packet.linkType} is not one podpath decodes (Ethernet 1, raw IP 101, Linux cooked 113 and 276, NFLOG 239, loopback 0)`);
  }
  if (!warned.has(packet.linkType)) {
    warned.add(packet.linkType);
    process.stderr.write(escapeLine(`podpath: ${file}: byte ${packet.fileOffset}: warning: interface ${packet.interfaceId} has link type ${packet.linkType}, which podpath does not decode; its frames are shown as payload`) + '\n');
  }
}
