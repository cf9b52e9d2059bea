// Keys → actions, per pane. Only the focused pane's keymap is consulted (focus
// gating, as STYLE.md asks), but the choice is made inside the reducer against the
// current state rather than by a listener per pane: Ink registers listeners in
// passive effects, so a key typed right after Tab (tmux send-keys, a paste, a fast
// typist) used to reach the pane that had just lost focus, or no pane at all.
// Routing every key through the reducer keeps keys in order whatever the timing.
import type { PaneId, UiAction, UiState } from './state-model.ts';

/** A page of rows for PageUp/PageDown, and "to the end" for G/End. */
export const PAGE = 10;
export const FAR = Number.MAX_SAFE_INTEGER;

export type { KeyPress } from './state-model.ts';
import type { KeyPress } from './state-model.ts';

type Keymap = (input: string, key: KeyPress, state: UiState) => UiAction | undefined;

function listMove(type: 'select-hop' | 'select-step' | 'select-packet' | 'select-connection', input: string, key: KeyPress): UiAction | undefined {
  if (key.downArrow || input === 'j') return { type, delta: 1 };
  if (key.upArrow || input === 'k') return { type, delta: -1 };
  if (key.pageDown) return { type, delta: PAGE };
  if (key.pageUp) return { type, delta: -PAGE };
  if (key.home || input === 'g') return { type, delta: -FAR };
  if (key.end || input === 'G') return { type, delta: FAR };
  return undefined;
}

export const paneKeys: Record<PaneId, Keymap> = {
  trace: (input, key) => {
    if (key.leftArrow || input === 'h') return { type: 'select-path', delta: -1 };
    if (key.rightArrow || input === 'l') return { type: 'select-path', delta: 1 };
    if (input === 'p') return { type: 'open-picker' };
    if (key.return) return { type: 'focus', pane: 'detail' };
    return listMove('select-hop', input, key);
  },
  detail: (input, key) => {
    if (key.return) return { type: 'toggle-expand' };
    if (key.leftArrow || input === 'h') return { type: 'select-hop', delta: -1 };
    if (key.rightArrow || input === 'l') return { type: 'select-hop', delta: 1 };
    return listMove('select-step', input, key);
  },
  // The topology follows the trace: moving here walks the mark through the diagram.
  topology: (input, key) => {
    if (key.return) return { type: 'focus', pane: 'detail' };
    return listMove('select-hop', input, key);
  },
  capture: (input, key) => {
    if (key.return || input === 'x') return { type: 'toggle-capture-view' };
    if (input === 'm') return { type: 'select-marked', delta: 1 };
    if (input === 'M') return { type: 'select-marked', delta: -1 };
    if (key.rightArrow || input === 'l') return { type: 'select-layer', delta: 1 };
    if (key.leftArrow || input === 'h') return { type: 'select-layer', delta: -1 };
    return listMove('select-packet', input, key);
  },
  // A connection per row; its detail below scrolls with PgDn/PgUp (space, b) since
  // a diagnosis with a long journey can be taller than the pane.
  explain: (input, key) => {
    if (key.return || input === 'm') return { type: 'show-connection-packets' };
    if (key.pageDown || input === ' ') return { type: 'scroll-explain', delta: PAGE / 2 };
    if (key.pageUp || input === 'b') return { type: 'scroll-explain', delta: -PAGE / 2 };
    return listMove('select-connection', input, key);
  },
};

function searchKeys(input: string, key: KeyPress): UiAction | undefined {
  if (key.return) return { type: 'search-commit' };
  if (key.escape) return { type: 'search-cancel' };
  if (key.backspace || key.delete) return { type: 'search-backspace' };
  if (input && !key.ctrl && !key.meta && !key.tab) return { type: 'search-type', text: input };
  return undefined;
}

function pickerKeys(input: string, key: KeyPress): UiAction | undefined {
  if (key.downArrow || input === 'j') return { type: 'picker-move', delta: 1 };
  if (key.upArrow || input === 'k') return { type: 'picker-move', delta: -1 };
  if (key.return) return { type: 'picker-choose' };
  return undefined;
}

/** What a key means now: the search prompt, an overlay, the global keys, then the focused pane. */
export function keyToAction(state: UiState, input: string, key: KeyPress): UiAction | undefined {
  // Ctrl-C ends the UI from anywhere, the search prompt included, as an interrupted program.
  if (key.ctrl && input === 'c') return { type: 'quit', interrupted: true };
  if (state.search.editing) return searchKeys(input, key);
  if (input === 'q') return { type: 'quit' };
  // Esc steps back: out of an overlay, else out of a side pane (full width on a narrow
  // terminal) to the trace list beside it. Only q and Ctrl-C quit.
  if (key.escape) return state.help || state.warnings || state.picker.open ? { type: 'close-overlays' } : { type: 'focus', pane: 'trace' };
  if (input === '?') return { type: 'toggle-help' };
  if (input === 'w') return { type: 'toggle-warnings' };
  if (state.picker.open) return pickerKeys(input, key);
  if (state.help || state.warnings) return undefined;
  if (key.tab) return { type: key.shift ? 'focus-prev' : 'focus-next' };
  if (input === '/') return { type: 'search-start' };
  if (input === 'r') return { type: 'write-report' };
  if (input === 'n') return { type: 'search-next' };
  // The explainer's view, from anywhere (it exists only with --capture).
  if (input === 'e' && state.panes.includes('explain')) return { type: 'focus', pane: 'explain' };
  if (/^[1-9]$/.test(input)) {
    const pane = state.panes[Number(input) - 1];
    return pane ? { type: 'focus', pane } : undefined;
  }
  return paneKeys[state.focus](input, key, state);
}
