// The Capture pane's stream, one way wherever it runs: on the UI's thread (start.ts
// captureStarter) or on the streamer's own (worker.ts). The kept packets are decoded with their
// words; past them the files are read on the decoder's scan path (restScan), only counted.
import type { PacketText } from '../../decode/output/packet-text.ts';
import type { CapturedPacket, DecodeOptions, DecodePacket, ReadCapture } from '../../decode/types.ts';
import type { Dissection, dissectPacket, portTable, scanCapture } from '../../decode/index.ts';
import type { Topology } from '../../topology/model.ts';
import type { TraceResult } from '../../trace/model.ts';
import { dissectionMatcher, flowMatcher, type CaptureRow } from './rows.ts';
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

/** What a capture stream tells: the rows and counts a few times a second, then once that it ended (with the one-line error, if any). */
export interface CaptureHandlers {
  batch(rows: CaptureRow[], total: number, marked: number): void;
  done(error?: string): void;
}

/**
 * Streams the files into `on`, decoding on every VXLAN port the dumps' devices use (as `podpath
 * decode --dumps` does); on the UI's thread (captureStarter) or on the streamer's own (worker.ts).
 */
export function streamForPane(files: string[], vxlanPorts: number[], trace: TraceResult, decoder: Decoder, on: CaptureHandlers, signal?: AbortSignal): Promise<void> {
  const options: DecodeOptions = { vxlanPorts };
  return streamCaptures({
    files,
    read: decoder.readCapture,
    decode: (packet) => decoder.decodePacket(packet, options),
    text: (packet) => decoder.packetText(packet, options),
    matches: flowMatcher(trace),
    rest: restScan(decoder, options, trace),
    ...(signal ? { signal } : {}),
    onBatch: on.batch,
    onDone: on.done,
  });
}

/** The VXLAN ports the dumps' devices use. */
export const vxlanPortsOf = (topology: Topology): number[] => [...new Set(topology.vteps.map((v) => v.port))];
