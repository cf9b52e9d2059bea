// The UI reducer: every key's effect as data (fixtures from test/ui/fixtures.ts).
import { describe, expect, it } from 'vitest';
import { FAR } from '../../src/ui/keys.ts';
import { initialState, uiReducer, type UiAction, type UiState } from '../../src/ui/state.ts';
import { fixtureTrace } from './fixtures.ts';

const run = (state: UiState, ...actions: UiAction[]): UiState => actions.reduce(uiReducer, state);
const start = (capture = false) => initialState(fixtureTrace, { capture });

describe('ui reducer', () => {
  it('moves the hop within the path and stops at both ends', () => {
    const s = start();
    expect(run(s, { type: 'select-hop', delta: 1 }).hop).toBe(1);
    expect(run(s, { type: 'select-hop', delta: -1 }).hop).toBe(0);
    expect(run(s, { type: 'select-hop', delta: FAR }).hop).toBe(fixtureTrace.paths[0]!.hops.length - 1);
  });

  it('resets the step when the hop changes', () => {
    const s = run(start(), { type: 'select-hop', delta: 1 }, { type: 'focus', pane: 'detail' }, { type: 'select-step', delta: 2 });
    expect(s.step).toBe(2);
    expect(run(s, { type: 'select-hop', delta: 1 }).step).toBe(0);
  });

  it('cycles focus over the panes that exist, capture only with a capture', () => {
    const order = (s: UiState) => [1, 2, 3, 4].map((n) => run(s, ...Array<UiAction>(n).fill({ type: 'focus-next' })).focus);
    expect(order(start())).toEqual(['detail', 'topology', 'trace', 'detail']);
    expect(order(start(true))).toEqual(['detail', 'topology', 'capture', 'trace']);
    expect(run(start(), { type: 'focus-prev' }).focus).toBe('topology');
  });

  it('reads each key against the state it arrives in, so Tab then Down moves the new pane', () => {
    const key = (input: string, k = {}): UiAction => ({ type: 'key', input, key: k });
    const s = run(start(), key('', { downArrow: true }), key('\t', { tab: true }), key('', { downArrow: true }));
    expect(s).toMatchObject({ focus: 'detail', hop: 1, step: 1 });
    // j/k and the arrows are the same; q asks to quit; keys typed into search stay there.
    expect(run(start(), key('j'), key('j'), key('k')).hop).toBe(1);
    expect(run(start(), key('q')).quit).toBe('quit');
    const searching = run(start(), key('/'), key('q'), key('j'));
    expect(searching.quit).toBe(false);
    expect(searching.search.text).toBe('qj');
    // Ctrl-C ends the UI as an interruption from anywhere, the search prompt included.
    expect(run(start(), key('c', { ctrl: true })).quit).toBe('interrupted');
    expect(run(start(), key('/'), key('c', { ctrl: true })).quit).toBe('interrupted');
    // With the help open, movement keys do nothing; Esc closes it.
    const help = run(start(), key('?'), key('j'));
    expect(help).toMatchObject({ help: true, hop: 0 });
    expect(run(help, key('', { escape: true })).help).toBe(false);
  });

  it('Esc steps back: out of an overlay first, then out of a side pane to the trace list, never quitting', () => {
    const key = (input: string, k = {}): UiAction => ({ type: 'key', input, key: k });
    const esc = key('', { escape: true, meta: true });
    const detail = run(start(), key('\t', { tab: true }));
    expect(detail.focus).toBe('detail');
    expect(run(detail, esc)).toMatchObject({ focus: 'trace', side: 'detail', quit: false });
    expect(run(detail, key('?'), esc)).toMatchObject({ help: false, focus: 'detail' });
  });

  it('a "not found" leaves with the next key, and comes back when the search fails again', () => {
    const key = (input: string, k = {}): UiAction => ({ type: 'key', input, key: k });
    const missed = run(start(), key('/'), ...[...'zzz'].map((c) => key(c)), key('\r', { return: true }));
    expect(missed.search.message).toBe('not found: zzz');
    const moved = run(missed, key('j'));
    expect(moved.hop).toBe(1);
    expect(moved.search.message).toBeUndefined();
    // A key that does nothing here still clears it; n searches again and says so again.
    expect(run(missed, key('x')).search.message).toBeUndefined();
    expect(run(missed, key('n')).search.message).toBe('not found: zzz');
  });

  it('switches paths, keeping the hop position when the other path has it', () => {
    const s = run(start(), { type: 'select-hop', delta: 1 }, { type: 'select-path', delta: 1 });
    expect(s.path).toBe(1);
    expect(s.hop).toBe(1);
    const far = run(start(), { type: 'select-hop', delta: 3 }, { type: 'select-path', delta: 1 });
    expect(far.hop).toBe(fixtureTrace.paths[1]!.hops.length - 1);
    expect(run(start(), { type: 'select-path', delta: -1 }).path).toBe(1);
  });

  it('picks a path in the picker', () => {
    const s = run(start(), { type: 'open-picker' });
    expect(s.picker).toEqual({ open: true, index: 0 });
    const chosen = run(s, { type: 'picker-move', delta: 1 }, { type: 'picker-choose' });
    expect(chosen.path).toBe(1);
    expect(chosen.picker.open).toBe(false);
    expect(run(start(), { type: 'picker-choose' }).path).toBe(0);
  });

  it('searches the hops of the trace pane and the steps of the detail pane', () => {
    const typed = (s: UiState, text: string) => run(s, { type: 'search-start' }, ...[...text].map((ch): UiAction => ({ type: 'search-type', text: ch })), { type: 'search-commit' });
    const byHop = typed(start(), 'vxlan');
    expect(byHop.hop).toBe(2);
    expect(byHop.search.message).toBeUndefined();
    const inDetail = typed(run(start(), { type: 'select-hop', delta: 1 }, { type: 'focus', pane: 'detail' }), 'dnat');
    expect(inDetail.step).toBe(1);
    expect(typed(start(), 'nowhere').search.message).toBe('not found: nowhere');
    // n repeats the last search from the current position (wraps around).
    expect(run(byHop, { type: 'search-next' }).hop).toBe(2);
  });

  it('ignores typing when no search is open and cancels with Esc', () => {
    expect(run(start(), { type: 'search-type', text: 'x' }).search.text).toBe('');
    const s = run(start(), { type: 'search-start' }, { type: 'search-type', text: 'a' }, { type: 'search-cancel' });
    expect(s.search.editing).toBe(false);
  });

  it('keeps streamed packets and their counts, and the end state', () => {
    const row = { file: 0, frame: 1, time: '0', summary: 'x', layers: [], bytes: new Uint8Array(), caplen: 0, marked: true, searchText: 'x' };
    const s = run(start(true), { type: 'capture-batch', rows: [row], total: 10, marked: 3 }, { type: 'capture-done', error: 'cut' });
    expect(s.capture).toMatchObject({ total: 10, marked: 3, done: true, error: 'cut' });
    expect(s.capture!.rows).toHaveLength(1);
  });

  it('jumps between the packets of the traced connection with m and M', () => {
    const row = (marked: boolean) => ({ file: 0, frame: 0, time: '0', summary: '', layers: [], bytes: new Uint8Array(), caplen: 0, marked, searchText: '' });
    const key = (input: string): UiAction => ({ type: 'key', input, key: {} });
    const s = run(start(true), { type: 'capture-batch', rows: [row(false), row(true), row(false), row(true)], total: 4, marked: 2 }, { type: 'focus', pane: 'capture' });
    expect(s.capture!.selected).toBe(1);
    expect(run(s, key('m')).capture!.selected).toBe(3);
    expect(run(s, key('m'), key('m')).capture!.selected).toBe(1);
    expect(run(s, key('M')).capture!.selected).toBe(3);
    expect(run(s, key('M'), key('M')).capture!.selected).toBe(1);
  });

  it('opens the capture on the first packet of the traced connection, until the user moves', () => {
    const row = (marked: boolean) => ({ file: 0, frame: 0, time: '0', summary: '', layers: [], bytes: new Uint8Array(), caplen: 0, marked, searchText: '' });
    const batch = (...marks: boolean[]): UiAction => ({ type: 'capture-batch', rows: marks.map(row), total: marks.length, marked: 0 });
    expect(run(start(true), batch(false, false), batch(false, true, true)).capture!.selected).toBe(3);
    const moved = run(start(true), batch(false, false), { type: 'focus', pane: 'capture' }, { type: 'select-packet', delta: 1 }, batch(true));
    expect(moved.capture!.selected).toBe(1);
  });

  it('records the terminal size on resize', () => {
    expect(run(start(), { type: 'resize', columns: 132, rows: 40 })).toMatchObject({ columns: 132, rows: 40 });
  });
});
