// Outputs of several commands pasted into one file with neither prompts nor command lines, only
// blank lines between them (src/topology/inputs/glued.ts). The dumps are seed-flannel worker-1's
// own files (recorded from the lab's kernel); the expected values are counted from their text.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { PodpathError } from '../../src/errors.ts';
import { splitGluedDumps } from '../../src/topology/inputs/glued.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { runPodpath } from '../helpers/run.ts';
import { FAMILY_TIMEOUT_MS, options } from '../fuzz/settings.ts';

const seed = (name: string): string => readFileSync(join('samples', 'seed-flannel', 'worker-1', name), 'utf8').trimEnd();
const DUMPS = {
  route: seed('ip-route.txt'),
  addr: seed('ip-addr.txt'),
  fdb: seed('bridge-fdb.txt'),
  neigh: seed('ip-neigh.txt'),
  brctl: seed('brctl-show.txt'),
} as const;
type Kind = keyof typeof DUMPS;
const lineCount = (text: string): number => text.split('\n').length;

/** The dumps in this order, one blank line apart, and the line each starts on. */
function glue(kinds: readonly Kind[]): { text: string; starts: number[] } {
  const starts: number[] = [];
  let line = 1;
  for (const kind of kinds) {
    starts.push(line);
    line += lineCount(DUMPS[kind]) + 1;
  }
  return { text: `${kinds.map((k) => DUMPS[k]).join('\n\n')}\n`, starts };
}

