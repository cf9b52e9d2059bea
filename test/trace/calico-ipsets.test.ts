// Calico's `-m set --match-set` rules with the sets dumped. The lab's seed-calico nodes hold
// felix's ipsets (test/lab/lib/calico.ts createIpsets: the IPAM pool 192.168.0.0/16 in
// cali40all-ipam-pools and cali40masq-ipam-pools, the nodes' /32s in cali40all-vxlan-net) but
// its sample has no `ipset list`; here the same sets are made in a namespace of this test's
// own, `ipset list` (the real tool) is added to a copy of the sample, and every recorded
// connection is traced again. The kernel's trace (expected.json) was made with those sets, so
// the rules must still be the kernel's, and no step may say the members were assumed.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TraceResult } from '../../src/trace/model.ts';
import { describeNeeding } from '../helpers/requires.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

interface Connection {
  id: string;
  from: string;
  to: string;
  endpoint?: string;
  sightings: { sport: number }[];
  netfilter: { node: string; table: string; chain: string; rule: string | null; verdict: string }[];
}

const sample = join(repoRoot, 'samples/seed-calico');
const expected = JSON.parse(readFileSync(join(sample, 'expected.json'), 'utf8')) as { nodes: { name: string; underlay: string }[]; connections: Connection[] };

describeNeeding(['root', 'ipset'], 'Calico -m set rules against dumped ipsets', () => {
  const ns = `pp-calico-ipset-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'podpath-calico-ipset-'));
  const bundle = join(dir, 'seed-calico');

  beforeAll(() => {
    cpSync(sample, bundle, { recursive: true });
    rmSync(join(bundle, 'transcript.txt'));
    execFileSync('ip', ['netns', 'add', ns]);
    const ipset = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, 'ipset', ...args]);
    for (const set of ['cali40all-ipam-pools', 'cali40masq-ipam-pools']) {
      ipset('create', set, 'hash:net');
      ipset('add', set, '192.168.0.0/16');
    }
    ipset('create', 'cali40all-vxlan-net', 'hash:net');
    for (const node of expected.nodes) ipset('add', 'cali40all-vxlan-net', `${node.underlay}/32`);
    const listed = execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'list'], { encoding: 'utf8' });
    for (const node of expected.nodes) writeFileSync(join(bundle, node.name, 'ipset-list.txt'), listed);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const connection of expected.connections) {
    it(`${connection.id}: the same kernel rules, read off the dumped sets`, async () => {
      const sport = String(connection.sightings[0]!.sport);
      const to = connection.to.replace(/\/tcp$/, '');
      const run = await runPodpath(['trace', bundle, '--from', connection.from, '--to', to, '--sport', sport, '--json']);
      const result = JSON.parse(run.stdout) as TraceResult;
      const path = result.paths.find((p) => p.endpoint === connection.endpoint) ?? result.paths[0]!;
      const steps = path.hops.filter((h) => !h.outer).flatMap((h) => h.steps.map((s) => ({ at: h.at, s })));
      expect(steps.filter(({ s }) => s.type === 'note' && /ipset .*(not in the dumps|assumed)/.test(s.explanation))).toEqual([]);
      const rules = steps
        .filter(({ s }) => (s.type === 'netfilter' || s.type === 'nat') && (s.table === 'nat' || s.table === 'filter') && !(s.type === 'netfilter' && s.rule.startsWith('(end of')))
        .map(({ at, s }) => `${at} ${s.type === 'netfilter' || s.type === 'nat' ? `${s.table} ${s.chain} ${s.type === 'netfilter' && s.action.startsWith('policy') ? null : s.rule}` : ''}`);
      const kernel = connection.netfilter.filter((r) => r.table === 'nat' || r.table === 'filter').map((r) => `${r.node} ${r.table} ${r.chain} ${r.rule}`);
      expect(rules).toEqual(kernel);
      // Not vacuous: without the dump the same trace rests on inferred members (the notes name them).
      const original = JSON.parse((await runPodpath(['trace', sample, '--from', connection.from, '--to', to, '--sport', sport, '--json'])).stdout) as TraceResult;
      const inferred = original.paths.flatMap((p) => p.hops.flatMap((h) => h.steps)).filter((x) => x.type === 'note' && /^ipset cali40\S+ is not in the dumps/.test(x.explanation));
      expect(inferred.length).toBeGreaterThan(0);
    });
  }
});
