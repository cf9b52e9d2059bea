// All UI state in one reducer (STYLE.md). Pure: no React, no Ink, no I/O, so
// every key's effect is testable as data. Panes turn keys into these actions;
// the capture streamer feeds packets in batches through the same door.
import type { TraceResult } from '../trace/model.ts';
import { hopSearchText, stepSearchText } from './format.ts';
import type { CaptureRow } from './capture/rows.ts';
import { packetKey, packetKeys, type ExplainView } from './explain/view.ts';
import { keyToAction } from './keys.ts';

export type { CaptureState, ExplainState, PaneId, ReportState, SearchState, SidePane, UiAction, UiState } from './state-model.ts';
import type { CaptureState, ExplainState, PaneId, UiAction, UiState } from './state-model.ts';

export function initialState(
  trace: TraceResult,
  options: { capture: boolean; explain?: boolean; columns?: number; rows?: number },
): UiState {
  const panes: PaneId[] = ['trace', 'detail', 'topology'];
  if (options.capture) panes.push('capture');
  if (options.explain) panes.push('explain');
  const state: UiState = {
    panes,
    focus: 'trace',
    side: 'detail',
    path: 0,
    hop: 0,
    step: 0,
    expanded: false,
    picker: { open: false, index: 0 },
    help: false,
    warnings: false,
    search: { editing: false, text: '', last: '' },
    columns: options.columns ?? 80,
    rows: options.rows ?? 24,
    hopText: trace.paths.map((p) => p.hops.map(hopSearchText)),
    stepText: trace.paths.map((p) => p.hops.map((h) => h.steps.map(stepSearchText))),
    quit: false,
  };
  if (options.capture) {
    state.capture = { rows: [], total: 0, marked: 0, done: false, selected: 0, view: 'layers', layer: 0, moved: false };
  }
  if (options.explain) state.explain = { status: 'running', progress: 'starting…', selected: 0, scroll: 0 };
  return state;
}

function clamp(value: number, count: number): number {
  if (count <= 0) return 0;
  return Math.max(0, Math.min(count - 1, value));
}

/** Moves by delta, saturating instead of overflowing when delta is FAR. */
function moved(current: number, delta: number, count: number): number {
  return clamp(current + Math.max(-count, Math.min(count, delta)), count);
}

/** The packets m/M walk and a new capture opens on: the connection chosen in Explain, else the traced one. */
export function isTarget(capture: CaptureState, row: CaptureRow): boolean {
  return capture.chosen ? capture.chosen.packets.has(packetKey(row.file, row.frame)) : row.marked;
}

const hopCount = (s: UiState): number => s.hopText[s.path]?.length ?? 0;
const stepCount = (s: UiState): number => s.stepText[s.path]?.[s.hop]?.length ?? 0;

