// The capture explainer's answer: the connections the captures hold, named in
// cluster terms (one selected), and below, the selected one's diagnosis first
// (verdict, the hop where the packet stopped, the cause), then its tunnel, its
// journey beside the trace and its signs of trouble. While the explainer runs,
// its progress. Text is already escaped (escapeText) by explain/view.ts.
import type { ExplainView, Para } from '../explain/view.ts';
import { verdictRole, verdictTag } from '../explain/view.ts';
import { fit, wrap, windowStart } from '../format.ts';
import type { ExplainState } from '../state.ts';
import type { Theme } from '../theme.ts';
import { Rows, row, type Row } from './Line.tsx';

export interface ExplainPaneProps {
  explain: ExplainState;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
}

export function listRows(view: ExplainView, selected: number, height: number, width: number, focused: boolean): Row[] {
  const start = windowStart(selected, view.entries.length, height);
  return view.entries.slice(start, start + height).map((entry, i) => {
    const isSelected = start + i === selected;
    const tag = verdictTag(entry.verdict);
    const role = verdictRole(entry.verdict);
    const tagText = tag ? `${tag.padEnd(10)} ` : '';
    return [
      { text: isSelected ? '›' : ' ', bold: true },
      { text: tagText, bold: true, ...(role ? { role } : {}) },
      { text: fit(entry.label, Math.max(0, width - 1 - tagText.length)), bold: isSelected, inverse: isSelected && focused },
    ];
  });
}

/** Paragraphs wrapped to the width; continuation rows indented so each paragraph reads as one. */
export function detailRows(paras: Para[], width: number): Row[] {
  const rows: Row[] = [];
  for (const p of paras) {
    const indent = Math.min(p.indent ?? 0, Math.floor(width / 3));
    const style = { ...(p.role ? { role: p.role } : {}), ...(p.bold ? { bold: true } : {}) };
    const [first = '', ...tail] = wrap(p.text, width);
    rows.push([{ text: first, ...style }]);
    // Continuation rows are indented, so each paragraph reads as one block.
    if (tail.length > 0) for (const text of wrap(tail.join(' '), width - indent)) rows.push([{ text: `${' '.repeat(indent)}${text}`, ...style }]);
  }
  return rows;
}

export function ExplainPane(props: ExplainPaneProps) {
  const { explain, width, height } = props;
  if (explain.status !== 'done' || !explain.view) {
    const rows: Row[] =
      explain.status === 'error'
        ? [row({ text: 'the explainer stopped:', role: 'bad', bold: true }), ...wrap(explain.error ?? '', width).map((t) => row({ text: t, role: 'bad' }))]
        : [
            row({ text: fit(`explaining the captures… ${explain.progress}`, width), role: 'warn' }),
            row({ text: fit('the other panes keep working meanwhile', width), role: 'dim' }),
          ];
    return <Rows rows={rows.slice(0, height)} theme={props.theme} />;
  }
  const view = explain.view;
  const header: Row = [{ text: fit(view.summary, width), ...(view.faultFound ? { role: 'bad' as const } : { role: 'ok' as const }), bold: true }];
  if (view.entries.length === 0) return <Rows rows={[header, row('no connections in the captures')]} theme={props.theme} />;
  // The list takes at most a third of the pane; the detail is what people read.
  const listHeight = Math.min(view.entries.length, Math.max(2, Math.floor((height - 2) / 3)));
  const list = listRows(view, explain.selected, listHeight, width, props.focused);
  const entry = view.entries[explain.selected];
  const hint = entry && entry.packets.length > 0 ? '  Enter: its packets (◆) in Capture · PgDn/PgUp: scroll' : '  PgDn/PgUp: scroll';
  const title: Row = [{ text: entry?.id ? `─ ${entry.id}` : '─ other', bold: true }, { text: fit(hint, width - 6), role: 'dim' }];
  const room = Math.max(1, height - 2 - listHeight);
  const all = detailRows(entry?.detail.slice(explain.scroll) ?? [], width);
  const detail = all.slice(0, room);
  if (all.length > room && room > 1) detail[room - 1] = row({ text: fit(`… ${all.length - room + 1} more rows (PgDn)`, width), role: 'dim' });
  return <Rows rows={[header, ...list, title, ...detail]} theme={props.theme} />;
}
