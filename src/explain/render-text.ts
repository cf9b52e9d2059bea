// The readable form of an Explanation. Every line passes through escapeLine:
// addresses are ours, but HTTP request lines, host names and file names come from
// captures and dumps and may carry terminal escapes.
import { escapeLine } from '../util/escape-text.ts';
import { formatWarning } from '../util/warning.ts';
import { placementLine } from './placement/text.ts';
import type { CaptureInfo, Cause, Explanation, Journey, ModelHop, Sighting } from './model.ts';

/** Text output stays readable on big captures; --json always has everything. */
const MAX_CONNECTIONS = 200;
const MAX_JOURNEYS = 50;
const MAX_TROUBLES = 100;

function where(at: string | undefined, iface: string | undefined): string {
  return `${at ?? '?'} ${iface ?? '?'}`;
}

function tuple(s: { src: string; dst: string; sport?: number; dport?: number; proto: string }): string {
  const a = s.sport === undefined ? s.src : `${s.src}:${s.sport}`;
  const b = s.dport === undefined ? s.dst : `${s.dst}:${s.dport}`;
  return `${a} → ${b} ${s.proto.toUpperCase()}`;
}

function sightingLine(index: number, s: Sighting, hop: ModelHop | undefined, fromAny = false): string {
  const outer = s.outer ? `  [${s.outer.encapsulation.toUpperCase()}${s.outer.vni !== undefined ? ` ${s.outer.vni}` : ''} ${s.outer.src} → ${s.outer.dst}${s.outer.dport !== undefined ? `:${s.outer.dport}` : ''}]` : '';
  const repeats = s.repeats > 0 ? `  (+${s.repeats} retransmission${s.repeats === 1 ? '' : 's'})` : '';
  const check = hop ? (hop.differences.length > 0 ? '  ≠ model' : '  = model') : '';
  const place = `${where(s.at, s.interface)}${fromAny ? ' (any)' : ''}`;
  return `  ${String(index + 1).padStart(2)}. ${place.padEnd(28)} frame ${String(s.frame).padEnd(5)} ${tuple(s.packet)}${outer}${repeats}${check}`;
}

/** "likely cause: … (file:line)" */
export function causeLine(cause: Cause): string {
  return `likely cause: ${cause.text}${cause.source ? ` (${cause.source.file}:${cause.source.line})` : ''}`;
}

function journeyLines(j: Journey, captures: CaptureInfo[]): string[] {
  const sees = j.refusal ? `: ${j.refusal.clientSees}` : '';
  const lines: string[] = [`${j.connection}: the ${j.firstPacket}, ${j.verdict === 'no-model' ? 'seen at' : `${j.verdict}${sees}`}`];
  j.sightings.forEach((s, i) => {
    const hop = j.model?.hops.find((h) => h.at === s.at && h.interface === s.interface && h.check === 'seen');
    lines.push(sightingLine(i, s, hop, captures[s.capture]?.fromAny === true));
  });
  if (j.model) {
    const missing = j.model.hops.filter((h) => h.check === 'missing');
    for (const h of missing) lines.push(`      never seen on ${where(h.at, h.interface)} (captured there, expected by the ${j.model.source === 'trace' ? 'trace' : 'dumps'})`);
    if (j.model.disposition) lines.push(`      trace (${j.model.disposition}): ${j.model.reason ?? ''}`);
  }
  for (const t of j.text) lines.push(`      ${t}`);
  if (j.cause) lines.push(`      ${causeLine(j.cause)}`);
  if (j.reply) {
    lines.push(`    the reply (${j.reply.firstPacket}), back towards the client:`);
    j.reply.sightings.forEach((s, i) => lines.push(sightingLine(i, s, undefined, captures[s.capture]?.fromAny === true)));
    for (const t of j.reply.text) lines.push(`      ${t}`);
    if (j.reply.cause) lines.push(`      ${causeLine(j.reply.cause)}`);
  }
  return lines;
}

