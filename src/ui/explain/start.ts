// Starts the capture explainer for the App (its startExplain prop): its progress and answer
// come back as actions through the reducer's one door, and the returned function stops it
// (on quit). `podpath ui` runs it on a thread of its own (worker.ts), so reading a big capture
// never makes keys wait; explainStarter runs it on the UI's thread, handing the event loop
// back between chunks (run.ts), for the inputs a worker cannot read again (readableAgain) and
// for callers that hold a Topology but not its inputs.
import { statSync } from 'node:fs';
import type { Topology } from '../../topology/model.ts';
import type { LoadOptions } from '../../topology/load.ts';
import type { UiAction } from '../state.ts';
import type { Explanation } from '../../explain/model.ts';
import type { PaneExplanation } from './run.ts';

/**
 * Whether the worker can load the topology again from `inputs`: files and folders it can, but
 * stdin (`-`) and pipes (`<(ssh node iptables-save)`, /dev/fd/63) give their text only once, and
 * the worker would wait on them for ever. Those UIs explain on their own thread (explainStarter).
 */
export function readableAgain(inputs: string[]): boolean {
  return inputs.every((input) => {
    if (input === '-') return false;
    const stat = statSync(input, { throwIfNoEntry: false });
    return stat !== undefined && (stat.isFile() || stat.isDirectory());
  });
}

type Starter = (dispatch: (a: UiAction) => void) => () => void;

/** Tells the App the answer (and `onExplanation` the explanation itself, for the report the UI writes, `r`). */
function answer(dispatch: (a: UiAction) => void, onExplanation: ((e: Explanation) => void) | undefined, result: PaneExplanation): void {
  onExplanation?.(result.explanation);
  dispatch({ type: 'explain-done', view: result.view });
}

/** The explainer on the UI's thread, with the Topology the UI holds. */
export function explainStarter(captures: string[], topology: Topology, onExplanation?: (explanation: Explanation) => void): Starter {
  return (dispatch) => {
    const abort = new AbortController();
    void (async () => {
      try {
        const { explainForPane } = await import('./run.ts');
        const result = await explainForPane(captures, topology, (text) => dispatch({ type: 'explain-progress', text }), abort.signal);
        if (!abort.signal.aborted) answer(dispatch, onExplanation, result);
      } catch (error) {
        if (!abort.signal.aborted) dispatch({ type: 'explain-error', error: error instanceof Error ? error.message : String(error) });
      }
    })();
    return () => abort.abort();
  };
}

/** The explainer on its own thread, which loads the topology again from the inputs the UI's came from. */
export function workerExplainStarter(captures: string[], inputs: string[], load: LoadOptions, onExplanation?: (explanation: Explanation) => void): Starter {
  return (dispatch) => {
    let stop: (() => void) | undefined;
    let stopped = false;
    const fail = (error: string): void => dispatch({ type: 'explain-error', error });
    import('./worker.ts').then(
      ({ explainInWorker }) => {
        if (stopped) return;
        stop = explainInWorker(
          { captures, inputs, load },
          {
            progress: (text) => dispatch({ type: 'explain-progress', text }),
            done: (result) => answer(dispatch, onExplanation, result),
            error: fail,
          },
        );
      },
      (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      stopped = true;
      stop?.();
    };
  };
}
