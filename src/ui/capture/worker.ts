// The Capture pane's streamer on a thread of its own (../thread.ts says how, and why this module
// must be imported only with import()). With the explainer off the UI's thread, the streamer
// was most of what was left on it while a 1,000,000-packet capture was read: decoding the kept
// rows, dissecting the rest, and their garbage (interleaved runs at load 9: keys' median 97 ms
// with it there, 53 without it). The UI gets the rows and counts a few times a second, as the
// streamer hands them over on the UI's thread (stream.ts), then its end.
//
// The trace travels as it is (plain data, as `podpath trace --json` prints it): the streamer
// needs only the traced connection's addresses and ports, to mark its packets. The rows come
// back packed (packed-rows.ts says why).
import type { TraceResult } from '../../trace/model.ts';
import type { CaptureHandlers } from './pane-stream.ts';
import { packRows, transferable, unpackRows, type PackedRows } from './packed-rows.ts';
import { startOnThread, thisThreadsJob } from '../thread.ts';

export interface CaptureJob {
  files: string[];
  vxlanPorts: number[];
  trace: TraceResult;
}

export type CaptureMessage = { type: 'batch'; rows: PackedRows; total: number; marked: number } | { type: 'done'; error?: string };

const KIND = 'capture';

/** Starts the streamer on its own thread; returns the function that stops it. */
export function captureInWorker(job: CaptureJob, on: CaptureHandlers): () => void {
  return startOnThread<CaptureJob, CaptureMessage>(import.meta.url, KIND, job, {
    message: (message) => {
      if (message.type === 'batch') {
        on.batch(unpackRows(message.rows), message.total, message.marked);
        return false;
      }
      on.done(message.error);
      return true;
    },
    failed: (error) => on.done(error),
  });
}

async function serve(job: CaptureJob, post: (message: CaptureMessage, transfer?: ArrayBuffer[]) => void): Promise<void> {
  try {
    const decoder = await import('../../decode/index.ts');
    const { streamForPane } = await import('./pane-stream.ts');
    await streamForPane(job.files, job.vxlanPorts, job.trace, decoder, {
      batch: (rows, total, marked) => {
        const packed = packRows(rows);
        post({ type: 'batch', rows: packed, total, marked }, transferable(packed));
      },
      done: (error) => post(error === undefined ? { type: 'done' } : { type: 'done', error }),
    });
  } catch (error) {
    post({ type: 'done', error: error instanceof Error ? error.message : String(error) });
  }
}

const asked = thisThreadsJob<CaptureJob, CaptureMessage>(KIND);
if (asked) void serve(asked.job, asked.post);