export function renderText(e: Explanation): string {
  const out: string[] = [];
  out.push('Captures');
  for (const c of e.captures) {
    const place = c.at ? ` (${where(c.at, c.interface)}${c.fromAny ? ', from -i any' : ''})` : '';
    out.push(`  ${c.file}${place}: ${c.packets} packet${c.packets === 1 ? '' : 's'}`);
    out.push(`    ${placementLine(c)}`);
    for (const err of c.errors) out.push(`    ${err}`);
  }
  out.push('', 'Addresses');
  for (const a of e.addresses) out.push(`  ${a.ip.padEnd(16)} ${a.description}`);
  out.push('', `Connections (${e.connections.length})`);
  for (const c of e.connections.slice(0, MAX_CONNECTIONS)) {
    out.push(`  ${c.id}  ${c.summary}`);
    for (const h of c.http) {
      const host = h.host ? ` (Host: ${h.host})` : '';
      out.push(`        HTTP ${h.request}${host} frame ${h.requestFrame} → ${h.response ? `${h.response} frame ${h.responseFrame ?? '?'}` : 'no response seen'}`);
    }
  }
  if (e.connections.length > MAX_CONNECTIONS) out.push(`  … ${e.connections.length - MAX_CONNECTIONS} more (--json lists them all)`);
  if (e.tunnels.length > 0) {
    out.push('', 'Tunnels');
    for (const t of e.tunnels) out.push(`  ${t.text} (${t.packets} packet${t.packets === 1 ? '' : 's'})`);
  }
  // Lost and disagreeing journeys first, so a big capture's problems are not buried.
  const rankOf = (j: Journey): number => (j.verdict === 'lost' || j.verdict === 'rejected' || j.reply ? 0 : j.verdict === 'disagrees' ? 1 : 2);
  const journeys = e.journeys.filter((j) => j.sightings.length > 1 || j.model);
  const shown = journeys.length > MAX_JOURNEYS ? [...journeys].sort((a, b) => rankOf(a) - rankOf(b)).slice(0, MAX_JOURNEYS) : journeys;
  if (shown.length > 0) {
    out.push('', 'Journeys (first packet of each connection, hop by hop)');
    for (const j of shown) for (const l of journeyLines(j, e.captures)) out.push(`  ${l}`);
    if (journeys.length > shown.length) out.push(`  … ${journeys.length - shown.length} more (--json lists them all)`);
  }
  if (e.troubles.length > 0) {
    out.push('', 'Signs of trouble');
    for (const t of e.troubles.slice(0, MAX_TROUBLES)) out.push(`  ${e.captures[t.capture]?.file ?? '?'} frame ${t.frame}: ${t.text}`);
    if (e.troubles.length > MAX_TROUBLES) out.push(`  … ${e.troubles.length - MAX_TROUBLES} more (--json lists them all)`);
  }
  const other = Object.entries(e.other);
  if (other.length > 0) out.push('', `Other packets: ${other.map(([k, n]) => `${n} ${k}`).join(', ')}`);
  if (e.warnings.length > 0) {
    out.push('', `Warnings (${e.warnings.length})`);
    for (const w of e.warnings.slice(0, 20)) out.push(`  ${formatWarning(w)}`);
    if (e.warnings.length > 20) out.push(`  … ${e.warnings.length - 20} more (--json lists them all)`);
  }
  const faults = e.journeys.filter((j) => j.verdict === 'lost' || j.verdict === 'rejected' || j.verdict === 'disagrees' || j.reply);
  out.push('', faults.length > 0 || e.faultFound ? 'Verdict: trouble found' : 'Verdict: no trouble found');
  for (const j of faults.slice(0, 10)) {
    if (j.reply && j.verdict === 'agrees') out.push(`  ${j.connection} reply lost${j.reply.cause ? `: ${j.reply.cause.text}` : ''}`);
    else out.push(`  ${j.connection} ${j.verdict}${j.refusal ? ` (${j.refusal.clientSees})` : ''}${j.cause ? `: ${j.cause.text}` : ''}`);
  }
  if (faults.length > 10) out.push(`  … ${faults.length - 10} more`);
  return out.map(escapeLine).join('\n') + '\n';
}
