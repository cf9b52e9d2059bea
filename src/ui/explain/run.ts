// Runs the capture explainer (src/explain) for the Explain pane without freezing the
// UI. The captures are read as `podpath explain` reads them (files.ts captureFile: each
// packet dissected in the reader's one buffer and reduced to its facts, no Layer objects),
// and after each chunk of the file (pace.ts CHUNK_BYTES, a millisecond or two of work) the event loop is
// handed back once the slice is used, so Ink draws and keys work; progress is reported a few
// times a second (../pace.ts). Only the last step (grouping, lining up, tracing), small next to
// reading, runs in one piece. The tracer is the one the trace pane used.
import { ExplainAborted } from '../../errors.ts';
export { ExplainAborted } from '../../errors.ts';
import { basename } from 'node:path';
import type { CaptureData, Explanation, PacketScan, TraceFunction } from '../../explain/index.ts';
import type { Topology } from '../../topology/model.ts';
import { CHUNK_BYTES, pacer } from '../pace.ts';
import { countText } from '../format.ts';
import type { ExplainView } from './view.ts';

export interface ExplainRunOptions {
  files: string[];
  topology: Topology;
  trace?: TraceFunction;
  onProgress(text: string): void;
  signal?: AbortSignal;
}

export async function runExplainer(options: ExplainRunOptions): Promise<Explanation> {
  const { captureFile, explainCaptures } = await import('../../explain/index.ts');
  const vxlanPorts = [...new Set(options.topology.vteps.map((v) => v.port))];
  let read = 0;
  let filesDone = 0;
  const pace = pacer();
  const stopIfAsked = (): void => {
    if (options.signal?.aborted) throw new ExplainAborted('explainer stopped');
  };
  const paced = (scan: PacketScan, file: string): PacketScan => ({
    async scanFacts(each) {
      let inFile = 0;
      let said = '';
      const sayCounts = (): void => {
        const text = `reading ${basename(file)}: ${countText(inFile)} packets (${countText(read)} in all)`;
        if (text !== said) options.onProgress((said = text));
      };
      options.onProgress(`reading ${basename(file)}…`);
      await pace.handBack();
      stopIfAsked();
      await scan.scanFacts(
        (facts) => {
          inFile++;
          read++;
          each(facts);
        },
        () => {
          stopIfAsked();
          if (!pace.sliceUsed()) return undefined;
          if (pace.reportDue()) sayCounts();
          return pace.handBack().then(stopIfAsked);
        },
      );
      // The file's own count in full, unless the report after its last chunk said it already.
      sayCounts();
      if (++filesDone === options.files.length) {
        // What follows runs in one piece: say so before it starts, and let the frame draw.
        options.onProgress(`lining up ${countText(read)} packets into connections${options.trace ? ' and tracing them' : ''}…`);
        await pace.handBack();
      }
    },
  });
  const data: CaptureData[] = options.files.map((file) => {
    const capture = captureFile(file, { vxlanPorts, chunkBytes: CHUNK_BYTES });
    return { ...capture, packets: paced(capture.packets, file) };
  });
  return explainCaptures(data, options.topology, options.trace ? { trace: options.trace } : {});
}

/** What the Explain pane shows and the report (`r`) writes: plain data, so it can cross from a worker. */
export interface PaneExplanation {
  explanation: Explanation;
  view: ExplainView;
}

/**
 * The Explain pane's one way to explain its captures, on the UI's thread (start.ts) or on the
 * explainer's own (worker.ts): read and explain, then make the pane's view.
 */
export async function explainForPane(files: string[], topology: Topology, onProgress: (text: string) => void, signal?: AbortSignal): Promise<PaneExplanation> {
  const { explainView } = await import('./view.ts');
  const { traceQuery } = await import('../../trace/trace.ts');
  const explanation = await runExplainer({
    files,
    topology,
    // As `podpath explain` does: the tracer models each connection only when there are dumps.
    ...(topology.nodes.length > 0 ? { trace: (t: Topology, request: Parameters<typeof traceQuery>[1]) => traceQuery(t, request) } : {}),
    onProgress,
    ...(signal ? { signal } : {}),
  });
  return { explanation, view: explainView(explanation, files) };
}
