// Feeds a capture to the right RecordParser chunk by chunk. Memory holds one
// chunk plus the unread tail of the previous one (at most one record), whatever
// the file size. The format is told by the first four bytes.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { CaptureError } from '../../errors.ts';
import type { CapturedPacket, ReadOptions } from '../types.ts';
import { PcapParser, pcapMagic } from './pcap.ts';
import { PcapngParser, SHB_TYPE } from './pcapng.ts';
import { MAX_RECORD_BYTES, type EmitPacket, type ParserContext, type RecordParser } from './record-parser.ts';

const CHUNK_BYTES = 1 << 20;

export interface ScanResult {
  /** Records read (emitted) before the end, a stop, or an error. */
  packets: number;
  /** Bytes consumed from the source. */
  bytes: number;
  format: 'pcap' | 'pcapng' | 'none';
}

export function sourceName(source: string | NodeJS.ReadableStream, options: ReadOptions): string {
  if (options.name !== undefined) return options.name;
  if (typeof source === 'string') return source === '-' ? '<stdin>' : source;
  return '<stdin>';
}

function openSource(source: string | NodeJS.ReadableStream): NodeJS.ReadableStream {
  if (typeof source !== 'string') return source;
  if (source === '-') return process.stdin;
  return createReadStream(source, { highWaterMark: CHUNK_BYTES });
}

function detect(head: Uint8Array, context: ParserContext): RecordParser {
  const view = new DataView(head.buffer, head.byteOffset, 4);
  if (pcapMagic(view)) return new PcapParser(context);
  if (view.getUint32(0, true) === SHB_TYPE) return new PcapngParser(context);
  throw new CaptureError(context.file, 0, `not a pcap or pcapng capture: it starts with ${describeStart(head)}`);
}

