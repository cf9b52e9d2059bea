// Packets of the capture as they stream in: a list (the traced connection's
// packets marked ●), and for the selected packet its layer tree (tunnelled layers
// indented under the tunnel) or a hex view with the selected layer's bytes shown.
import { hexRows, type CaptureRow } from '../capture/rows.ts';
import { countText, fit, windowStart } from '../format.ts';
import { packetKey } from '../explain/view.ts';
import type { CaptureState } from '../state.ts';
import type { Theme } from '../theme.ts';
import { Rows, row, type Row } from './Line.tsx';

export interface CapturePaneProps {
  capture: CaptureState;
  /** Per file: where the explainer placed it (ExplainView.places), once it has run. */
  places?: string[];
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
}

export function packetListRows(capture: CaptureState, height: number, width: number, focused: boolean): Row[] {
  const start = windowStart(capture.selected, capture.rows.length, height);
  return capture.rows.slice(start, start + height).map((r, i) => {
    const selected = start + i === capture.selected;
    // ◆ (a connection chosen in Explain) wins over ● (the traced connection) in the one mark column.
    const chosen = capture.chosen?.packets.has(packetKey(r.file, r.frame)) ?? false;
    return [
      { text: selected ? '›' : ' ', bold: true },
      { text: chosen ? '◆' : r.marked ? '●' : ' ', role: chosen ? 'accent' : 'mark', bold: chosen },
      { text: fit(`${r.source ? `${r.source} ` : ''}${String(r.frame).padStart(5)} ${r.summary}`, width - 2), bold: selected, inverse: selected && focused },
    ];
  });
}

export function layerRows(r: CaptureRow, layer: number, height: number): Row[] {
  const rows: Row[] = [];
  let selStart = 0;
  r.layers.forEach((l, i) => {
    const indent = '  '.repeat(l.depth);
    if (i === layer) selStart = rows.length;
    rows.push([
      { text: `${indent}${i === layer ? '▾ ' : '▸ '}` },
      { text: l.title, bold: i === layer, ...(l.depth > 0 ? { role: 'encap' as const } : {}) },
    ]);
    if (i === layer) for (const f of l.fields) rows.push(row(`${indent}    ${f}`));
  });
  const start = windowStart(selStart, rows.length, height);
  return rows.slice(start, start + height);
}

export function hexViewRows(r: CaptureRow, layer: number, height: number): Row[] {
  const l = r.layers[layer];
  const from = l ? l.offset : 0;
  const to = l ? l.offset + l.length : 0;
  // Scroll so the selected layer's first byte is on screen.
  const firstRow = Math.max(0, Math.floor(from / 16) - 1);
  return hexRows(r.bytes, firstRow, height).map((h) => {
    const segs: Row = [{ text: `${h.offset.toString(16).padStart(4, '0')}  `, role: 'dim' }];
    // Bytes of the selected layer are highlighted cell by cell.
    for (let i = 0; i < 16; i++) {
      const at = h.offset + i;
      const cell = h.hex.slice(i * 3 + (i >= 8 ? 1 : 0), i * 3 + (i >= 8 ? 1 : 0) + 2);
      const inLayer = at >= from && at < to;
      segs.push({ text: cell, ...(inLayer ? { role: 'accent' as const, underline: true } : {}) });
      segs.push({ text: i === 7 ? '  ' : ' ' });
    }
    segs.push({ text: ` ${h.ascii}`, role: 'dim' });
    return segs;
  });
}

export function CapturePane(props: CapturePaneProps) {
  const { capture } = props;
  const listHeight = Math.max(3, Math.floor((props.height - 2) * 0.4));
  const detailHeight = Math.max(1, props.height - listHeight - 2);
  const state = capture.error
    ? `stopped: ${capture.error}`
    : capture.done
      ? 'read to the end'
      : `reading… ${countText(capture.total)} packets`;
  const kept = capture.total > capture.rows.length ? ` (first ${countText(capture.rows.length)} kept)` : '';
  const chosen = capture.chosen ? `, ◆ ${capture.chosen.packets.size} of ${capture.chosen.id}` : '';
  const header: Row = [
    { text: fit(`${countText(capture.total)} packets${kept}, ● ${capture.marked} of the traced connection${chosen} · `, props.width) },
    { text: state, ...(capture.error ? { role: 'bad' as const } : capture.done ? {} : { role: 'warn' as const }) },
  ];
  const selected = capture.rows[capture.selected];
  const list = packetListRows(capture, listHeight, props.width, props.focused);
  while (list.length < listHeight) list.push([]);
  // The selected packet's capture and where it was taken (the explainer's placement, the same words as Explain's).
  const place = selected ? props.places?.[selected.file] : undefined;
  const detailTitle: Row = [
    { text: capture.view === 'layers' ? 'layers' : 'bytes', bold: true },
    ...(place ? [{ text: fit(` · at ${place}`, Math.max(0, props.width - 8)), role: 'accent' as const }] : []),
    { text: `  (Enter: layers/hex, ←/→ layer, m: next ${capture.chosen ? '◆' : '●'})`, role: 'dim' },
  ];
  const detail = !selected
    ? [row(capture.done ? 'no packets' : 'waiting for packets…')]
    : capture.view === 'layers'
      ? layerRows(selected, capture.layer, detailHeight)
      : hexViewRows(selected, capture.layer, detailHeight);
  return <Rows rows={[header, ...list, detailTitle, ...detail]} theme={props.theme} />;
}
