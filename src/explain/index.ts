// The explainer's public surface, for the CLI and the UI.
import type { Topology } from '../topology/model.ts';
import { emptyTopology, explainCaptures, type ExplainOptions } from './explain.ts';
import { captureFile } from './files.ts';
import type { Explanation } from './model.ts';

export { emptyTopology, explainCaptures, type CaptureData, type ExplainOptions, type PacketScan } from './explain.ts';
export { captureFile, captureIterable, looksLikeCapture, readCaptureFile } from './files.ts';
export { renderText } from './render-text.ts';
export { placeShort, placementLine } from './placement/text.ts';
export type { TraceFunction, TraceRequest } from './journey.ts';
export type * from './model.ts';

/** Reads, decodes and explains capture files (VXLAN also on the ports of the topology's VTEPs). */
export async function explainFiles(
  files: string[],
  topology: Topology = emptyTopology(),
  options: ExplainOptions & { vxlanPorts?: number[]; locations?: Record<string, { at: string; interface?: string }> } = {},
): Promise<Explanation> {
  const vxlanPorts = [...new Set([...(options.vxlanPorts ?? []), ...topology.vteps.map((v) => v.port)])];
  const data = files.map((file) => ({ ...captureFile(file, { vxlanPorts }), ...(options.locations?.[file] ?? {}) }));
  const explainOptions: ExplainOptions = options.trace ? { trace: options.trace } : {};
  return explainCaptures(data, topology, explainOptions);
}
