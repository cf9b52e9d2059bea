// Starts the Capture pane's stream for the App (its startCapture prop): rows and counts come
// back as actions through the reducer's one door, and the returned function stops it (on quit).
// `podpath ui` streams on a thread of its own (worker.ts), so reading a big capture never makes
// keys wait; captureStarter streams on the UI's thread, paced (stream.ts), for the tests.
import type { Topology } from '../../topology/model.ts';
import type { TraceResult } from '../../trace/model.ts';
import type { UiAction } from '../state.ts';
import { streamForPane, vxlanPortsOf, type CaptureHandlers, type Decoder } from './pane-stream.ts';

/** The actions a stream's news becomes, through the reducer's one door. */
export function captureActions(dispatch: (action: UiAction) => void): CaptureHandlers {
  return {
    batch: (rows, total, marked) => dispatch({ type: 'capture-batch', rows, total, marked }),
    done: (error) => dispatch(error === undefined ? { type: 'capture-done' } : { type: 'capture-done', error }),
  };
}

/** The Capture pane's streamer on the UI's thread, paced (stream.ts), with the decoder the caller loaded. */
export function captureStarter(
  files: string[],
  topology: Topology,
  trace: TraceResult,
  decoder: Decoder,
): (dispatch: (action: UiAction) => void) => () => void {
  return (dispatch) => {
    const abort = new AbortController();
    void streamForPane(files, vxlanPortsOf(topology), trace, decoder, captureActions(dispatch), abort.signal);
    return () => abort.abort();
  };
}

/** The Capture pane's streamer on its own thread (worker.ts), which loads the decoder itself. */
export function workerCaptureStarter(files: string[], topology: Topology, trace: TraceResult): (dispatch: (action: UiAction) => void) => () => void {
  return (dispatch) => {
    let stop: (() => void) | undefined;
    let stopped = false;
    const on = captureActions(dispatch);
    import('./worker.ts').then(
      ({ captureInWorker }) => {
        if (!stopped) stop = captureInWorker({ files, vxlanPorts: vxlanPortsOf(topology), trace }, on);
      },
      (error: unknown) => on.done(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      stopped = true;
      stop?.();
    };
  };
}
