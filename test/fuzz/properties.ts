// What every input, however bad, must keep: only podpath's own errors escape, the time is
// bounded by the input's size (linear: a fixed start plus so much per byte), the memory it
// leaves behind is bounded by its size, and nothing printed holds a raw control or bidi
// character.
import { expect } from 'vitest';
import { PodpathError } from '../../src/errors.ts';

/** Anything a terminal would act on instead of printing (util/escape-text.ts's set). */
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The time an input of `bytes` may take: 250 ms to start, then 100 µs per byte (10 KB/s, far below podpath's speed). */
export function timeLimitMs(bytes: number): number {
  return 250 + bytes * 0.1;
}

/** Heap an input may leave live while it is processed: 64 MB plus 200 bytes per input byte. */
export function memoryLimitBytes(bytes: number): number {
  return 64 * 1024 * 1024 + bytes * 200;
}

/** Runs `work` on one input of `bytes`; fails on a foreign error, a slow run or heap growth. Returns its result. */
export function holds<T>(bytes: number, work: () => T): T | undefined {
  const heapBefore = process.memoryUsage().heapUsed;
  const run = (): { result: T | undefined; took: number } => {
    const started = performance.now();
    let result: T | undefined;
    try {
      result = work();
    } catch (error) {
      if (!(error instanceof PodpathError)) throw error;
    }
    return { result, took: performance.now() - started };
  };
  const first = run();
  // A run over the limit is timed once more: on a shared machine one slow run is the load's,
  // a slow input is slow both times.
  const took = first.took < timeLimitMs(bytes) ? first.took : Math.min(first.took, run().took);
  const result = first.result;
  expect(took, `${bytes} bytes took ${took.toFixed(0)} ms`).toBeLessThan(timeLimitMs(bytes));
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(memoryLimitBytes(bytes));
  return result;
}

/** The asynchronous form, for the capture readers. */
export async function holdsAsync<T>(bytes: number, work: () => Promise<T>): Promise<T | undefined> {
  const heapBefore = process.memoryUsage().heapUsed;
  const run = async (): Promise<{ result: T | undefined; took: number }> => {
    const started = performance.now();
    let result: T | undefined;
    try {
      result = await work();
    } catch (error) {
      if (!(error instanceof PodpathError)) throw error;
    }
    return { result, took: performance.now() - started };
  };
  const first = await run();
  const took = first.took < timeLimitMs(bytes) ? first.took : Math.min(first.took, (await run()).took);
  const result = first.result;
  expect(took, `${bytes} bytes took ${took.toFixed(0)} ms`).toBeLessThan(timeLimitMs(bytes));
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(memoryLimitBytes(bytes));
  return result;
}

export function printable(text: string): void {
  const found = RAW_CONTROL.exec(text);
  if (found) throw new Error(`raw U+${found[0].charCodeAt(0).toString(16).padStart(4, '0')} in output at ${found.index}: ${JSON.stringify(text.slice(Math.max(0, found.index - 40), found.index + 40))}`);
}
