// The UI shows dump text through the same escaping as the CLI (issue 11, item 9): a bidi
// override in a hop's namespace or interface name, or a C1 CSI in a warning, is shown as a
// visible escape and never reaches the terminal raw (one UI session had 133 raw U+202E).
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../src/ui/App.tsx';
import { makeTheme } from '../../src/ui/theme.ts';
import type { TraceResult } from '../../src/trace/model.ts';
import { fixtureTopology, fixtureTrace } from './fixtures.ts';
import { frameWhere } from './helpers.ts';

afterEach(() => cleanup());

const RAW = /[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('podpath ui with hostile names', () => {
  it('escapes bidi and C1 controls in hop names, interfaces and warnings', async () => {
    const trace = structuredClone(fixtureTrace) as TraceResult;
    const hop = trace.paths[0]!.hops[0]!;
    hop.at = `po\u202ed1`;
    hop.interface = `e\u2066th0\u2069`;
    const ui = render(<App trace={trace} topology={fixtureTopology} warnings={['w\u009b2J1', 'w2']} theme={makeTheme({})} />);
    const frame = await frameWhere(ui.lastFrame, (f) => f.includes('podpath'));
    // Ink's own colour sequences (ESC [ … m) are the only escapes allowed.
    const text = frame.replace(/\u001b\[[0-9;]*m/g, '');
    expect(text).not.toMatch(RAW);
    expect(text).toContain('po\\u202ed1');
    expect(text).toContain('e\\u2066th0\\u2069');
  });
});
