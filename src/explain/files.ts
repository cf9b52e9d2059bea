// Reading captures for the explainer: tell captures from dump inputs by content
// (pcap and pcapng magic numbers; an extension only when the file cannot be read
// yet), and decode them with the VXLAN ports the dumps name (a bundle's `ip -d link`),
// so a VXLAN device on an unusual port is decoded too.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { decodePacket, Dissection, portTable, readCapture, scanCapture } from '../decode/index.ts';
import { dissectPacket } from '../decode/dissect.ts';
import type { DecodedPacket, DecodeOptions, ReadOptions } from '../decode/types.ts';
import { CaptureError, PodpathError } from '../errors.ts';
import type { CaptureData, PacketScan } from './explain.ts';
import { FactsReader } from './facts-scan.ts';

const MAGICS = new Set(['a1b2c3d4', 'd4c3b2a1', 'a1b23c4d', '4d3cb2a1', '0a0d0d0a']);
const EXTENSIONS = new Set(['.pcap', '.pcapng', '.cap']);

/** True when `path` is a regular file starting with a pcap or pcapng magic number (or, if empty, named like one). */
export function looksLikeCapture(path: string): boolean {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return EXTENSIONS.has(extname(path).toLowerCase());
  }
  if (!stat.isFile()) return false;
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, head, 0, 4, 0);
    if (n === 4 && MAGICS.has(head.toString('hex'))) return true;
  } finally {
    closeSync(fd);
  }
  return stat.size < 4 && EXTENSIONS.has(extname(path).toLowerCase());
}

/**
 * One capture, read and decoded as the explainer consumes it: a scan that dissects each packet
 * in the reader's one reused buffer (scanCapture) and hands its facts (facts-scan.ts, no Layer
 * objects) to the explainer synchronously, so nothing of a packet outlives its turn but the
 * explainer's few kept facts. Damage after
 * some packets becomes an error next to the packets before it; damage before the first packet
 * raises the reader's CaptureError (one line, exit 2).
 */
export function captureFile(file: string, options: DecodeOptions & Pick<ReadOptions, 'chunkBytes'>): CaptureData & { packets: PacketScan } {
  const errors: string[] = [];
  const name = file === '-' ? '<stdin>' : file;
  const packets: PacketScan = {
    async scanFacts(each, between) {
      let count = 0;
      const dissection = new Dissection();
      const table = portTable(options);
      const reader = new FactsReader();
      try {
        await scanCapture(file, { name, onWarning: (w) => errors.push(`byte ${w.offset}: ${w.reason}`), ...(options.chunkBytes === undefined ? {} : { chunkBytes: options.chunkBytes }) }, (raw) => {
          count++;
          dissectPacket(dissection, raw, table);
          each(reader.read(raw, dissection, -1));
          return true;
        }, between);
      } catch (error) {
        if (!(error instanceof PodpathError) || count === 0) throw error;
        // The file is said beside the error (the warning's own file), so only the offset and what broke.
        errors.push(`${error instanceof CaptureError ? `byte ${error.offset}: ${error.reason}` : error.message}; reading stopped there, the ${count} packet${count === 1 ? '' : 's'} before it are explained`);
      }
    },
  };
  return { file, packets, errors };
}

/** The same capture as an async iterable, for callers that pace the reading themselves (the UI) or want the packets too. */
export function captureIterable(file: string, options: DecodeOptions): CaptureData & { packets: AsyncIterable<DecodedPacket> } {
  const errors: string[] = [];
  async function* packets(): AsyncGenerator<DecodedPacket> {
    let count = 0;
    try {
      for await (const raw of readCapture(file, { name: file === '-' ? '<stdin>' : file, onWarning: (w) => errors.push(`byte ${w.offset}: ${w.reason}`) })) {
        count++;
        yield decodePacket(raw, options);
      }
    } catch (error) {
      if (!(error instanceof PodpathError) || count === 0) throw error;
      // The file is said beside the error (the warning's own file), so only the offset and what broke.
        errors.push(`${error instanceof CaptureError ? `byte ${error.offset}: ${error.reason}` : error.message}; reading stopped there, the ${count} packet${count === 1 ? '' : 's'} before it are explained`);
    }
  }
  return { file, packets: packets(), errors };
}

/** Reads and decodes one whole capture into memory (for callers that want the packets too, like the UI). */
export async function readCaptureFile(file: string, options: DecodeOptions): Promise<CaptureData & { packets: DecodedPacket[] }> {
  const data = captureIterable(file, options);
  const packets: DecodedPacket[] = [];
  for await (const packet of data.packets) packets.push(packet);
  return { ...data, packets };
}
