// The UI's state and actions as types only: the reducer (state.ts) and the keymap (keys.ts)
// both read them, so neither imports the other's module for its types.
import type { TraceResult } from '../trace/model.ts';
import type { CaptureRow } from './capture/rows.ts';
import type { ExplainView } from './explain/view.ts';

/** The parts of Ink's Key that podpath uses. */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

export type PaneId = 'trace' | 'detail' | 'topology' | 'capture' | 'explain';
export type SidePane = Exclude<PaneId, 'trace'>;

export interface CaptureState {
  /** The packets kept in memory: the first `limit` of the file (see capture/stream.ts). */
  rows: CaptureRow[];
  /** Packets read so far, kept or not. */
  total: number;
  /** Packets of the traced connection seen so far, kept or not. */
  marked: number;
  done: boolean;
  error?: string;
  selected: number;
  view: 'layers' | 'hex';
  /** Layer highlighted in the layer tree and the hex view. */
  layer: number;
  /** Set once the user moves in the list; until then the first packet of the traced connection is selected as it arrives. */
  moved: boolean;
  /** A connection chosen in the Explain pane: its packets are marked ◆ and m/M walk them instead of the traced ones. */
  chosen?: { id: string; packets: Set<string> };
}

export interface ExplainState {
  status: 'running' | 'done' | 'error';
  /** What the explainer is doing now (reading a file, lining up). */
  progress: string;
  view?: ExplainView;
  error?: string;
  /** The entry selected in the list. */
  selected: number;
  /** First row of the selected entry's detail shown (PgDn/PgUp). */
  scroll: number;
}

export interface SearchState {
  editing: boolean;
  text: string;
  last: string;
  message?: string;
}

export interface UiState {
  panes: PaneId[];
  focus: PaneId;
  /** The pane drawn beside the trace list (or full width on narrow terminals). */
  side: SidePane;
  path: number;
  hop: number;
  step: number;
  expanded: boolean;
  picker: { open: boolean; index: number };
  help: boolean;
  warnings: boolean;
  search: SearchState;
  columns: number;
  rows: number;
  /** Lower-cased text per path per hop, and per step, for `/`. */
  hopText: string[][];
  stepText: string[][][];
  capture?: CaptureState;
  /** Present when captures were given: the explainer's run and its answer. */
  explain?: ExplainState;
  /** The HTML report `r` writes: asked for (the App writes it), then written or failed. */
  report?: ReportState;
  /** Set by q ('quit') or Ctrl-C ('interrupted'); the App exits Ink when it sees it. */
  quit: false | 'quit' | 'interrupted';
}

export interface ReportState {
  status: 'writing' | 'written' | 'error';
  /** Counts the requests, so the App writes each one once. */
  request: number;
  file?: string;
  error?: string;
}

export type UiAction =
  | { type: 'select-hop'; delta: number }
  | { type: 'select-step'; delta: number }
  | { type: 'select-path'; delta: number }
  | { type: 'select-packet'; delta: number }
  | { type: 'select-layer'; delta: number }
  | { type: 'select-marked'; delta: 1 | -1 }
  | { type: 'toggle-expand' }
  | { type: 'toggle-capture-view' }
  | { type: 'open-picker' }
  | { type: 'key'; input: string; key: KeyPress }
  | { type: 'quit'; interrupted?: boolean }
  | { type: 'focus-next' }
  | { type: 'focus-prev' }
  | { type: 'focus'; pane: PaneId }
  | { type: 'toggle-help' }
  | { type: 'toggle-warnings' }
  | { type: 'picker-move'; delta: number }
  | { type: 'picker-choose' }
  | { type: 'close-overlays' }
  | { type: 'search-start' }
  | { type: 'search-type'; text: string }
  | { type: 'search-backspace' }
  | { type: 'search-commit' }
  | { type: 'search-cancel' }
  | { type: 'search-next' }
  | { type: 'capture-batch'; rows: CaptureRow[]; total: number; marked: number }
  | { type: 'capture-done'; error?: string }
  | { type: 'explain-progress'; text: string }
  | { type: 'explain-done'; view: ExplainView }
  | { type: 'explain-error'; error: string }
  | { type: 'select-connection'; delta: number }
  | { type: 'scroll-explain'; delta: number }
  | { type: 'show-connection-packets' }
  | { type: 'resize'; columns: number; rows: number }
  | { type: 'write-report' }
  | { type: 'report-written'; file: string }
  | { type: 'report-error'; error: string };
