// A line a parser does not understand is exactly one warning and never changes
// another record (issue 12, item 1). Property: insert any line that no dump
// command prints — prose, comments, keywords in the wrong place, placeholders
// like `10.xx.xx.0/25 dev eth0 … src 10.xx.xx.10` — anywhere in a real dump
// (the lab's kernel recordings in samples/, the public corpus's transcripts),
// and every record read from the other lines is identical to what the dump
// gives without it, while the new line gives exactly one warning, on its line.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCommand } from '../../src/topology/inputs/command.ts';
import type { DumpKind } from '../../src/topology/inputs/dump.ts';
import { recogniseContent } from '../../src/topology/inputs/recognise.ts';
import { splitTranscript } from '../../src/topology/inputs/transcript.ts';
import type { Warning } from '../../src/topology/model.ts';
import { isPlaceholderAddress } from '../../src/topology/parse/tokens.ts';
import { parseBrctlShow } from '../../src/topology/parse/brctl.ts';
import { parseBridgeFdb } from '../../src/topology/parse/bridge-fdb.ts';
import { parseIpAddr } from '../../src/topology/parse/ip-addr.ts';
import { parseIpNeigh } from '../../src/topology/parse/ip-neigh.ts';
import { parseIpRoute } from '../../src/topology/parse/ip-route.ts';
import { parseIpRule } from '../../src/topology/parse/ip-rule.ts';
import { parseIptablesSave } from '../../src/topology/parse/iptables-save.ts';
import { parseKubectlPods, parseKubectlServices } from '../../src/topology/parse/kubectl.ts';
import { repoRoot } from '../helpers/run.ts';

interface Parsed {
  records: unknown;
  warnings: Warning[];
}

const FILE = 'dump.txt';

const PARSERS: Partial<Record<DumpKind, (text: string) => Parsed>> = {
  addr: (t) => parseIpAddr(t, { file: FILE }),
  link: (t) => parseIpAddr(t, { file: FILE }),
  route: (t) => parseIpRoute(t, { file: FILE }),
  neigh: (t) => parseIpNeigh(t, { file: FILE }),
  fdb: (t) => parseBridgeFdb(t, { file: FILE }),
  rule: (t) => parseIpRule(t, { file: FILE }),
  brctl: (t) => parseBrctlShow(t, { file: FILE }),
  'kubectl-pods': (t) => parseKubectlPods(t, { file: FILE }),
  'kubectl-svc': (t) => parseKubectlServices(t, { file: FILE }),
  iptables: (t) => {
    const r = parseIptablesSave(t, FILE);
    return { records: r.tables, warnings: r.warnings };
  },
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every real dump: the lab's files as they are, the corpus transcripts cut at their prompts. */
function realDumps(): { name: string; kind: DumpKind; text: string }[] {
  const dumps: { name: string; kind: DumpKind; text: string }[] = [];
  for (const path of filesUnder(join(repoRoot, 'samples')).filter((p) => /\/worker-\d\/.*\.txt$/.test(p))) {
    const text = readFileSync(path, 'utf8');
    const kind = recogniseContent(text);
    if (kind && PARSERS[kind]) dumps.push({ name: relative(repoRoot, path), kind, text });
  }
  for (const dir of ['test/corpus/iproute', 'test/corpus/seed']) {
    for (const path of filesUnder(join(repoRoot, dir))) {
      for (const section of splitTranscript(readFileSync(path, 'utf8'))) {
        const words = section.commandLine.trim().split(/\s+/).filter((w) => w.length > 0);
        const command = readCommand(words);
        const text = `${words.slice(command.length).join(' ')}\n${section.following}`;
        const kind = command.kind ?? recogniseContent(text);
        if (kind && PARSERS[kind] && text.trim() !== '') dumps.push({ name: `${relative(repoRoot, path)}:${section.line}`, kind, text });
      }
    }
  }
  return dumps;
}

/** Records as they would read with a line inserted before line `at`: every source line from `at` on moves down one. */
function shifted<T>(value: T, at: number): T {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => {
    if (v !== null && typeof v === 'object' && 'line' in v && 'file' in v) {
      const ref = v as { line: number };
      return { ...v, line: ref.line >= at ? ref.line + 1 : ref.line };
    }
    return v;
  }) as T;
}

// Words no dump line is made of in this order: prose in three languages, keywords
// of every parser out of place, placeholders, punctuation. No real address, MAC,
// `N:` index or bridge id, so no record can start inside the line.
const WORDS = [
  'dev', 'via', 'src', 'proto', 'kernel', 'scope', 'link', 'metric', 'onlink', 'mtu', 'master', 'state', 'UP', 'brd', 'lladdr',
  'REACHABLE', 'dst', 'self', 'permanent', 'lookup', 'from', 'all', 'eth0', 'cni0', 'flannel.1', 'vxlan', 'id', 'dstport', 'veth',
  'bridge', 'inet', 'global', 'forever', 'valid_lft', 'ACCEPT', '-j', 'KUBE-SVC-X', 'Running', 'TCP', 'note:', 'the', 'route',
  'is', 'wrong', '路由信息由', '网关指向', '그리고', '###', '-->', '(see', 'above)', '10.xx.xx.10', '<node-ip>', 'x.x.x.x', '***',
  'a.b.c.d', '10.0.0.X', '10.xx.xx.0/25', '192.168.*.*', 'fe80::xxxx', '|', '...', '"quoted"', '`code`',
];
/** Words a garbage line may start with: none starts a record or a continuation in any parser. */
const FIRST = WORDS.filter((w) => !['inet', 'valid_lft', 'veth', 'vxlan', 'bridge', 'dev', '###'].includes(w) && !w.startsWith('-'));

