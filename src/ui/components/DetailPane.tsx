// The steps at the selected hop. Collapsed, a step is one line; the selected
// step (or every step, after Enter) opens to show the dump's own line (netfilter
// rules as iptables-save wrote them, routes as `ip route` prints them), the route
// that lost, NAT changes highlighted, and the plain explanation.
import type { FieldDiff, Hop, Packet, Step } from '../../trace/model.ts';
import { changedFields, outerText, packetAfter, s, stepLabel, stepSummary, wrap } from '../format.ts';
import type { Theme } from '../theme.ts';
import { Rows, row, type Row, type Seg } from './Line.tsx';
import { appendAll } from '../../util/append.ts';

export interface DetailPaneProps {
  hop: Hop | undefined;
  stepIndex: number;
  expanded: boolean;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
}

/** A packet as segments, changed fields highlighted. */
export function packetSegs(p: Packet, changed: Set<FieldDiff['field']>): Seg[] {
  const part = (text: string, hit: boolean): Seg => (hit ? { text, role: 'changed', bold: true } : { text });
  return [
    part(s(p.src), changed.has('src')),
    ...(p.sport === undefined ? [] : [{ text: ':' }, part(String(p.sport), changed.has('sport'))]),
    { text: ' → ' },
    part(s(p.dst), changed.has('dst')),
    ...(p.dport === undefined ? [] : [{ text: ':' }, part(String(p.dport), changed.has('dport'))]),
    { text: ` ${p.proto}` },
  ];
}

export function headerRows(hop: Hop, width: number): Row[] {
  const rows: Row[] = [row({ text: `${s(hop.at)} · ${s(hop.interface)}`, bold: true })];
  const changed = changedFields(hop.steps);
  // With an outer header the hop's packet is the inner one: say so.
  rows.push([{ text: hop.outer ? 'inner  ' : 'packet ', role: 'dim' }, ...packetSegs(hop.packet, new Set())]);
  if (changed.size > 0) rows.push([{ text: 'after  ', role: 'dim' }, ...packetSegs(packetAfter(hop), changed)]);
  if (hop.outer) {
    const outer: Seg = { text: `outer  ${outerText(hop.outer)}`, role: 'encap' };
    // Outer beside inner when there is room, as a capture tool would nest them.
    if (width >= 100) rows.push([outer, { text: '  ┃ inner ', role: 'dim' }, ...packetSegs(hop.packet, new Set())]);
    else rows.push([outer]);
  }
  return rows;
}

function detailRows(step: Step, width: number): Row[] {
  const indent = '      ';
  const room = Math.max(10, width - indent.length);
  const text = (t: string, extra: Omit<Seg, 'text'> = {}): Row[] => wrap(t, room).map((w) => [{ text: indent }, { text: w, ...extra }]);
  const rows: Row[] = [];
  switch (step.type) {
    case 'netfilter':
      appendAll(appendAll(rows, text(`${step.table} ${step.chain}`, { role: 'dim' })), text(s(step.rule), { role: 'accent' }));
      if (step.probability !== undefined) appendAll(rows, text(`taken with probability ${step.probability} when reached`));
      break;
    case 'nat':
      appendAll(appendAll(rows, text(`${step.table} ${step.chain}`, { role: 'dim' })), text(s(step.rule), { role: 'accent' }));
      for (const d of step.diffs) {
        rows.push([
          { text: indent },
          { text: `${d.field} ` },
          { text: s(String(d.old ?? '∅')) },
          { text: ' → ' },
          { text: s(String(d.new ?? '∅')), role: 'changed', bold: true },
        ]);
      }
      break;
    case 'route':
      appendAll(rows, text(`✓ ${s(step.chosen ?? 'no matching route')}  (table ${s(step.table)})`, { role: 'ok' }));
      for (const loser of step.losers) appendAll(rows, text(`✗ ${s(loser)}  (lost)`, { role: 'dim' }));
      if (step.outInterface || step.nextHop) {
        appendAll(rows, text(`→ ${step.nextHop ? `via ${s(step.nextHop)} ` : ''}${step.outInterface ? `dev ${s(step.outInterface)}` : ''}`));
      }
      break;
    case 'neighbour':
      appendAll(rows, text(`neighbour ${s(step.ip)} dev ${s(step.interface)} lladdr ${s(step.mac ?? '?')}: ${s(step.result)}`));
      break;
    case 'bridge':
      appendAll(rows, text(`fdb ${s(step.mac)} on ${s(step.bridge)}${step.port ? ` → port ${s(step.port)}` : ''}: ${s(step.result)}`));
      break;
    case 'encapsulate':
    case 'decapsulate':
      appendAll(rows, text(`outer ${outerText(step.outer)}`, { role: 'encap' }));
      break;
    default:
      break;
  }
  if (step.type !== 'note') appendAll(rows, text(s(step.explanation)));
  if (step.source) appendAll(rows, text(`${s(step.source.file)}:${step.source.line}`, { role: 'dim' }));
  return rows;
}

const stepRole = (step: Step): Seg['role'] => {
  if (step.type === 'drop') return 'bad';
  if (step.type === 'nat') return 'changed';
  if (step.type === 'encapsulate' || step.type === 'decapsulate') return 'encap';
  if (step.type === 'deliver') return 'ok';
  if (step.type === 'netfilter' && (step.action === 'drop' || step.action === 'reject' || step.action === 'policy-drop')) return 'bad';
  return undefined;
};

export function stepRows(hop: Hop, stepIndex: number, expanded: boolean, width: number, focused: boolean): { rows: Row[]; selStart: number; selEnd: number } {
  const rows: Row[] = [];
  let selStart = 0;
  let selEnd = 0;
  hop.steps.forEach((step, i) => {
    const selected = i === stepIndex;
    if (selected) selStart = rows.length;
    const role = stepRole(step);
    rows.push([
      { text: `${selected ? '›' : ' '} `, bold: selected },
      { text: stepLabel(step).padEnd(8), bold: true, inverse: selected && focused, ...(role ? { role } : {}) },
      { text: ` ${stepSummary(step)}` },
    ]);
    if (selected || expanded) appendAll(rows, detailRows(step, width));
    if (selected) selEnd = rows.length;
  });
  return { rows, selStart, selEnd };
}

export function DetailPane(props: DetailPaneProps) {
  const { hop } = props;
  if (!hop) return <Rows rows={[row('no hop selected')]} theme={props.theme} />;
  const head = headerRows(hop, props.width);
  const title = row({ text: `steps (${hop.steps.length})${props.expanded ? ' · all open' : ''}`, role: 'dim' });
  const { rows, selStart, selEnd } = stepRows(hop, props.stepIndex, props.expanded, props.width, props.focused);
  const room = Math.max(1, props.height - head.length - 1);
  // Keep the whole selected step in view when it fits, else its first lines.
  let start = Math.max(0, Math.min(selStart - 1, rows.length - room));
  if (selEnd - start > room) start = selStart;
  if (start > selStart) start = selStart;
  return <Rows rows={[...head, title, ...rows.slice(start, start + room)]} theme={props.theme} />;
}

