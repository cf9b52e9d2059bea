// The one place traces are built. Like Batfish's Trace.validateHops, it refuses
// a trace that breaks the model's promises, so the UI and the explainer can rely
// on them: every path has hops, ends with exactly one deliver or drop step that
// agrees with its disposition, and (unless the query kept only some endpoints)
// the paths' probabilities add up to 1.
import type { EndingStep, Hop, Step, TracePath, TraceQuery, TraceResult } from './model.ts';
import type { Warning } from '../util/warning.ts';

import { TraceInvariantError } from '../errors.ts';
export { TraceInvariantError } from '../errors.ts';

export interface TraceOptions {
  /** True when the paths were filtered (e.g. `--endpoint`), so they need not sum to 1. */
  partial?: boolean;
}

/** Probabilities come from kube-proxy's 10-digit `--probability` values, hence the tolerance. */
const PROBABILITY_TOLERANCE = 1e-6;

export function createTrace(
  query: TraceQuery,
  paths: TracePath[],
  warnings: Warning[] = [],
  options: TraceOptions = {},
): TraceResult {
  if (paths.length === 0) throw new TraceInvariantError('a trace needs at least one path');
  paths.forEach((path, i) => validatePath(path, `path ${i + 1}${path.endpoint ? ` (endpoint ${path.endpoint})` : ''}`));
  if (!options.partial) {
    const total = paths.reduce((sum, path) => sum + path.probability, 0);
    if (Math.abs(total - 1) > PROBABILITY_TOLERANCE) {
      throw new TraceInvariantError(`the paths' probabilities add up to ${total}, not 1`);
    }
  }
  return { query, paths, warnings };
}

function validatePath(path: TracePath, name: string): void {
  if (!(path.probability >= 0 && path.probability <= 1 + PROBABILITY_TOLERANCE)) {
    throw new TraceInvariantError(`${name}: probability ${path.probability} is not between 0 and 1`);
  }
  if (path.reason.trim() === '') throw new TraceInvariantError(`${name}: has no reason`);
  if (path.hops.length === 0) throw new TraceInvariantError(`${name}: has no hops`);
  path.hops.forEach((hop, i) => validateHop(hop, `${name}, hop ${i + 1}`));

  const endings = path.hops.flatMap((hop) => hop.steps).filter(isEnding);
  if (endings.length !== 1) {
    throw new TraceInvariantError(`${name}: has ${endings.length} deliver/drop/exit-cluster steps; a path ends exactly once`);
  }
  const lastHop = path.hops[path.hops.length - 1]!;
  const last = lastHop.steps[lastHop.steps.length - 1];
  if (!last || !isEnding(last)) {
    throw new TraceInvariantError(
      `${name}: ends with a '${last?.type ?? 'no'}' step; every path must end with a deliver, drop or exit-cluster step`,
    );
  }
  const said = dispositionOf(last);
  if (said !== path.disposition) {
    const article = last.type === 'exit-cluster' ? 'an' : 'a';
    throw new TraceInvariantError(`${name}: ends with ${article} ${last.type} step saying '${said}' but its disposition is '${path.disposition}'`);
  }
  if (path.disposition === 'insufficient-info' && !(path.needs && path.needs.length > 0 && last.type === 'drop' && last.needs?.length)) {
    throw new TraceInvariantError(`${name}: ends insufficient-info without naming the dumps that would settle it`);
  }
}

function isEnding(step: Step): step is EndingStep {
  return step.type === 'deliver' || step.type === 'drop' || step.type === 'exit-cluster';
}

function dispositionOf(step: EndingStep): TracePath['disposition'] {
  switch (step.type) {
    case 'deliver':
      return 'delivered';
    case 'exit-cluster':
      return 'exits-cluster';
    case 'drop':
      return step.disposition;
    default: {
      const unhandled: never = step;
      return unhandled;
    }
  }
}

function validateHop(hop: Hop, name: string): void {
  if (!hop.at) throw new TraceInvariantError(`${name}: does not say where it is (at)`);
  if (!hop.interface) throw new TraceInvariantError(`${name}: has no interface`);
  if (!hop.packet.src || !hop.packet.dst) throw new TraceInvariantError(`${name}: packet has no source or destination`);
  if (hop.steps.length === 0) throw new TraceInvariantError(`${name}: has no steps`);
}