const garbageLine = fc
  .tuple(fc.constantFrom('', '', '    ', '\t', '       '), fc.constantFrom(...FIRST), fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 12 }))
  .map(([indent, first, rest]) => `${indent}${[first, ...rest].join(' ')}`);

/** Lines a dump command could print, with a value no parser can take: one warning too, and nothing else changes. */
const BROKEN: Partial<Record<DumpKind, string[]>> = {
  route: ['10.xx.xx.0/25 dev eth0 proto kernel scope link src 10.xx.xx.10', 'x.x.x.x via 10.0.0.1 dev eth9', '<node-ip> dev eth0 scope link', '    weight 1 dev eth9'],
  addr: ['    inet 10.xx.xx.10/24 brd 10.xx.xx.255 scope global eth0', '    inet <node-ip>/24 scope global eth0', '    inet garbage/24 scope global eth0', '    link/ether xx:xx:xx:xx:xx:xx brd ff:ff:ff:ff:ff:ff master br-evil', '    mtu 9000 master br-evil state DOWN'],
  link: ['    link/ether xx:xx:xx:xx:xx:xx brd ff:ff:ff:ff:ff:ff master br-evil', '    mtu 9000 master br-evil state DOWN', '    id 99 dstport 4789 local 10.9.9.9'],
  neigh: ['<node-ip> dev eth0 lladdr 00:11:22:33:44:55 REACHABLE', 'x.x.x.x dev eth9 FAILED'],
  fdb: ['    dst 10.9.9.9 self permanent', 'xx:xx:xx:xx:xx:xx dev flannel.1 dst 10.0.0.9'],
};

const dumps = realDumps();

describe('a line that is not understood is one warning and changes no other record', () => {
  it('finds real dumps of every line-based kind to insert into', () => {
    const kinds = new Set(dumps.map((d) => d.kind));
    for (const kind of ['addr', 'link', 'route', 'neigh', 'fdb', 'brctl', 'iptables'] as const) expect(kinds, kind).toContain(kind);
  });

  it.each(dumps.map((d) => [d.name, d] as const))('%s', (_name, dump) => {
    const parse = PARSERS[dump.kind]!;
    const before = parse(dump.text);
    const lines = dump.text.split('\n');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: lines.length }), fc.oneof(garbageLine, fc.constantFrom(...(BROKEN[dump.kind] ?? ['note: nothing to see here']))), (index, inserted) => {
        // A redacted route (`10.xx.xx.0/25 …`, or a placeholder opening a line) is still a route: put before
        // an indented next-hop or cache line, it rightly takes that line.
        fc.pre(!(isPlaceholderAddress(inserted.trim().split(' ')[0] ?? '') && /^\s+\S/.test(lines[index] ?? '')));
        const at = index + 1; // the inserted line's number
        const text = [...lines.slice(0, index), inserted, ...lines.slice(index)].join('\n');
        const after = parse(text);
        expect(after.records).toEqual(shifted(before.records, at));
        const expectedWarnings = shifted(before.warnings, at);
        const added = after.warnings.filter((w) => !expectedWarnings.some((e) => JSON.stringify(e) === JSON.stringify(w)));
        expect(added.map((w) => w.line)).toEqual([at]);
        expect(after.warnings.length).toBe(before.warnings.length + 1);
      }),
      { seed: 12, numRuns: 60 },
    );
  });
});

describe('the issue’s example: a redacted kernel route after a flannel route', () => {
  const text = '10.42.45.0/24 via 10.42.45.0 dev flannel.1 onlink\n10.xx.xx.0/25 dev eth0 proto kernel scope link src 10.xx.xx.10\n';
  it('leaves the flannel route as its line says, drops the redacted one with one warning naming it', () => {
    const { records, warnings } = parseIpRoute(text, { file: 'r.txt' });
    expect(records).toEqual([{ table: 'main', type: 'unicast', dst: '10.42.45.0/24', family: 4, via: '10.42.45.0', dev: 'flannel.1', onlink: true, source: { file: 'r.txt', line: 1 } }]);
    expect(warnings).toEqual([
      { file: 'r.txt', line: 2, message: '10.xx.xx.0/25 is a placeholder or redacted address, not an address: route dropped, not guessed', text: '10.xx.xx.0/25 dev eth0 proto kernel scope link src 10.xx.xx.10' },
    ]);
  });
});
