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
import { digitCount, putByte, putFill, putUint, putUintPadded, putUintZeroPadded, type ByteSink } from './output/sink.ts';
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

  // The fast paths, decided once: bytes from the dissection straight into the output buffer, no Layer objects.
  const countOnly = stats !== null && !filtered;
  const fastJson = options.json === true && !filtered && !stats;
  const fastLines = !filtered && !stats && !options.verbose && !options.json;
  const hex = options.hex === true;

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
    if (fastLines) {
      writeSummaryLine(writer, packet, d, firstSec, firstNsec);
      if (hex) writeHex(writer, packet.data);
      return ++shown < limit;
    }
    if (fastJson) {
      // Hand-written JSON (capture text escaped to ASCII, so terminal-safe as it is).
      writePacketJson(packet, d, writer);
      writer.byte(0x0a);
      return ++shown < limit;
    }
    if (countOnly) {
      stats.add(d, packet.caplen, packet.linkType, packet.timeSec);
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
  // The time since the first packet in whole seconds and nanoseconds, rounded to microseconds
  // half up as toFixed(6) would: integers only, so it stays exact and in small-integer code
  // however far apart the packets are (in nanoseconds as one double it deoptimized each time
  // the difference outgrew another range).
  let seconds = packet.timeSec - firstSec;
  let nanos = packet.timeNsec - firstNsec;
  if (nanos < 0 || nanos >= 1e9) {
    const carry = Math.floor(nanos / 1e9);
    seconds += carry;
    nanos -= carry * 1e9;
  }
  const negative = seconds < 0;
  if (negative && nanos > 0) {
    seconds = -seconds - 1;
    nanos = 1e9 - nanos;
  } else if (negative) seconds = -seconds;
  let micros = Math.floor((nanos + 500) / 1000);
  if (micros === 1e6) {
    seconds += 1;
    micros = 0;
  }
  const w = out.reserve(64);
  let o = putByte(w, putUintPadded(w, out.used, packet.frame, 5), 0x20);
  o = putFill(w, o, 11 - 7 - digitCount(seconds) - (negative ? 1 : 0), 0x20); // ".xxxxxx" and the seconds
  if (negative) o = putByte(w, o, 0x2d);
  o = putByte(w, putUint(w, o, seconds), 0x2e);
  out.used = putByte(w, putUintZeroPadded(w, o, micros, 6), 0x20);
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