export function uiReducer(state: UiState, action: UiAction): UiState {
  if ((action.type === 'picker-move' || action.type === 'picker-choose') && !state.picker.open) return state;
  if ((action.type === 'search-type' || action.type === 'search-backspace') && !state.search.editing) return state;
  switch (action.type) {
    case 'key': {
      // One key press (input.ts splits Ink's events into presses). A "not found" answers
      // the key that searched: the next key starts without it (a search may set it again).
      const next = keyToAction(state, action.input, action.key);
      const fresh = state.search.message === undefined ? state : withoutMessage(state);
      return next ? uiReducer(fresh, next) : fresh;
    }
    case 'quit':
      return { ...state, quit: action.interrupted ? 'interrupted' : 'quit' };
    case 'write-report':
      if (state.report?.status === 'writing') return state;
      return { ...state, report: { status: 'writing', request: (state.report?.request ?? 0) + 1 } };
    case 'report-written':
      return state.report ? { ...state, report: { ...state.report, status: 'written', file: action.file } } : state;
    case 'report-error':
      return state.report ? { ...state, report: { ...state.report, status: 'error', error: action.error } } : state;
    case 'select-hop': {
      const hop = moved(state.hop, action.delta, hopCount(state));
      return hop === state.hop ? state : { ...state, hop, step: 0 };
    }
    case 'select-step':
      return { ...state, step: moved(state.step, action.delta, stepCount(state)) };
    case 'select-path': {
      const count = state.hopText.length;
      if (count < 2) return state;
      const path = (((state.path + action.delta) % count) + count) % count;
      return selectPath(state, path);
    }
    case 'select-packet': {
      if (!state.capture) return state;
      const selected = moved(state.capture.selected, action.delta, state.capture.rows.length);
      return { ...state, capture: { ...state.capture, selected, layer: 0, moved: true } };
    }
    case 'select-marked': {
      // The next (or previous) packet of the traced connection, wrapping around.
      if (!state.capture) return state;
      const rows = state.capture.rows;
      for (let i = 1; i <= rows.length; i++) {
        const index = (((state.capture.selected + action.delta * i) % rows.length) + rows.length) % rows.length;
        const r = rows[index];
        if (r && isTarget(state.capture, r)) return { ...state, capture: { ...state.capture, selected: index, layer: 0, moved: true } };
      }
      return state;
    }
    case 'select-layer': {
      if (!state.capture) return state;
      const row = state.capture.rows[state.capture.selected];
      const layer = moved(state.capture.layer, action.delta, row?.layers.length ?? 0);
      return { ...state, capture: { ...state.capture, layer } };
    }
    case 'focus-next':
    case 'focus-prev': {
      const index = state.panes.indexOf(state.focus);
      const step = action.type === 'focus-next' ? 1 : -1;
      const pane = state.panes[(index + step + state.panes.length) % state.panes.length] ?? 'trace';
      return focus(state, pane);
    }
    case 'focus':
      return state.panes.includes(action.pane) ? focus(state, action.pane) : state;
    case 'toggle-expand':
      return { ...state, expanded: !state.expanded };
    case 'toggle-capture-view':
      if (!state.capture) return state;
      return { ...state, capture: { ...state.capture, view: state.capture.view === 'layers' ? 'hex' : 'layers' } };
    case 'toggle-help':
      return { ...state, help: !state.help, warnings: false };
    case 'toggle-warnings':
      return { ...state, warnings: !state.warnings, help: false };
    case 'open-picker':
      if (state.hopText.length < 2) return state;
      return { ...state, picker: { open: true, index: state.path } };
    case 'picker-move':
      return { ...state, picker: { open: true, index: moved(state.picker.index, action.delta, state.hopText.length) } };
    case 'picker-choose':
      return { ...selectPath(state, state.picker.index), picker: { open: false, index: state.picker.index } };
    case 'close-overlays':
      return { ...state, help: false, warnings: false, picker: { ...state.picker, open: false } };
    case 'search-start':
      return { ...state, search: { editing: true, text: '', last: state.search.last } };
    case 'search-type':
      return { ...state, search: { ...state.search, text: state.search.text + action.text } };
    case 'search-backspace':
      return { ...state, search: { ...state.search, text: state.search.text.slice(0, -1) } };
    case 'search-cancel':
      return { ...state, search: { editing: false, text: '', last: state.search.last } };
    case 'search-commit': {
      const query = state.search.text.trim() || state.search.last;
      return find({ ...state, search: { editing: false, text: '', last: query } }, query);
    }
    case 'search-next':
      return state.search.last ? find(state, state.search.last) : state;
    case 'capture-batch': {
      if (!state.capture) return state;
      const rows = action.rows.length > 0 ? state.capture.rows.concat(action.rows) : state.capture.rows;
      const capture: CaptureState = { ...state.capture, rows, total: action.total, marked: action.marked };
      // Open on the traced connection rather than on whatever the capture starts with.
      const current = rows[capture.selected];
      if (!capture.moved && !(current && isTarget(capture, current))) {
        const first = rows.findIndex((r) => isTarget(capture, r));
        if (first >= 0) capture.selected = first;
      }
      return { ...state, capture };
    }
    case 'capture-done': {
      if (!state.capture) return state;
      const capture: CaptureState = { ...state.capture, done: true };
      if (action.error !== undefined) capture.error = action.error;
      return { ...state, capture };
    }
    case 'explain-progress':
      if (!state.explain || state.explain.status !== 'running') return state;
      return { ...state, explain: { ...state.explain, progress: action.text } };
    case 'explain-done':
      if (!state.explain) return state;
      return { ...state, explain: { ...state.explain, status: 'done', progress: '', view: action.view, selected: 0, scroll: 0 } };
    case 'explain-error':
      if (!state.explain) return state;
      return { ...state, explain: { ...state.explain, status: 'error', progress: '', error: action.error } };
    case 'select-connection': {
      const e = state.explain;
      if (!e?.view) return state;
      const selected = moved(e.selected, action.delta, e.view.entries.length);
      return selected === e.selected ? state : { ...state, explain: { ...e, selected, scroll: 0 } };
    }
    case 'scroll-explain': {
      const e = state.explain;
      if (!e?.view) return state;
      const lines = e.view.entries[e.selected]?.detail.length ?? 0;
      return { ...state, explain: { ...e, scroll: Math.max(0, Math.min(Math.max(0, lines - 1), e.scroll + action.delta)) } };
    }
    case 'show-connection-packets':
      return showConnectionPackets(state);
    case 'resize':
      return { ...state, columns: action.columns, rows: action.rows };
  }
}

