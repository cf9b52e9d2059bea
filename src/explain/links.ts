// The explainer's links to the topology loader and the tracer, kept in one place so
// the rest of src/explain depends only on their data models (Topology, TraceResult).
import { loadOptionsOf, loadTopology } from '../topology/load.ts';
import type { Topology } from '../topology/model.ts';
import type { TraceFunction } from './journey.ts';

export async function loadTopologyFrom(inputs: string[], options: { node?: string | undefined; merge?: boolean | undefined }): Promise<Topology> {
  return loadTopology(inputs, loadOptionsOf(options));
}

/** The tracer (src/trace), loaded only when the explainer runs with dumps. */
export async function tracerFunction(): Promise<TraceFunction> {
  const { traceQuery } = await import('../trace/trace.ts');
  return (topology, request) => traceQuery(topology, request);
}
