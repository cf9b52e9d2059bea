// The transcript splitter runs on every dump (hasPrompts), so its time must grow linearly with
// the input (issue 11, item 3): BRACKETED's `[^\]]*` scanned a line of `[a@b ` to its end from
// every `[` — 300 KB took 21 s, 600 KB 67 s. The bound is relative: four times the input may take
// at most 12× the time, where linear is 4× and quadratic 16×; the gap is wide so that a loaded
// machine (a 2× doubling test failed at load average 25) cannot move a linear splitter past it.
// The sizes start at 600 KB: below that the whole line fits the caches and times are not linear.
// Each size is timed as the fastest of a few runs, the runs interleaved so load falls on both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasPrompts, splitTranscript } from '../../src/topology/inputs/transcript.ts';
import { runPodpath } from '../helpers/run.ts';

/** Shapes that make a prompt regex backtrack: an opening without its close, many near-prompts. */
const SHAPES: Record<string, string> = {
  'open brackets without a close': '[x@y ',
  'brackets on their own lines': '[\n',
  'user@host without a sigil': 'u@h:/ ',
  'parenthesised hosts': '(h) / ',
  'prompts with commands': 'root@w1:~# ip a ',
};

/** The fastest of a few interleaved runs of each: a burst of load then slows both, not one. */
function fastestOfEach(runs: (() => void)[], times = 3): number[] {
  const best = runs.map(() => Infinity);
  for (let i = 0; i < times; i++) {
    runs.forEach((run, k) => {
      const started = process.hrtime.bigint();
      run();
      best[k] = Math.min(best[k]!, Number(process.hrtime.bigint() - started) / 1e6);
    });
  }
  return best;
}

describe('transcript splitting is linear in the input', () => {
  it.each(Object.entries(SHAPES))('%s: 2.4 MB takes at most 12× the time of 600 KB (linear 4×, quadratic 16×)', (_, unit) => {
    const text = (bytes: number) => unit.repeat(Math.ceil(bytes / unit.length));
    const small = text(600_000);
    const large = text(2_400_000);
    const work = (t: string) => () => {
      hasPrompts(t);
      splitTranscript(t);
    };
    fastestOfEach([work(small)], 1); // warm the regular expressions up
    const [a, b] = fastestOfEach([work(small), work(large)]) as [number, number];
    // Below a quarter second a garbage collection dominates; both are fast then (the quadratic
    // regex took 21 s on 300 KB).
    expect(b, `600 KB: ${a.toFixed(1)} ms, 2.4 MB: ${b.toFixed(1)} ms`).toBeLessThan(Math.max(12 * a, 250));
  }, 180_000);

  const dir = mkdtempSync(join(tmpdir(), 'podpath-linear-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('through the CLI: a 600 KB line of unclosed [user@host prompts is read in seconds', async () => {
    const file = join(dir, 'brackets.txt');
    writeFileSync(file, `${'[x@y '.repeat(120_000)}\n`);
    const started = Date.now();
    const r = await runPodpath(['topology', file, '--node', 'n1'], { timeoutMs: 25_000 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.status).toBe(2); // nothing usable in it (unusable input): one line saying so
    expect(r.stderr).toMatch(/brackets\.txt.*not recognised/);
  });
});
