// How the UI's long reads (the Capture pane's streamer, the Explain pane's explainer) share
// Node's one thread with keys and drawing. They work in slices of SLICE_MS, then hand the
// event loop back (setImmediate: pending keys and timers run first), and they tell the
// screen about their progress at most every REPORT_MS. Each report is a React render and an
// Ink redraw of the whole screen, which costs more than reading thousands of packets: reporting
// every 200 packets made the UI spend half its time drawing progress (profiled on 1,000,000
// packets) and left keys waiting behind the queued renders.
import { performance } from 'node:perf_hooks';

export const SLICE_MS = 8;
export const REPORT_MS = 200;
/**
 * Bytes of a capture file read (and its packets scanned) between two chances to hand the loop
 * back: the scan paths call back only between chunks. 1 MiB, the CLI's, is ~3,900 packets of
 * the bench's capture, 5 ms or more of work in one piece; a quarter of it keeps each piece short.
 */
export const CHUNK_BYTES = 256 * 1024;

export interface Pacer {
  /** True once the current slice has used its time: the caller should `await handBack()`. */
  sliceUsed(): boolean;
  /** Lets the event loop run (keys, timers, Ink), then starts a new slice. */
  handBack(): Promise<void>;
  /** True at most once per REPORT_MS: whether to tell the screen about progress now. */
  reportDue(): boolean;
}

export function pacer(sliceMs = SLICE_MS, reportMs = REPORT_MS): Pacer {
  let sliceStart = performance.now();
  let reported = Number.NEGATIVE_INFINITY;
  return {
    sliceUsed: () => performance.now() - sliceStart >= sliceMs,
    handBack: () =>
      new Promise((resolve) =>
        setImmediate(() => {
          sliceStart = performance.now();
          resolve();
        }),
      ),
    reportDue: () => {
      const now = performance.now();
      if (now - reported < reportMs) return false;
      reported = now;
      return true;
    },
  };
}
