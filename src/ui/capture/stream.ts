// Reads captures for the capture pane without ever blocking the UI: packets are
// decoded as they stream in, the event loop is handed back every few milliseconds so keys
// keep working, the kept rows and the counts are handed over a few times a second
// (../pace.ts), and only the first `limit`
// packets are kept (the rest are counted, and counted as the traced connection's
// when they match), so memory stays flat whatever the capture's size. Past the kept
// packets nothing is shown but the counts, so (given `rest`) the files are read on the
// decoder's scan path instead: each packet dissected in the reader's one buffer and matched
// there, no Layer objects (on 1,000,000 packets, decoding them kept the UI's thread busy for
// seconds beside the explainer, and its garbage paused keys).
import type { PacketText } from '../../decode/output/packet-text.ts';
import type { CapturedPacket, DecodePacket, ReadCapture } from '../../decode/types.ts';
import type { Dissection } from '../../decode/dissection.ts';
import { basename } from 'node:path';
import { toRow, type CaptureRow, type DissectionMatcher, type FlowMatcher } from './rows.ts';
import { pacer } from '../pace.ts';

export interface StreamOptions {
  files: string[];
  read: ReadCapture;
  decode: DecodePacket;
  /** The packet's words (summary line, layer sections), asked only for the packets kept. */
  text: (packet: CapturedPacket) => PacketText;
  matches: FlowMatcher;
  /** Packets kept for display. */
  limit?: number;
  /** The rows kept since the last call and the counts so far, a few times a second (../pace.ts REPORT_MS), and once at the end. */
  onBatch(rows: CaptureRow[], total: number, marked: number): void;
  /** Called once, with a one-line error when a file could not be read to its end. */
  onDone(error?: string): void;
  signal?: AbortSignal;
  /** Past the kept packets: the files read on the decoder's scan path (without it, every packet is decoded). */
  rest?: RestScan;
}

export interface RestScan {
  /**
   * Calls `each` with the dissection of every packet of `file` after its first `skip` (false
   * stops) and awaits `between` after each chunk of the file; throws as the reader does on damage.
   */
  scan(file: string, skip: number, each: (d: Dissection) => boolean, between: () => Promise<void> | undefined): Promise<void>;
  /** The traced connection's test, read from the dissection (rows.ts dissectionMatcher). */
  matches: DissectionMatcher;
}

export const DEFAULT_LIMIT = 5000;

// performance.now() is asked once per CHECK packets, not for every packet.
const CHECK = 32;

export async function streamCaptures(options: StreamOptions): Promise<void> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  let total = 0;
  let marked = 0;
  let kept = 0;
  let batch: CaptureRow[] = [];
  let sinceCheck = 0;
  const pace = pacer();
  const flush = (): void => {
    options.onBatch(batch, total, marked);
    batch = [];
  };
  try {
    const several = options.files.length > 1;
    const rest = options.rest;
    for (const [fileIndex, file] of options.files.entries()) {
      const source = several ? basename(file) : undefined;
      let inFile = 0;
      if (rest === undefined || kept < limit) {
        for await (const packet of options.read(file)) {
          if (options.signal?.aborted) return;
          total++;
          inFile++;
          // Decoding packets we will not keep costs little next to reading, and lets
          // the status line count the connection's packets over the whole file.
          const decoded = options.decode(packet);
          const isMarked = options.matches(decoded.layers);
          if (isMarked) marked++;
          if (kept < limit) {
            batch.push(toRow(decoded, options.text(packet), packet.data, isMarked, source, fileIndex));
            kept++;
          }
          // Kept rows go to the screen with the counts, at most every REPORT_MS: each hand-over
          // is a React render and an Ink frame, and one every 200 rows (a few milliseconds of
          // decoding) made drawing most of the UI thread's work and kept keys waiting behind frames.
          if (++sinceCheck >= CHECK) {
            sinceCheck = 0;
            if (pace.sliceUsed()) {
              if (pace.reportDue()) flush();
              await pace.handBack();
            }
          }
          // The rest of the file is only counted: on the scan path, from the next packet.
          if (rest !== undefined && kept >= limit) break;
        }
      }
      if (rest === undefined || kept < limit) continue;
      let stopped = false;
      await rest.scan(
        file,
        inFile,
        (d) => {
          if (options.signal?.aborted) return !(stopped = true);
          total++;
          if (rest.matches(d)) marked++;
          return true;
        },
        () => {
          if (!pace.sliceUsed()) return undefined;
          if (pace.reportDue()) flush();
          return pace.handBack();
        },
      );
      if (stopped) return;
    }
    flush();
    options.onDone();
  } catch (error) {
    flush();
    options.onDone(error instanceof Error ? error.message : String(error));
  }
}
