// The trace as text for people: numbered hops, the packet's addresses at each,
// before → after on every rewrite, one plain sentence per step. Everything that
// came from a dump goes through escapeLine (rule text, names, comments).
import { policyLines } from './render-policy.ts';
import type { Hop, Packet, Step, TracePath, TraceResult } from './model.ts';
import { escapeLine } from '../util/escape-text.ts';
import { jsonDocument, versioned } from '../util/json-output.ts';
import { appendAll } from '../util/append.ts';
import { formatProbability } from './probability.ts';
import { formatNeeds } from './needs.ts';
import { formatWarning } from '../util/warning.ts';

const addr = (host: string, port: number | undefined) => (port === undefined ? host : `${host}:${port}`);

export function formatPacketLine(packet: Packet): string {
  return `${addr(packet.src, packet.sport)} → ${addr(packet.dst, packet.dport)} ${packet.proto}${sizeText(packet)}`;
}

/** ' 1500 bytes DF', ' 1444 bytes (1 of 2 fragments)': only for a sized packet (`--size`). */
function sizeText(packet: Packet): string {
  if (packet.length === undefined) return '';
  const fragments = packet.fragments !== undefined ? ` (first of ${packet.fragments} fragments)` : '';
  return ` ${packet.length} bytes${packet.df ? ' DF' : ''}${fragments}`;
}

function outerLine(hop: Hop): string {
  const o = hop.outer;
  if (!o) return '';
  const kind = o.encapsulation === 'vxlan' ? `VXLAN vni ${o.vni} udp` : 'IPIP';
  return `  outer ${addr(o.src, o.sport)} → ${addr(o.dst, o.dport)} ${kind}`;
}

function stepLines(step: Step): string[] {
  const lines = [`- ${step.explanation}`];
  // A rule's own line is shown under its sentence; a policy's or a chain end's is only a label.
  if ((step.type === 'netfilter' && step.action !== 'end-of-chain') || step.type === 'nat') lines.push(`    ${step.rule}`);
  if (step.type === 'nat') {
    for (const d of step.diffs) lines.push(`    ${d.field}: ${d.old ?? '(none)'} → ${d.new ?? '(unknown)'}`);
  }
  if (step.type === 'route' && step.losers.length > 0) lines.push(`    (also matched, lost: ${step.losers.join('; ')})`);
  return lines;
}

function renderPath(path: TracePath, index: number, total: number): string[] {
  const title = [
    `Path ${index + 1} of ${total}`,
    path.endpoint ? `endpoint ${path.endpoint}` : undefined,
    `probability ${formatProbability(path.probability)}`,
    path.disposition.toUpperCase(),
  ].filter(Boolean).join(' · ');
  const lines = [title, `  ${path.reason}`];
  if (path.needs) lines.push(`  would settle it: ${formatNeeds(path.needs)}`);
  if (path.clientSees) lines.push(`  the client sees: ${path.clientSees}`);
  if (path.policy) for (const line of policyLines(path.policy, true)) lines.push(`  ${line}`);
  path.hops.forEach((hop, i) => {
    lines.push(`  ${i + 1}. ${hop.at} ${hop.interface}   ${formatPacketLine(hop.packet)}${outerLine(hop)}`);
    for (const step of hop.steps) {
      if (step.type === 'enter-interface' || step.type === 'exit-interface') continue;
      // Falling off the end of a user chain decides nothing; --json keeps these steps, text leaves them out.
      if (step.type === 'netfilter' && step.action === 'end-of-chain') continue;
      for (const line of stepLines(step)) lines.push(`       ${line}`);
    }
  });
  return lines;
}

export function renderTrace(result: TraceResult): string {
  const lines = [`trace ${result.query.from} → ${result.query.to}`, `first packet: ${formatPacketLine(result.query.packet)}`];
  const delivered = result.paths.filter((p) => p.disposition === 'delivered').length;
  const exits = result.paths.filter((p) => p.disposition === 'exits-cluster').length;
  lines.push(`${result.paths.length} path${result.paths.length === 1 ? '' : 's'}, ${delivered} delivered${exits > 0 ? `, ${exits} leave${exits === 1 ? 's' : ''} the cluster` : ''}`, '');
  result.paths.forEach((path, i) => appendAll(lines, renderPath(path, i, result.paths.length)).push(''));
  for (const w of result.warnings) lines.push(`warning: ${formatWarning(w)}`);
  return lines.map(escapeLine).join('\n').trimEnd() + '\n';
}

/** The trace as JSON, through the one JSON writer every --json uses. */
export function renderTraceJson(result: TraceResult): string {
  return jsonDocument(versioned(result));
}
