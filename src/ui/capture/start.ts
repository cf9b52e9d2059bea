// Wires a capture stream to the UI's reducer: the real program and the tests
// start the capture pane through this one function.
import type { PacketText } from '../../decode/output/packet-text.ts';
import type { CapturedPacket, DecodeOptions, DecodePacket, ReadCapture } from '../../decode/types.ts';
import type { Topology } from '../../topology/model.ts';
import type { TraceResult } from '../../trace/model.ts';
import type { UiAction } from '../state.ts';
import { flowMatcher } from './rows.ts';
import { streamCaptures } from './stream.ts';

/** The decoder's entry points, passed in so the UI loads it only when a capture is given. */
export interface Decoder {
  readCapture: ReadCapture;
  decodePacket: DecodePacket;
  packetText: (packet: CapturedPacket, options?: DecodeOptions) => PacketText;
}

export function captureStarter(
  files: string[],
  topology: Topology,
  trace: TraceResult,
  decoder: Decoder,
): (dispatch: (action: UiAction) => void) => () => void {
  // Decode on every VXLAN port the dumps' devices use, as `podpath decode --dumps` does.
  const options: DecodeOptions = { vxlanPorts: [...new Set(topology.vteps.map((v) => v.port))] };
  const matches = flowMatcher(trace);
  return (dispatch) => {
    const abort = new AbortController();
    void streamCaptures({
      files,
      read: decoder.readCapture,
      decode: (packet) => decoder.decodePacket(packet, options),
      text: (packet) => decoder.packetText(packet, options),
      matches,
      signal: abort.signal,
      onBatch: (rows, total, marked) => dispatch({ type: 'capture-batch', rows, total, marked }),
      onDone: (error) => dispatch(error === undefined ? { type: 'capture-done' } : { type: 'capture-done', error }),
    });
    return () => abort.abort();
  };
}
