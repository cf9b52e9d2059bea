// No spread of an unbounded array into a call (issue 11, item 1): `push(...items)` and
// `Math.max(...items)` pass every item as an argument and overflow V8's stack past ~120,000
// (a 130,000-packet capture, a dump with 130,000 unparsable lines). src/util/append.ts has the
// loops; this keeps the pattern out of the sources, and the CLI test shows the crash is gone.
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const SPREAD_CALL = /\b(?:push|unshift|max|min|fromCharCode|fromCodePoint)\((?:[^(){}[\]]*,\s*)?\.\.\./;

describe('spreading arrays into calls', () => {
  it('appears nowhere in src/ (use appendAll / maxOf from src/util/append.ts)', () => {
    const offenders = sources(join(repoRoot, 'src')).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (SPREAD_CALL.test(line) && !/^\s*(\/\/|\/?\*)/.test(line) ? [`${file.slice(repoRoot.length)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  const dir = mkdtempSync(join(tmpdir(), 'podpath-spread-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a dump with 150,000 unparsable lines gives its warnings, not a stack overflow', async () => {
    const file = join(dir, 'route.txt');
    const lines = ['default via 10.0.0.1 dev eth0'];
    for (let i = 0; i < 150_000; i++) lines.push(`zz${i} bogus line`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await runPodpath(['topology', file, '--node', 'n1']);
    expect(r.stderr).not.toMatch(/internal error|Maximum call stack/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/route\.txt:2: not understood as a route, skipped: zz0 bogus line/);
  });
});