/**
 * Enter on a connection in Explain: its packets (every capture, both directions,
 * before and after NAT) are marked ◆ in the Capture pane, which opens on the first.
 */
function showConnectionPackets(state: UiState): UiState {
  const entry = state.explain?.view?.entries[state.explain.selected];
  if (!state.capture || !entry || entry.packets.length === 0) return state;
  const chosen = { id: entry.id, packets: packetKeys(entry.packets) };
  const capture: CaptureState = { ...state.capture, chosen, layer: 0 };
  const first = capture.rows.findIndex((r) => chosen.packets.has(packetKey(r.file, r.frame)));
  // Packets not streamed in yet: the capture opens on the first one as it arrives.
  if (first >= 0) {
    capture.selected = first;
    capture.moved = true;
  } else capture.moved = false;
  return focus({ ...state, capture }, 'capture');
}

function selectPath(state: UiState, path: number): UiState {
  // Keep the same hop position when the other path is long enough: people compare
  // the same device across endpoints.
  const hops = state.hopText[path]?.length ?? 0;
  return { ...state, path, hop: clamp(state.hop, hops), step: 0 };
}

function focus(state: UiState, pane: PaneId): UiState {
  return { ...state, focus: pane, side: pane === 'trace' ? state.side : pane };
}

function withoutMessage(state: UiState): UiState {
  const { message: _drop, ...search } = state.search;
  return { ...state, search };
}

/** Finds the next match after the current selection in the focused pane, wrapping around. */
function find(state: UiState, query: string): UiState {
  const needle = query.toLowerCase();
  if (!needle) return state;
  const search = (texts: string[], current: number): number => {
    for (let i = 1; i <= texts.length; i++) {
      const index = (current + i) % texts.length;
      if (texts[index]?.includes(needle)) return index;
    }
    return -1;
  };
  const notFound = { ...state, search: { ...state.search, message: `not found: ${query}` } };
  const found = withoutMessage;
  if (state.focus === 'detail') {
    const index = search(state.stepText[state.path]?.[state.hop] ?? [], state.step);
    return index < 0 ? notFound : found({ ...state, step: index });
  }
  if (state.focus === 'explain' && state.explain?.view) {
    const index = search(state.explain.view.entries.map((e) => e.searchText), state.explain.selected);
    return index < 0 ? notFound : found({ ...state, explain: { ...state.explain, selected: index, scroll: 0 } });
  }
  if (state.focus === 'capture' && state.capture) {
    const index = search(state.capture.rows.map((r) => r.searchText), state.capture.selected);
    return index < 0 ? notFound : found({ ...state, capture: { ...state.capture, selected: index, layer: 0, moved: true } });
  }
  const index = search(state.hopText[state.path] ?? [], state.hop);
  return index < 0 ? notFound : found({ ...state, hop: index, step: 0 });
}
