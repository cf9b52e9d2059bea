// Runs the capture explainer (src/explain) for the Explain pane without freezing the
// UI: the captures are read and decoded packet by packet through a paced iterator
// that hands the event loop back every few milliseconds (so Ink draws and keys work) and
// reports progress a few times a second (../pace.ts); only the last step (grouping, lining up, tracing), small next to
// reading, runs in one piece. The tracer is the one the trace pane used.
import { ExplainAborted } from '../../errors.ts';
export { ExplainAborted } from '../../errors.ts';
import { basename } from 'node:path';
import type { DecodedPacket } from '../../decode/types.ts';
import type { CaptureData, Explanation, TraceFunction } from '../../explain/index.ts';
import type { Topology } from '../../topology/model.ts';
import { pacer } from '../pace.ts';

export interface ExplainRunOptions {
  files: string[];
  topology: Topology;
  trace?: TraceFunction;
  onProgress(text: string): void;
  signal?: AbortSignal;
}

// performance.now() is asked once per CHECK packets, not for every packet.
const CHECK = 32;

export async function runExplainer(options: ExplainRunOptions): Promise<Explanation> {
  const { captureIterable, explainCaptures } = await import('../../explain/index.ts');
  const vxlanPorts = [...new Set(options.topology.vteps.map((v) => v.port))];
  let read = 0;
  let filesDone = 0;
  const pace = pacer();
  async function* paced(packets: AsyncIterable<DecodedPacket>, file: string): AsyncGenerator<DecodedPacket> {
    let inFile = 0;
    options.onProgress(`reading ${basename(file)}…`);
    await pace.handBack();
    for await (const packet of packets) {
      if (options.signal?.aborted) throw new ExplainAborted('explainer stopped');
      yield packet;
      read++;
      if (++inFile % CHECK === 0 && pace.sliceUsed()) {
        if (pace.reportDue()) options.onProgress(`reading ${basename(file)}: ${inFile.toLocaleString('en')} packets (${read.toLocaleString('en')} in all)`);
        await pace.handBack();
      }
    }
    // The file's own count in full, whatever the last report said.
    options.onProgress(`reading ${basename(file)}: ${inFile.toLocaleString('en')} packets (${read.toLocaleString('en')} in all)`);
    if (++filesDone === options.files.length) {
      // What follows runs in one piece: say so before it starts, and let the frame draw.
      options.onProgress(`lining up ${read.toLocaleString('en')} packets into connections${options.trace ? ' and tracing them' : ''}…`);
      await pace.handBack();
    }
  }
  const data: CaptureData[] = options.files.map((file) => {
    const capture = captureIterable(file, { vxlanPorts });
    return { ...capture, packets: paced(capture.packets, file) };
  });
  return explainCaptures(data, options.topology, options.trace ? { trace: options.trace } : {});
}
