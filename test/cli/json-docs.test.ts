// docs/json.md shows each command's JSON as an example cut from real output. This test runs
// the command written above each example and compares shapes: every object in the example
// must have exactly the keys of the object in the same place of the real output (an
// elided `{}` is not compared; a list's first element is compared with the real first
// element). So adding, renaming or dropping a field without updating the docs fails here.
// It also checks the one warnings shape (Warning in src/util/warning.ts) across commands.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

interface Example {
  args: string[];
  mode: 'whole' | 'excerpt' | 'first line';
  json: unknown;
}

function examples(): Example[] {
  const text = readFileSync(join(repoRoot, 'docs/json.md'), 'utf8');
  const found: Example[] = [];
  const pattern = /<!-- example(?: \((excerpt|first line)\))?: podpath (.+?) -->\n```json\n([\s\S]*?)\n```/g;
  for (const match of text.matchAll(pattern)) {
    found.push({ mode: (match[1] as Example['mode'] | undefined) ?? 'whole', args: match[2]!.split(' '), json: JSON.parse(match[3]!) as unknown });
  }
  return found;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where the example's shape differs from the real value's, as `path: …` lines. */
function differences(example: unknown, real: unknown, path: string, topLevelExcerpt = false): string[] {
  if (Array.isArray(example)) {
    if (!Array.isArray(real)) return [`${path}: the docs show a list, the CLI prints ${JSON.stringify(real)?.slice(0, 60)}`];
    if (example.length === 0) return [];
    if (real.length === 0) return [`${path}: the docs show an element, the CLI prints an empty list`];
    return differences(example[0], real[0], `${path}[0]`);
  }
  if (isObject(example)) {
    if (!isObject(real)) return [`${path}: the docs show an object, the CLI prints ${JSON.stringify(real)?.slice(0, 60)}`];
    if (Object.keys(example).length === 0) return [];
    const shown = Object.keys(example);
    const printed = Object.keys(real);
    const out: string[] = [];
    for (const key of shown) if (!(key in real)) out.push(`${path}.${key}: in the docs, not printed`);
    if (!topLevelExcerpt) for (const key of printed) if (!(key in example)) out.push(`${path}.${key}: printed, not in the docs`);
    for (const key of shown) if (key in real) out.push(...differences(example[key], real[key], `${path}.${key}`));
    return out;
  }
  return [];
}

const WARNING_KEYS = ['file', 'line', 'message', 'text'];

describe('docs/json.md: every example has the keys the CLI prints', () => {
  const all = examples();

  it('documents topology, trace, explain and decode (lines and --summary)', () => {
    const commands = all.map((e) => `${e.args[0]}${e.args.includes('--summary') ? ' --summary' : ''}`);
    expect(new Set(commands)).toEqual(new Set(['topology', 'trace', 'explain', 'decode', 'decode --summary']));
  });

  for (const example of all) {
    it(`podpath ${example.args.join(' ')}`, async () => {
      const run = await runPodpath(example.args);
      expect(run.stderr).toBe('');
      const text = example.mode === 'first line' ? run.stdout.split('\n')[0]! : run.stdout;
      const real = JSON.parse(text) as Record<string, unknown>;
      expect(differences(example.json, real, '$', example.mode === 'excerpt')).toEqual([]);
      expect(Object.keys(real)[0]).toBe('schemaVersion');
      expect(real['schemaVersion']).toBe(1);
    });
  }
});

describe('one warnings shape in every command', () => {
  // Inputs whose warnings come from the parsers (with a line), the builder (a file only) and the
  // tracer (file "trace"): flannel-1313's iptables-save was cut off mid-table.
  const wild = 'test/wild/flannel-1313-iptables-save-truncated.txt';
  const node3 = 'test/wild/flannel-1029-node3-route-brctl.txt';
  const runs: [string, string[]][] = [
    ['topology', ['topology', wild, '--node', 'n1', '--json']],
    ['trace', ['trace', node3, '--from', 'node3', '--to', '172.20.0.5:80', '--json']],
    ['explain', ['explain', 'samples/seed-calico/captures/pod1__eth0.pcap', wild, '--node', 'n1', '--no-trace', '--json']],
  ];
  for (const [name, args] of runs) {
    it(`${name}: warnings are {file, line?, message, text?}, line a positive integer when present`, async () => {
      const run = await runPodpath(args);
      const { warnings } = JSON.parse(run.stdout) as { warnings: Record<string, unknown>[] };
      expect(warnings.length).toBeGreaterThan(0);
      for (const w of warnings) {
        expect(WARNING_KEYS).toEqual(expect.arrayContaining(Object.keys(w)));
        expect(typeof w['file']).toBe('string');
        expect(typeof w['message']).toBe('string');
        if ('line' in w) expect(Number.isInteger(w['line']) && (w['line'] as number) > 0).toBe(true);
      }
    });
  }

  it('the text output names the line when there is one, and only the file when not', async () => {
    const run = await runPodpath(['topology', wild, '--node', 'n1']);
    // Line 34 of the dump is the end of the file, where table filter's COMMIT should have been.
    expect(run.stdout).toContain(`${wild}:34: table filter (line 21) has no COMMIT`);
    expect(run.stdout).toContain(`${wild}: n1: no underlay address found`);
    expect(run.stdout).not.toMatch(/:0: /);
  });
});
