// The Explain pane's explainer on a thread of its own (../thread.ts says how, and why this
// module must be imported only with import()). Reading a 1,000,000-packet capture is a second
// or more of work and a heap's worth of garbage; on the UI's thread its slices and GC pauses
// kept keys waiting (issue 17: p95 123 ms while reading). The UI gets progress lines a few
// times a second, then the explanation and the pane's view in one message (so the view's frame
// lists stay the explanation's own, not copies).
//
// The Topology is not sent: its iptables rules stay in the dump text until a chain is first read
// (topology/parse/iptables/lazy-chains.ts), which a structured clone would either drop or force
// in full. The worker loads it again from the same inputs and options, as `podpath ui` did.
import type { LoadOptions } from '../../topology/load.ts';
import type { PaneExplanation } from './run.ts';
import { startOnThread, thisThreadsJob } from '../thread.ts';

/** What the worker is asked: the captures, and the inputs the UI's topology was loaded from. */
export interface ExplainJob {
  captures: string[];
  inputs: string[];
  load: LoadOptions;
}

export type ExplainMessage = { type: 'progress'; text: string } | ({ type: 'done' } & PaneExplanation) | { type: 'error'; message: string };

export interface ExplainHandlers {
  progress(text: string): void;
  done(result: PaneExplanation): void;
  /** One line, as the explainer's error says it on the UI's thread. */
  error(message: string): void;
}

const KIND = 'explain';

/** Starts the explainer on its own thread; returns the function that stops it. */
export function explainInWorker(job: ExplainJob, on: ExplainHandlers): () => void {
  return startOnThread<ExplainJob, ExplainMessage>(import.meta.url, KIND, job, {
    message: (message) => {
      if (message.type === 'progress') on.progress(message.text);
      else if (message.type === 'done') on.done({ explanation: message.explanation, view: message.view });
      else on.error(message.message);
      return message.type !== 'progress';
    },
    failed: on.error,
  });
}

async function serve(job: ExplainJob, post: (message: ExplainMessage) => void): Promise<void> {
  try {
    const { loadTopology } = await import('../../topology/load.ts');
    const { explainForPane } = await import('./run.ts');
    const topology = await loadTopology(job.inputs, job.load);
    post({ type: 'done', ...(await explainForPane(job.captures, topology, (text) => post({ type: 'progress', text }))) });
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}

const asked = thisThreadsJob<ExplainJob, ExplainMessage>(KIND);
if (asked) void serve(asked.job, asked.post);
