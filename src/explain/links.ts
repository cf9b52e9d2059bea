// The explainer's links to the topology loader and the tracer, kept in one place so
// the rest of src/explain depends only on their data models (Topology, TraceResult).
import { loadTopology } from '../topology/load.ts';
import type { Topology } from '../topology/model.ts';
import type { TraceFunction } from './journey.ts';

export async function loadTopologyFrom(inputs: string[], node: string | undefined): Promise<Topology> {
  return loadTopology(inputs, node === undefined ? {} : { node });
}

/** The tracer (src/trace), loaded only when the explainer runs with dumps. */
export async function tracerFunction(): Promise<TraceFunction> {
  const { traceQuery } = await import('../trace/trace.ts');
  return (topology, request) => traceQuery(topology, request);
}
