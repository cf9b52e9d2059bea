// A long read of the UI's (the Explain pane's explainer, the Capture pane's streamer) on a
// worker thread of its own (node:worker_threads), so a 1,000,000-packet capture never takes
// the thread that answers keys and draws: the worker has its own event loop and heap, and
// sends plain data back through postMessage.
//
// Each job's module is both ends: the UI imports it (dynamically) and it starts its own file
// as the worker, because a module's own import.meta.url is the one path right everywhere:
// src/ through tsx (tests, PODPATH_FROM_SOURCE), tsc's per-file dist/, and the esbuild bundle,
// where each job's module is an entry point of its own (bin/bundle.js). A static import from
// the UI would let esbuild move the module into a chunk shared with the UI, where
// import.meta.url names the chunk.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { setPriority } from 'node:os';

/** How much lower than the UI a worker runs (a nice value: 0 same, 19 lowest). */
const WORKER_NICE = 10;

// workerData's key: a worker started by anyone else (a test runner's pool) is not ours, and each
// job's module serves only its own kind.
const JOB = 'podpathJob';

export interface ThreadHandlers<Message> {
  /** Each message the worker posts; true when it was the last (the job is done). */
  message(message: Message): boolean;
  /** The worker ended without its last message: what it said, in one line. */
  failed(message: string): void;
}

/**
 * Starts `moduleUrl` (the caller's import.meta.url) as a worker doing `job`; returns the function
 * that stops it. The worker never keeps the process alive (the UI's terminal does while it runs).
 */
export function startOnThread<Job, Message>(moduleUrl: string, kind: string, job: Job, on: ThreadHandlers<Message>): () => void {
  let settled = false;
  const settle = (): boolean => (settled ? false : (settled = true));
  let worker: Worker;
  try {
    const self = new URL(moduleUrl);
    const data = { [JOB]: { kind, job } };
    // From the sources Node runs no TypeScript itself: the checkout's bin/run-ts.js registers tsx first (only checkouts have src/).
    worker = self.pathname.endsWith('.ts')
      ? new Worker(new URL('../../bin/run-ts.js', import.meta.url), { argv: [fileURLToPath(self)], workerData: data })
      : new Worker(self, { workerData: data });
  } catch (error) {
    on.failed(error instanceof Error ? error.message : String(error));
    return () => undefined;
  }
  worker.on('message', (message: Message) => {
    if (!settled && on.message(message)) settled = true;
  });
  // What the worker did not catch itself (each job posts its own errors): never a crash of the UI, nor a pane left waiting.
  worker.on('error', (error) => {
    if (settle()) on.failed(error.message);
  });
  worker.on('exit', (code) => {
    if (settle()) on.failed(`the worker stopped before it was done (exit ${code})`);
  });
  worker.unref();
  return () => {
    settled = true;
    void worker.terminate();
  };
}

/** In a worker started by startOnThread for `kind`: its job and the way to answer; elsewhere undefined. */
export function thisThreadsJob<Job, Message>(kind: string): { job: Job; post(message: Message, transfer?: ArrayBuffer[]): void } | undefined {
  if (isMainThread || !parentPort) return undefined;
  const given = (workerData as Record<string, { kind: string; job: Job } | undefined> | null)?.[JOB];
  if (given?.kind !== kind) return undefined;
  lowerThisThreadsPriority();
  const port = parentPort;
  return { job: given.job, post: (message, transfer) => port.postMessage(message, transfer) };
}

/**
 * On a busy machine a worker and the UI's thread compete for the same cores: the UI should win,
 * so a key is drawn before the worker's next chunk (interleaved runs at load 7: keys' median
 * 138 ms with the worker at the UI's priority, 74 ms at nice 10). Linux keeps a nice value per
 * thread (setpriority(2), "a bug" against POSIX it documents), and os.setPriority for the calling
 * process (pid 0) sets the calling thread's there; elsewhere it would lower the whole UI, so not.
 */
function lowerThisThreadsPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, WORKER_NICE);
  } catch {
    // Not allowed (a sandbox): the worker still runs, at the UI's priority.
  }
}
