// The Explain pane's explainer on a thread of its own (node:worker_threads). Reading a
// 1,000,000-packet capture is a second or more of work and a heap's worth of garbage; on the
// UI's thread its slices and GC pauses kept keys waiting (issue 17: p95 123 ms while reading).
// Here it has its own event loop and heap, and the UI gets plain data back through
// postMessage: progress lines a few times a second, then the explanation and the pane's view
// in one message (so the view's frame lists stay the explanation's own, not copies).
//
// This one file is both ends. The UI imports it (dynamically: see explainInWorker) and starts
// this same file as the worker, because its own import.meta.url is the one path that is right
// everywhere: src/ through tsx (tests, PODPATH_FROM_SOURCE), tsc's per-file dist/, and the
// esbuild bundle, where it is an entry point of its own (bin/bundle.js).
//
// The Topology is not sent: its iptables rules stay in the dump text until a chain is first read
// (topology/parse/iptables/lazy-chains.ts), which a structured clone would either drop or force
// in full. The worker loads it again from the same inputs and options, as `podpath ui` did.
import { isMainThread, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { setPriority } from 'node:os';
import type { LoadOptions } from '../../topology/load.ts';
import type { PaneExplanation } from './run.ts';

/** What the worker is asked: the captures, and the inputs the UI's topology was loaded from. */
export interface ExplainJob {
  captures: string[];
  inputs: string[];
  load: LoadOptions;
}

export type WorkerMessage = { type: 'progress'; text: string } | ({ type: 'done' } & PaneExplanation) | { type: 'error'; message: string };

export interface WorkerHandlers {
  progress(text: string): void;
  done(result: PaneExplanation): void;
  /** One line, as the explainer's error says it on the UI's thread. */
  error(message: string): void;
}

/** How much lower than the UI the worker runs (a nice value: 0 same, 19 lowest). */
const WORKER_NICE = 10;

// workerData's key for the job: a worker started by anyone else (a test runner's pool) is not ours.
const JOB = 'podpathExplainJob';

function startWorker(job: ExplainJob): Worker {
  const self = new URL(import.meta.url);
  const workerData = { [JOB]: job };
  if (self.pathname.endsWith('.ts')) {
    // From the sources: Node runs no TypeScript itself, so the checkout's bin/run-ts.js
    // registers tsx in the worker first (only checkouts have src/).
    return new Worker(new URL('../../../bin/run-ts.js', self), { argv: [fileURLToPath(self)], workerData });
  }
  return new Worker(self, { workerData });
}

/**
 * Starts the explainer on its own thread; returns the function that stops it. The worker never
 * keeps the process alive (the UI's terminal does while it runs). Import this
 * module with import() only: a static import from the UI would let esbuild move this code into
 * a chunk shared with the UI, where import.meta.url names the chunk, not this entry point.
 */
export function explainInWorker(job: ExplainJob, on: WorkerHandlers): () => void {
  let settled = false;
  const settle = (): boolean => (settled ? false : (settled = true));
  let worker: Worker;
  try {
    worker = startWorker(job);
  } catch (error) {
    on.error(error instanceof Error ? error.message : String(error));
    return () => undefined;
  }
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'progress') {
      if (!settled) on.progress(message.text);
    } else if (settle()) {
      if (message.type === 'done') on.done({ explanation: message.explanation, view: message.view });
      else on.error(message.message);
    }
  });
  // What the worker did not catch itself (it posts its own errors): never a crash of the UI, nor a pane left running.
  worker.on('error', (error) => {
    if (settle()) on.error(error.message);
  });
  worker.on('exit', (code) => {
    if (settle()) on.error(`the explainer stopped before it was done (exit ${code})`);
  });
  // The UI's own handles (the terminal) keep the process alive while it runs; a worker must never do so after it.
  worker.unref();
  return () => {
    settled = true;
    void worker.terminate();
  };
}

async function serve(job: ExplainJob, port: MessagePort): Promise<void> {
  lowerThisThreadsPriority();
  const post = (message: WorkerMessage): void => port.postMessage(message);
  try {
    const { loadTopology } = await import('../../topology/load.ts');
    const { explainForPane } = await import('./run.ts');
    const topology = await loadTopology(job.inputs, job.load);
    post({ type: 'done', ...(await explainForPane(job.captures, topology, (text) => post({ type: 'progress', text }))) });
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * On a busy machine the worker and the UI's thread compete for the same cores: the UI should win,
 * so a key is drawn before the explainer's next chunk. Linux keeps a nice value per thread
 * (setpriority(2), "a bug" against POSIX it documents), and os.setPriority for the calling
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

const job = isMainThread ? undefined : ((workerData as Record<string, unknown> | null)?.[JOB] as ExplainJob | undefined);
if (job !== undefined && parentPort) void serve(job, parentPort);
