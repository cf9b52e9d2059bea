// The trace in brief, podpath's default text: per path a headline (endpoint, share, ending,
// what the client sees), one line per hop with the packet where it changes and the step
// that decided something there (the NAT rewrite, the route out, the rule that accepted,
// rejected or dropped, the tunnel), then why it ended. `trace -v` prints every step.
// Lines are wrapped to the width given (the terminal's), continuation lines indented.
import { policyLines } from './render-policy.ts';
import type { Hop, Step, TracePath, TraceResult } from './model.ts';
import { escapeLine } from '../util/escape-text.ts';
import { formatNeeds } from './needs.ts';
import { formatWarning } from '../util/warning.ts';
import { formatPacketLine } from './render.ts';
import { appendAll } from '../util/append.ts';

const percent = (p: number): string => `${Number((p * 100).toFixed(1))}%`;
const addr = (host: string, port: number | undefined) => (port === undefined ? host : `${host}:${port}`);

/** The steps of a hop that decided something, each in a few words. */
function decisive(step: Step): string | undefined {
  switch (step.type) {
    case 'nat':
      return `${step.action.toUpperCase()} ${step.diffs.map((d) => `${d.field} ${d.old ?? '?'} → ${d.new ?? '?'}`).join(', ')} (${step.table} ${step.chain})`;
    case 'route':
      if (step.result === 'local') return `route: local (${step.table})`;
      return step.chosen !== undefined ? `route ${step.chosen}${step.table !== 'main' ? ` (table ${step.table})` : ''}` : `route: ${step.result}`;
    case 'netfilter':
      // Jumps and marks lead somewhere; the verdicts are what a reader looks for.
      if (step.action === 'accept' || step.action === 'drop' || step.action === 'reject' || step.action === 'policy-drop') {
        return `${step.table} ${step.chain} ${step.action === 'policy-drop' ? 'policy DROP' : step.action.toUpperCase()}${step.action === 'policy-drop' ? '' : `: ${step.rule}`}`;
      }
      return undefined;
    case 'neighbour':
      return step.result === 'found' || step.result === 'proxy-arp' ? undefined : `neighbour ${step.ip} on ${step.interface}: ${step.result}`;
    case 'bridge':
      return step.result === 'flood' ? `${step.bridge} floods ${step.mac} (no FDB entry)` : undefined;
    case 'encapsulate':
      return `${step.device} wraps it: ${addr(step.outer.src, step.outer.sport)} → ${addr(step.outer.dst, step.outer.dport)} ${step.outer.encapsulation.toUpperCase()}${step.vni !== undefined ? ` ${step.vni}` : ''}`;
    case 'decapsulate':
      return `${step.device} unwraps it`;
    case 'deliver':
      return `delivered to ${step.to}${step.port !== undefined ? ` port ${step.port}` : ''}`;
    case 'drop':
      return `${step.disposition}: ${step.explanation}`;
    case 'exit-cluster':
      return `leaves the cluster by ${step.interface} via ${step.nextHop}`;
    case 'enter-interface':
    case 'exit-interface':
    case 'note':
      return undefined;
    default: {
      const unhandled: never = step;
      return unhandled;
    }
  }
}

/** Breaks one line at spaces to `width` columns; continuation lines get `indent`. */
export function wrapLine(line: string, width: number, indent: string): string[] {
  if (line.length <= width || width < 20) return [line];
  const out: string[] = [];
  let rest = line;
  let prefix = '';
  while ((prefix + rest).length > width) {
    const room = width - prefix.length;
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= 0) cut = rest.indexOf(' ', room);
    if (cut <= 0) break;
    out.push(prefix + rest.slice(0, cut));
    rest = rest.slice(cut + 1);
    prefix = indent;
  }
  out.push(prefix + rest);
  return out;
}

function hopLines(hop: Hop, index: number, previous: Hop | undefined): string[] {
  const changed = !previous || formatPacketLine(previous.packet) !== formatPacketLine(hop.packet) || JSON.stringify(previous.outer) !== JSON.stringify(hop.outer);
  const packet = changed ? `  ${formatPacketLine(hop.packet)}${hop.outer ? `  outer ${addr(hop.outer.src, hop.outer.sport)} → ${addr(hop.outer.dst, hop.outer.dport)}` : ''}` : '';
  const head = `${String(index + 1).padStart(3)}. ${hop.at} ${hop.interface}${packet}`;
  const facts = hop.steps.map(decisive).filter((f): f is string => f !== undefined);
  return [head, ...facts.map((f) => `       ${f}`)];
}

function pathLines(path: TracePath, index: number, total: number): string[] {
  const title = [
    `Path ${index + 1}/${total}`,
    path.endpoint ? `→ ${path.endpoint} (${percent(path.probability)})` : undefined,
    path.disposition.toUpperCase(),
    path.clientSees ? `the client sees: ${path.clientSees}` : undefined,
  ].filter(Boolean).join(' · ');
  const lines = [title];
  path.hops.forEach((hop, i) => appendAll(lines, hopLines(hop, i, path.hops[i - 1])));
  lines.push(`  ${path.reason}`);
  if (path.needs) lines.push(`  would settle it: ${formatNeeds(path.needs)}`);
  if (path.policy) for (const line of policyLines(path.policy, false)) lines.push(`  ${line}`);
  return lines;
}

export function renderBriefTrace(result: TraceResult, width: number): string {
  const delivered = result.paths.filter((p) => p.disposition === 'delivered').length;
  const exits = result.paths.filter((p) => p.disposition === 'exits-cluster').length;
  const lines = [
    `trace ${result.query.from} → ${result.query.to}`,
    `first packet ${formatPacketLine(result.query.packet)} · ${result.paths.length} path${result.paths.length === 1 ? '' : 's'}, ${delivered} delivered${exits > 0 ? `, ${exits} leave${exits === 1 ? 's' : ''} the cluster` : ''}`,
    '',
  ];
  result.paths.forEach((path, i) => appendAll(lines, pathLines(path, i, result.paths.length)).push(''));
  for (const w of result.warnings) lines.push(`warning: ${formatWarning(w)}`);
  lines.push(`(every step of every hop: podpath trace … -v)`);
  const wrapped = lines.map(escapeLine).flatMap((line) => {
    const indent = ' '.repeat(Math.min(12, (/^\s*/.exec(line)?.[0].length ?? 0) + 4));
    return wrapLine(line, width, indent);
  });
  return wrapped.join('\n') + '\n';
}
