// Wires a capture stream to the UI's reducer: the real program and the tests
// start the capture pane through this one function.
import type { PacketText } from '../../decode/output/packet-text.ts';
import type { CapturedPacket, DecodeOptions, DecodePacket, ReadCapture } from '../../decode/types.ts';
import type { Dissection, dissectPacket, portTable, scanCapture } from '../../decode/index.ts';
import type { Topology } from '../../topology/model.ts';
import type { TraceResult } from '../../trace/model.ts';
import type { UiAction } from '../state.ts';
import { dissectionMatcher, flowMatcher } from './rows.ts';
import { streamCaptures, type RestScan } from './stream.ts';
import { CHUNK_BYTES } from '../pace.ts';

/** The decoder's entry points, passed in so the UI loads it only when a capture is given. */
export interface Decoder {
  readCapture: ReadCapture;
  decodePacket: DecodePacket;
  packetText: (packet: CapturedPacket, options?: DecodeOptions) => PacketText;
  /** The scan path, for the packets past the kept ones (only counted). */
  scanCapture: typeof scanCapture;
  dissectPacket: typeof dissectPacket;
  portTable: typeof portTable;
  Dissection: typeof Dissection;
}

/** The rest of a file on the decoder's scan path: one reused buffer and one Dissection, no Layer objects. */
export function restScan(decoder: Decoder, options: DecodeOptions, trace: TraceResult): RestScan {
  const table = decoder.portTable(options);
  const dissection = new decoder.Dissection();
  return {
    matches: dissectionMatcher(trace),
    async scan(file, skip, each, between) {
      let seen = 0;
      await decoder.scanCapture(
        file,
        { chunkBytes: CHUNK_BYTES },
        (raw) => {
          if (++seen <= skip) return true;
          decoder.dissectPacket(dissection, raw, table);
          return each(dissection);
        },
        between,
      );
    },
  };
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
      rest: restScan(decoder, options, trace),
      signal: abort.signal,
      onBatch: (rows, total, marked) => dispatch({ type: 'capture-batch', rows, total, marked }),
      onDone: (error) => dispatch(error === undefined ? { type: 'capture-done' } : { type: 'capture-done', error }),
    });
    return () => abort.abort();
  };
}