describe('splitGluedDumps', () => {
  it('cuts where another kind of output starts, each part from its first line', () => {
    const { text, starts } = glue(['route', 'addr', 'fdb']);
    const parts = splitGluedDumps(text)!;
    expect(parts.map((p) => [p.kind, p.firstLine])).toEqual([['route', starts[0]], ['addr', starts[1]], ['fdb', starts[2]]]);
    expect(parts.map((p) => p.text.trimEnd())).toEqual([DUMPS.route, DUMPS.addr, DUMPS.fdb]);
  });

  it('keeps one kind\'s own blank lines inside it: ipset list between its sets', () => {
    const ipsets = readFileSync('samples/calico-policy/worker-1/ipset-list.txt', 'utf8');
    expect(ipsets).toMatch(/\n\nName: /); // the sets are blank-line apart in the recorded dump
    expect(splitGluedDumps(ipsets)).toBeUndefined();
    const parts = splitGluedDumps(`${DUMPS.route}\n\n${ipsets}`)!;
    expect(parts.map((p) => p.kind)).toEqual(['route', 'ipset']);
    expect(parts[1]!.text).toBe(ipsets);
  });

  it('never cuts a YAML document, whatever its blocks look like', () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n\n  annotations:\n    note: |\n      default via 10.0.0.1 dev eth0 proto static\n\n      10.0.0.0/24 dev eth0 scope link\n`;
    expect(splitGluedDumps(yaml)).toBeUndefined();
  });

  it('leaves a text of one kind to be read whole', () => {
    expect(splitGluedDumps(DUMPS.route)).toBeUndefined();
    expect(splitGluedDumps(`${DUMPS.route}\n\n${DUMPS.route}`)).toBeUndefined();
  });

  prop.prop([fc.shuffledSubarray(Object.keys(DUMPS) as Kind[], { minLength: 2 })])('any order of distinct outputs comes back as those outputs', (kinds) => {
    const { text, starts } = glue(kinds);
    const parts = splitGluedDumps(text)!;
    expect(parts.map((p) => p.kind)).toEqual(kinds);
    expect(parts.map((p) => p.firstLine)).toEqual(starts);
    expect(parts.map((p) => p.text.trimEnd())).toEqual(kinds.map((k) => DUMPS[k]));
  });
});

describe('a glued paste read as a topology', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-glued-'));
  const { text, starts } = glue(['route', 'addr', 'fdb', 'neigh']);
  const file = join(dir, 'paste.txt');
  writeFileSync(file, text);

  it('reads every output as the node\'s, as separate files of the same text would be', async () => {
    const glued = await loadTopology([file], { node: 'worker-1' });
    const apart = (['route', 'addr', 'fdb', 'neigh'] as const).map((kind) => {
      const path = join(dir, `${kind}.txt`);
      writeFileSync(path, `${DUMPS[kind]}\n`);
      return path;
    });
    const separate = await loadTopology(apart, { node: 'worker-1' });
    const netns = glued.nodes[0]!.netns;
    // Counted from the dumps' text: each line of ip route and bridge fdb is one entry.
    expect(netns.routes).toHaveLength(lineCount(DUMPS.route));
    expect(netns.fdb).toHaveLength(lineCount(DUMPS.fdb));
    expect(netns.interfaces.map((i) => i.name)).toEqual([...DUMPS.addr.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]));
    expect(netns.routes).toEqual(separate.nodes[0]!.netns.routes.map((r) => ({ ...r, source: { ...r.source, file, line: r.source.line + starts[0]! - 1 } })));
    expect(netns.neighbours).toHaveLength(lineCount(DUMPS.neigh));
    expect(glued.warnings.map((w) => w.message)).toEqual([expect.stringContaining(`route (line ${starts[0]}), addr (line ${starts[1]}), fdb (line ${starts[2]}), neigh (line ${starts[3]})`)]);
  });

  it('through the CLI: exit 0, the cut said once, and without --node one line asking for it', async () => {
    const named = await runPodpath(['topology', file, '--node', 'worker-1', '--json']);
    expect(named.status).toBe(0);
    const json = JSON.parse(named.stdout) as { warnings: { message: string }[]; nodes: { name: string }[] };
    expect(json.nodes.map((n) => n.name)).toEqual(['worker-1']);
    expect(json.warnings.filter((w) => w.message.includes('no prompts or command lines'))).toHaveLength(1);
    const unnamed = await runPodpath(['topology', file]);
    expect(unnamed.status).toBe(2);
    expect(unnamed.stderr.trim().split('\n')).toHaveLength(1);
    expect(unnamed.stderr).toContain('route, addr, fdb, neigh dumps with no node name: pass --node NAME');
  });
});

describe('glued pastes of anything', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-glued-fuzz-'));
  const ipsets = readFileSync('samples/calico-policy/worker-1/ipset-list.txt', 'utf8');
  const blocks = fc.oneof(
    fc.constantFrom(...Object.values(DUMPS), ipsets, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a', '[{"ifname": "eth0", "addr_info": []}]', 'NAME READY STATUS RESTARTS AGE\npod1 1/1 Running 0 3d', '*nat\n-A X -j DNAT', '-- cut --', '...'),
    fc.string({ maxLength: 80 }),
  );
  const separators = fc.constantFrom('\n\n', '\n \n', '\r\n\r\n', '\n\t\n\n', '\n');
  prop.prop([fc.array(fc.tuple(blocks, separators), { minLength: 1, maxLength: 8 })], options('glued'))(
    'never throw but podpath\'s own errors, every warning on a line of the file',
    async (parts) => {
      const text = parts.map(([block, separator]) => block + separator).join('');
      const file = join(dir, 'paste.txt');
      writeFileSync(file, text);
      const lines = text.split('\n').length;
      let warnings: { file: string; line?: number }[] = [];
      try {
        warnings = (await loadTopology([file], { node: 'n1' })).warnings;
      } catch (error) {
        expect(error).toBeInstanceOf(PodpathError);
      }
      // A warning about a line names one of the file's (some, like "no underlay address", name none).
      const outside = warnings.filter((w) => w.file === file && w.line !== undefined && (w.line < 1 || w.line > lines));
      expect(outside).toEqual([]);
    },
    FAMILY_TIMEOUT_MS,
  );
});
