// The one reader for text inputs (dumps, transcripts, stdin). It counts the bytes it
// actually reads — stat().size is 0 for /dev/zero, pipes and `-` — and stops at a cap,
// so no input can grow podpath's memory without bound (`topology /dev/zero` reached
// 8.5 GB in 30 s). A caller can stop it after the first chunk (a binary file is known
// by its first 8 KiB). Opening and reading are asynchronous: a FIFO with no writer
// blocks its open() in a worker thread, and podpath says on stderr what it waits for
// instead of hanging silently (`podpath topology <(ssh node ip a)` is a pipe too, so
// non-regular files are read, not refused). A regular file cannot block: it is read at once,
// synchronously, into one buffer of its size (a bundle's twenty small files each cost four
// thread-pool round trips read the other way, ~30 ms of a small `podpath topology` spent idle,
// and a big dump's chunks were held twice while being joined).
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { UsageError } from '../errors.ts';

const MB = 1024 * 1024;
const CHUNK_BYTES = 1 << 20;
/** After this long with nothing read, say what podpath waits for. */
const WAIT_NOTICE_MS = 2000;

/** The cap: 256 MB (a 150,000-rule kube-proxy iptables-save is about 60 MB); PODPATH_MAX_INPUT_MB lowers or raises it. */
export function maxInputBytes(): number {
  const mb = Number(process.env['PODPATH_MAX_INPUT_MB']);
  return (Number.isFinite(mb) && mb > 0 ? mb : 256) * MB;
}

/** An input past the cap: unusable as a dump (exit 2), said with its name and the cap. */
export class InputTooLargeError extends UsageError {
  override name = 'InputTooLargeError';
  constructor(
    readonly file: string,
    readonly limitBytes: number,
  ) {
    super(`${file}: input larger than ${Math.round(limitBytes / MB)} MB, more than podpath reads as a dump (is it the right file? PODPATH_MAX_INPUT_MB raises the limit)`);
  }
}

export interface BoundedReadOptions {
  /** Name used in messages (`<stdin>`, a display path). */
  name: string;
  limitBytes?: number;
  /** Called with the first chunk; returning true stops reading (the bytes so far are returned). */
  stopAfterFirst?: (head: Buffer) => boolean;
  /** Where the waiting notice goes (stderr by default). */
  notice?: (text: string) => void;
}

export interface BoundedReadResult {
  bytes: Buffer;
  /** True when stopAfterFirst ended the read early. */
  stoppedEarly: boolean;
}

/** Reads `path` ('-' is stdin) to its end, or throws InputTooLargeError past the cap. */
export async function readBoundedInput(path: string, options: BoundedReadOptions): Promise<BoundedReadResult> {
  const limit = options.limitBytes ?? maxInputBytes();
  const notice = options.notice ?? ((text: string) => process.stderr.write(`podpath: ${text}\n`));
  let progressed = false;
  const what = path === '-' ? 'input on stdin (paste the transcript, then press Ctrl-D)' : `${options.name} (a FIFO or device: nothing has written to it yet)`;
  const timer = setTimeout(() => {
    if (!progressed) notice(`waiting for ${what}`);
  }, WAIT_NOTICE_MS);
  timer.unref();
  const chunks: Buffer[] = [];
  let total = 0;
  const take = (chunk: Buffer): boolean => {
    progressed = true;
    if (chunk.length === 0) return true;
    if (total + chunk.length > limit) throw new InputTooLargeError(options.name, limit);
    chunks.push(chunk);
    total += chunk.length;
    return chunks.length === 1 && options.stopAfterFirst !== undefined && options.stopAfterFirst(chunk);
  };
  try {
    if (path === '-') {
      for await (const chunk of process.stdin as AsyncIterable<Buffer | string>) {
        if (take(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
          process.stdin.destroy();
          return { bytes: Buffer.concat(chunks, total), stoppedEarly: true };
        }
      }
      return { bytes: Buffer.concat(chunks, total), stoppedEarly: false };
    }
    const regular = readRegularFile(path, limit, options);
    if (regular !== undefined) return regular;
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) break;
        // Copied out at its length: a pipe gives 64 KiB reads, and keeping each 1 MiB buffer would
        // hold 16 times the input.
        if (take(Buffer.from(buffer.subarray(0, bytesRead)))) return { bytes: Buffer.concat(chunks, total), stoppedEarly: true };
      }
    } finally {
      await handle.close();
    }
    return { bytes: Buffer.concat(chunks, total), stoppedEarly: false };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `path` read whole when it is a regular file (undefined otherwise: opening a FIFO with no
 * writer would block, so it is stat()ed first, not opened). The first chunk goes to
 * stopAfterFirst before the rest is read, as for a pipe, so a 200 MB capture named as a dump
 * costs one chunk. stat's size is a hint (/proc files say 0; a file may grow): the read goes on to
 * the file's end, within the cap.
 */
function readRegularFile(path: string, limit: number, options: BoundedReadOptions): BoundedReadResult | undefined {
  if (!statSync(path).isFile()) return undefined;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > limit) throw new InputTooLargeError(options.name, limit);
    let bytes = Buffer.allocUnsafe(Math.min(Math.max(size, 1), CHUNK_BYTES));
    let total = readSync(fd, bytes, 0, bytes.length, null);
    if (options.stopAfterFirst?.(bytes.subarray(0, total))) return { bytes: bytes.subarray(0, total), stoppedEarly: true };
    if (total === bytes.length) {
      const whole = Buffer.allocUnsafe(Math.max(size, total + CHUNK_BYTES));
      bytes.copy(whole, 0, 0, total);
      bytes = whole;
      for (;;) {
        if (total === bytes.length) {
          if (total >= limit) {
            if (readSync(fd, Buffer.allocUnsafe(1), 0, 1, null) > 0) throw new InputTooLargeError(options.name, limit);
            break;
          }
          const bigger = Buffer.allocUnsafe(Math.min(limit, 2 * bytes.length));
          bytes.copy(bigger, 0, 0, total);
          bytes = bigger;
        }
        const read = readSync(fd, bytes, total, bytes.length - total, null);
        if (read === 0) break;
        total += read;
      }
    }
    return { bytes: total === bytes.length ? bytes : bytes.subarray(0, total), stoppedEarly: false };
  } finally {
    closeSync(fd);
  }
}
