// The warnings the status line counts: every warning the inputs gave (parsers that
// skipped a line, facts that had to be assumed), plus the tracer's own, once each.
import type { Topology } from '../topology/model.ts';
import type { TraceResult } from '../trace/model.ts';
import { formatWarning } from '../util/warning.ts';

export function inputWarnings(topology: Topology, trace: TraceResult): string[] {
  const lines = topology.warnings.map(formatWarning);
  const seen = new Set(lines);
  for (const w of trace.warnings.map(formatWarning)) if (!seen.has(w)) lines.push(w);
  return lines;
}
