// Starts the capture explainer for the App (its startExplain prop): the explainer and
// the tracer are imported only now, its progress and answer come back as actions
// through the reducer's one door, and the returned function stops it (on quit).
import type { Topology } from '../../topology/model.ts';
import type { UiAction } from '../state.ts';
import type { Explanation } from '../../explain/model.ts';

export function explainStarter(
  captures: string[],
  topology: Topology,
  /** Told the explanation itself, for the report the UI writes (`r`). */
  onExplanation?: (explanation: Explanation) => void,
): (dispatch: (a: UiAction) => void) => () => void {
  return (dispatch) => {
    const abort = new AbortController();
    void (async () => {
      try {
        const { runExplainer } = await import('./run.ts');
        const { explainView } = await import('./view.ts');
        const { traceQuery } = await import('../../trace/trace.ts');
        const explanation = await runExplainer({
          files: captures,
          topology,
          // As `podpath explain` does: the tracer models each connection only when there are dumps.
          ...(topology.nodes.length > 0 ? { trace: (t: Topology, request: Parameters<typeof traceQuery>[1]) => traceQuery(t, request) } : {}),
          onProgress: (text) => dispatch({ type: 'explain-progress', text }),
          signal: abort.signal,
        });
        if (abort.signal.aborted) return;
        onExplanation?.(explanation);
        dispatch({ type: 'explain-done', view: explainView(explanation, captures) });
      } catch (error) {
        if (!abort.signal.aborted) dispatch({ type: 'explain-error', error: error instanceof Error ? error.message : String(error) });
      }
    })();
    return () => abort.abort();
  };
}
