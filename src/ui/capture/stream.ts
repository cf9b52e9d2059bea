// Reads captures for the capture pane without ever blocking the UI: packets are
// decoded as they stream in, the kept ones handed over in small batches, the event loop
// is handed back every few milliseconds so keys keep working and the counts past the kept
// packets are reported a few times a second (../pace.ts), and only the first `limit`
// packets are kept (the rest are counted, and counted as the traced connection's
// when they match), so memory stays flat whatever the capture's size.
import type { PacketText } from '../../decode/output/packet-text.ts';
import type { CapturedPacket, DecodePacket, ReadCapture } from '../../decode/types.ts';
import { basename } from 'node:path';
import { toRow, type CaptureRow, type FlowMatcher } from './rows.ts';
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
  /** Kept packets per batch handed to onBatch (past the kept ones, onBatch says only the counts, a few times a second). */
  batchSize?: number;
  onBatch(rows: CaptureRow[], total: number, marked: number): void;
  /** Called once, with a one-line error when a file could not be read to its end. */
  onDone(error?: string): void;
  signal?: AbortSignal;
}

export const DEFAULT_LIMIT = 5000;

// performance.now() is asked once per CHECK packets, not for every packet.
const CHECK = 32;

export async function streamCaptures(options: StreamOptions): Promise<void> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  const batchSize = options.batchSize ?? 200;
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
    for (const [fileIndex, file] of options.files.entries()) {
      const source = several ? basename(file) : undefined;
      for await (const packet of options.read(file)) {
        if (options.signal?.aborted) return;
        total++;
        // Decoding packets we will not keep costs little next to reading, and lets
        // the status line count the connection's packets over the whole file.
        const decoded = options.decode(packet);
        const isMarked = options.matches(decoded.layers);
        if (isMarked) marked++;
        if (kept < limit) {
          batch.push(toRow(decoded, options.text(packet), packet.data, isMarked, source, fileIndex));
          kept++;
        }
        if (batch.length >= batchSize) {
          flush();
          await pace.handBack();
        } else if (++sinceCheck >= CHECK) {
          sinceCheck = 0;
          if (pace.sliceUsed()) {
            if (pace.reportDue()) flush();
            await pace.handBack();
          }
        }
      }
    }
    flush();
    options.onDone();
  } catch (error) {
    flush();
    options.onDone(error instanceof Error ? error.message : String(error));
  }
}