function describeStart(head: Uint8Array): string {
  const bytes = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(head.subarray(0, 16), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `bytes ${bytes} ("${text}"); a pcap file starts with a1 b2 c3 d4 or d4 c3 b2 a1, a pcapng file with 0a 0d 0d 0a`;
}

/**
 * The fast path: calls `onPacket` synchronously for every record, with one reused
 * CapturedPacket whose `data` is valid only during the call. Return false to stop.
 */
export async function scanCapture(
  source: string | NodeJS.ReadableStream,
  options: ReadOptions,
  onPacket: EmitPacket,
  /** Awaited after each chunk (the CLI flushes its batched output here, with backpressure). */
  onChunkEnd?: () => Promise<void> | undefined,
): Promise<ScanResult> {
  const file = sourceName(source, options);
  let packets = 0;
  const context: ParserContext = {
    file,
    emit: (packet) => {
      packets++;
      return onPacket(packet);
    },
    warn: options.onWarning ?? (() => undefined),
  };
  if (typeof source === 'string' && source !== '-') return scanFile(source, context, options.chunkBytes ?? CHUNK_BYTES, onChunkEnd, () => packets);
  const stream = openSource(source);
  let parser: RecordParser | null = null;
  let pending: Uint8Array | null = null;
  let base = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      const bytes = withPending(pending, chunkBytes(chunk, file, base));
      if (parser === null) {
        if (bytes.length < 4) {
          pending = bytes;
          continue;
        }
        parser = detect(bytes, context);
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const consumed = parser.parse(bytes, view, 0, bytes.length, base);
      base += consumed;
      pending = consumed < bytes.length ? bytes.subarray(consumed) : null;
      if (onChunkEnd) await onChunkEnd();
      if (parser.stopped) break;
    }
    if (parser === null) {
      throw missingHeader(file, pending?.length ?? 0);
    }
    if (!parser.stopped) {
      const rest = pending ?? new Uint8Array(0);
      parser.finish(new DataView(rest.buffer, rest.byteOffset, rest.byteLength), 0, rest.length, base);
    }
  } finally {
    if (typeof source === 'string' && source !== '-') (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }
  return { packets, bytes: base, format: parser instanceof PcapngParser ? 'pcapng' : 'pcap' };
}

/** Room before each read for the unread tail of the previous one: at most one record or block. */
const TAIL_ROOM = MAX_RECORD_BYTES + 65536 + 64;

/**
 * scanCapture for a file: reads into two reused buffers, the next read filling one while
 * the parser works through the other (the read runs on libuv's thread pool, on the other
 * core: reading 206 MB took ~35 ms of wall time in which the parser waited). Each read
 * lands after TAIL_ROOM bytes, where the unread tail of the previous buffer is copied.
 * No chunk is allocated per read, which keeps memory flat and the garbage collector idle;
 * the cursor is consumed inside the callback, so nothing needs to outlive a read.
 */
async function scanFile(
  path: string,
  context: ParserContext,
  chunkBytes: number,
  onChunkEnd: (() => Promise<void> | undefined) | undefined,
  count: () => number,
): Promise<ScanResult> {
  const handle = await open(path, 'r');
  const buffers = [Buffer.allocUnsafe(TAIL_ROOM + chunkBytes), Buffer.allocUnsafe(TAIL_ROOM + chunkBytes)] as const;
  const views = buffers.map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
  let parser: RecordParser | null = null;
  let current = 0;
  /** Unread bytes of the previous read, just before TAIL_ROOM in buffers[current]. */
  let tail = 0;
  /** File offset of the first unread byte. */
  let offset = 0;
  let reading: Promise<{ bytesRead: number }> | null = handle.read(buffers[0], TAIL_ROOM, chunkBytes, null);
  try {
    for (;;) {
      const { bytesRead } = await reading;
      reading = null;
      if (bytesRead === 0) break;
      const buffer = buffers[current] as Buffer;
      const view = views[current] as DataView;
      const start = TAIL_ROOM - tail;
      const end = TAIL_ROOM + bytesRead;
      const next = 1 - current;
      // Issued only once the previous read is done, so reads at the file position stay in order.
      reading = handle.read(buffers[next] as Buffer, TAIL_ROOM, chunkBytes, null);
      let consumed = start;
      if (parser !== null || end - start >= 4) {
        parser ??= detect(buffer.subarray(start, end), context);
        consumed = parser.parse(buffer, view, start, end, offset - start);
      }
      offset += consumed - start;
      tail = end - consumed;
      // Cannot happen: both parsers refuse a record or block longer than MAX_RECORD_BYTES + 64 KiB first.
      if (tail > TAIL_ROOM) throw new Error(`read/stream.ts: ${tail} unread bytes do not fit the ${TAIL_ROOM}-byte tail room`);
      buffer.copy(buffers[next] as Buffer, TAIL_ROOM - tail, consumed, end);
      current = next;
      if (onChunkEnd) await onChunkEnd();
      if (parser?.stopped) break;
    }
    if (parser === null) {
      throw missingHeader(context.file, tail);
    }
    if (!parser.stopped) parser.finish(views[current] as DataView, TAIL_ROOM - tail, TAIL_ROOM, offset - (TAIL_ROOM - tail));
  } finally {
    // A read still under way (stopped early, or an error): let it end before the file closes.
    if (reading !== null) await reading.catch(() => undefined);
    await handle.close();
  }
  return { packets: count(), bytes: offset, format: parser instanceof PcapngParser ? 'pcapng' : 'pcap' };
}

/**
 * Streams packets as an AsyncIterable. Each packet is a fresh object; its `data` views a
 * chunk that is not reused, so it stays valid. Packets read before a damaged record
 * are yielded first, then the CaptureError is thrown.
 */
export async function* readCapture(
  source: string | NodeJS.ReadableStream,
  options: ReadOptions = {},
): AsyncIterable<CapturedPacket> {
  const file = sourceName(source, options);
  const context: ParserContext = { file, emit: () => true, warn: options.onWarning ?? (() => undefined) };
  const stream = openSource(source);
  let parser: RecordParser | null = null;
  let pending: Uint8Array | null = null;
  let base = 0;
  let batch: CapturedPacket[] = [];
  context.emit = (packet) => {
    batch.push(packet.snapshot());
  };
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      const bytes = withPending(pending, chunkBytes(chunk, file, base));
      if (parser === null) {
        if (bytes.length < 4) {
          pending = bytes;
          continue;
        }
        parser = detect(bytes, context);
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let failure: unknown = null;
      let consumed = 0;
      try {
        consumed = parser.parse(bytes, view, 0, bytes.length, base);
      } catch (error) {
        failure = error;
      }
      const ready = batch;
      batch = [];
      yield* ready;
      if (failure !== null) throw failure;
      base += consumed;
      pending = consumed < bytes.length ? bytes.subarray(consumed) : null;
    }
    if (parser === null) {
      throw missingHeader(file, pending?.length ?? 0);
    }
    const rest = pending ?? new Uint8Array(0);
    parser.finish(new DataView(rest.buffer, rest.byteOffset, rest.byteLength), 0, rest.length, base);
  } finally {
    if (typeof source === 'string' && source !== '-') (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }
}

/** A record cut by a chunk boundary: the unread tail of the last chunk goes before the next one. */
function withPending(pending: Uint8Array | null, chunk: Uint8Array): Uint8Array {
  if (pending === null) return chunk;
  const joined = new Uint8Array(pending.length + chunk.length);
  joined.set(pending, 0);
  joined.set(chunk, pending.length);
  return joined;
}

function chunkBytes(chunk: Uint8Array | string, file: string, offset: number): Uint8Array {
  if (typeof chunk === 'string') throw new CaptureError(file, offset, 'capture stream is in text mode; give it as bytes');
  return chunk;
}

/** The stream ended before the 4 bytes that tell pcap from pcapng. */
function missingHeader(file: string, have: number): CaptureError {
  return new CaptureError(file, have, have === 0 ? 'empty file: no capture header' : `file too short for a capture header (${have} bytes)`);
}
