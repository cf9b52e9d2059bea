// The explainer's links to the topology loader and the tracer, kept in one place so
// the rest of src/explain depends only on their data models (Topology, TraceResult).
import type { Topology } from '../topology/model.ts';
import type { TraceFunction } from './journey.ts';

interface LoaderModule {
  loadTopology(inputs: string[], options: { node?: string }): Promise<Topology>;
}

export async function loadTopologyFrom(inputs: string[], node: string | undefined): Promise<Topology> {
  // Resolved at run time while the loader is being written alongside; see the report.
  const specifier = '../topology/load.ts';
  const mod = (await import(specifier)) as LoaderModule;
  return mod.loadTopology(inputs, node === undefined ? {} : { node });
}

/** The tracer as a TraceFunction, or undefined when this checkout has none. */
export async function tracerFunction(): Promise<TraceFunction | undefined> {
  return undefined;
}
