// The warnings the status line counts: every warning the inputs gave (parsers that
// skipped a line, facts that had to be assumed), plus the tracer's own, once each.
import type { Topology } from '../topology/model.ts';
import type { TraceResult } from '../trace/model.ts';

export function inputWarnings(topology: Topology, trace: TraceResult): string[] {
  const lines = topology.warnings.map((w) => `${w.file}${w.line > 0 ? `:${w.line}` : ''}: ${w.message}${w.text ? ` (${w.text})` : ''}`);
  const seen = new Set(topology.warnings.map((w) => `${w.file}:${w.line}: ${w.message}`));
  for (const w of trace.warnings) if (!seen.has(w)) lines.push(w);
  return lines;
}
