// Reading captures for the explainer: tell captures from dump inputs by content
// (pcap and pcapng magic numbers; an extension only when the file cannot be read
// yet), and decode them with the VXLAN ports the dumps name (a bundle's `ip -d link`),
// so a VXLAN device on an unusual port is decoded too.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { decodePacket, readCapture } from '../decode/index.ts';
import type { DecodedPacket, DecodeOptions } from '../decode/types.ts';
import { PodpathError } from '../errors.ts';
import type { CaptureData } from './explain.ts';

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

/** Reads and decodes one capture; damage after some packets becomes an error next to the packets before it. */
export async function readCaptureFile(file: string, options: DecodeOptions): Promise<CaptureData> {
  const packets: DecodedPacket[] = [];
  const errors: string[] = [];
  try {
    for await (const raw of readCapture(file, { name: file, onWarning: (w) => errors.push(`byte ${w.offset}: ${w.reason}`) })) {
      packets.push(decodePacket(raw, options));
    }
  } catch (error) {
    if (!(error instanceof PodpathError)) throw error;
    if (packets.length === 0) throw error;
    errors.push(error.message);
  }
  return { file, packets, errors };
}
