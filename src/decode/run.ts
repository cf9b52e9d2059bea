// `podpath decode`: reads a capture, decodes every packet and prints it as
// summary lines (default), layered detail (-V, with -x for the bytes), JSON lines
// (--json) or whole-capture counts (--summary). Filters: -c, --vni, --host, --port.
import { CaptureError, UsageError } from '../errors.ts';
import { escapeLine, escapeText } from '../util/escape-text.ts';
import { jsonText, versioned } from '../util/json-output.ts';
import { decodedPacket, dissectPacket, layersOf, packetJson } from './dissect.ts';
import { Dissection } from './dissection.ts';
import { scanCapture } from './read/stream.ts';
import { PCAPNG_CUSTOM_BLOCK } from './read/pcapng.ts';
import { isDecodedLinkType, portTable } from './registry.ts';
import { detailLines, hexLines } from './output/detail.ts';
import { CaptureStats } from './output/stats.ts';
import { summarize } from './output/summary-line.ts';
import { BatchedWriter } from './output/writer.ts';
import type { CapturedPacket, Layer } from './types.ts';
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

function matches(layers: readonly Layer[], options: DecodeCommandOptions, packet: CapturedPacket, displayFilter: PacketPredicate | undefined): boolean {
  if (displayFilter && !displayFilter(layers, packet)) return false;
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
    if (options.json && !filtered && !stats) {
      // Hand-written JSON (capture text escaped to ASCII, so terminal-safe as it is).
      writer.asciiLine(packetJson(packet, d));
      return ++shown < limit;
    }
    const layers = layersOf(d);
    if (filtered && !matches(layers, options, packet, displayFilter)) return true;
    if (stats) {
      stats.add(d, packet.caplen, packet.linkType, packet.timeSec);
      return ++shown < limit;
    }
    const decoded = decodedPacket(packet, layers);
    if (options.json) {
      writer.asciiLine(packetJson(packet, d));
    } else if (options.verbose) {
      for (const line of detailLines(decoded)) writer.line(escapeLine(line));
      if (options.hex) for (const line of hexLines(packet.data)) writer.line(line);
      writer.line('');
    } else {
      const relative = packet.timeSec - firstSec + (packet.timeNsec - firstNsec) / 1e9;
      writer.line(escapeLine(`${String(packet.frame).padStart(5)} ${relative.toFixed(6).padStart(11)} ${summarize(layers)}`));
      if (options.hex) {
        for (const line of hexLines(packet.data)) writer.line(line);
        writer.line('');
      }
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
