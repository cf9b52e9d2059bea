// Wires a capture stream to the UI's reducer: the real program and the tests
// start the capture pane through this one function.
import type { DecodePacket, ReadCapture } from '../../decode/types.ts';
import type { Topology } from '../../topology/model.ts';
import type { TraceResult } from '../../trace/model.ts';
import type { UiAction } from '../state.ts';
import { flowMatcher } from './rows.ts';
import { streamCaptures } from './stream.ts';

/** The decoder's two entry points, passed in so the UI loads it only when a capture is given. */
export interface Decoder {
  readCapture: ReadCapture;
  decodePacket: DecodePacket;
}

export function captureStarter(
  files: string[],
  topology: Topology,
  trace: TraceResult,
  decoder: Decoder,
): (dispatch: (action: UiAction) => void) => () => void {
  // Decode on every VXLAN port the dumps' devices use, as `podpath decode --dumps` does.
  const vxlanPorts = [...new Set(topology.vteps.map((v) => v.port))];
  const matches = flowMatcher(trace);
  return (dispatch) => {
    const abort = new AbortController();
    void streamCaptures({
      files,
      read: decoder.readCapture,
      decode: (packet) => decoder.decodePacket(packet, { vxlanPorts }),
      matches,
      signal: abort.signal,
      onBatch: (rows, total, marked) => dispatch({ type: 'capture-batch', rows, total, marked }),
      onDone: (error) => dispatch(error === undefined ? { type: 'capture-done' } : { type: 'capture-done', error }),
    });
    return () => abort.abort();
  };
}
