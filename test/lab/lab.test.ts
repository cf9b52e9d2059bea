// Rebuilds the seed-flannel lab from scratch (in a temp dir, never over samples/) and checks
// the kernel still does what the committed samples/seed-flannel/expected.json says: where
// each connection's first SYN is seen and with which addresses, which endpoint answered or
// how it failed, and the netfilter chains the kernel walked. Needs root, `ip netns` and the
// lab's tools: a gated group (test/helpers/requires.ts), skipped out loud without them and
// failing under CI, which has them all.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listNamespaces } from './lib/lab.ts';
import { recordScenario } from './lib/record.ts';
import { recordToDirectory, type ExpectedFile } from './record.ts';
import { scenarioByName } from './scenarios.ts';
import { describeNeeding, type Requirement } from '../helpers/requires.ts';
import { repoRoot } from '../helpers/run.ts';
import type { ScenarioSpec } from './lib/spec.ts';

const PREFIX = 'pl-t';
const committed = JSON.parse(readFileSync(join(repoRoot, 'samples/seed-flannel/expected.json'), 'utf8')) as ExpectedFile;
type Connection = ExpectedFile['connections'][number];
type Sighting = Connection['sightings'][number];

/** The lab's namespaces (all of them start with "pl"), whichever run made them. */
const labNamespaces = (): string[] => listNamespaces().filter((ns) => ns.startsWith('pl'));

/** What building and recording a scenario runs (test/lab/lib): namespaces, captures, rules, clients. */
const LAB: Requirement[] = ['root', 'netns', 'tcpdump', 'tshark', 'editcap', 'iptables', 'ipset', 'curl', 'python3'];

/**
 * The parts of a sighting that are the same on every run. Left out on purpose:
 *  - outer.sport: the VXLAN driver picks the UDP source port from a hash of the inner flow
 *    with a per-boot random seed (vxlan_src_port / skb_get_hash), so it changes per run;
 *  - sport after the source was rewritten: MASQUERADE --random-fully picks a random port;
 *  - frame numbers and times: ARP and other packets before the SYN vary with timing.
 */
function stable(sightings: Sighting[]): object[] {
  const clientSrc = sightings[0]?.src;
  return sightings.map((s) => ({
    at: s.at,
    interface: s.interface,
    src: s.src,
    dst: s.dst,
    dport: s.dport,
    ...(s.src === clientSrc ? { sport: s.sport } : {}),
    ...(s.outer ? { outer: { src: s.outer.src, dst: s.outer.dst, dport: s.outer.dport, vni: s.outer.vni } } : {}),
  }));
}

/** Chain walk without rule handles (nft assigns them per table, they are not behaviour). */
const chains = (c: Connection): object[] =>
  c.netfilter.map((n) => ({ node: n.node, table: n.table, chain: n.chain, rule: n.rule, verdict: n.verdict, target: n.target }));

const byId = (expected: ExpectedFile, id: string): Connection => {
  const found = expected.connections.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no connection ${id}`);
  return found;
};

describeNeeding(LAB, 'lab: seed-flannel rebuilt afresh agrees with the committed sample', () => {
  let dir = '';
  let fresh: ExpectedFile | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podpath-lab-test-'));
    try {
      fresh = (await recordToDirectory(scenarioByName('seed-flannel'), join(dir, 'seed-flannel'), PREFIX)).expected;
    } finally {
      expect(labNamespaces().filter((ns) => ns.startsWith(`${PREFIX}-`))).toEqual([]);
    }
  }, 90_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    expect(labNamespaces()).toEqual([]);
  });

  // These connections have one possible path; the spread ones pick an endpoint at random.
  const deterministic = ['pod1-to-pod2', 'pod1-to-web', 'pod1-to-empty', 'worker-1-to-web-nodeport'];

  it.each(deterministic)('%s: same outcome, endpoint, hops and chains', (id) => {
    if (fresh === undefined) throw new Error('lab recording failed');
    const now = byId(fresh, id);
    const then = byId(committed, id);
    expect({ outcome: now.outcome, endpoint: now.endpoint, clientSaw: now.clientSaw }).toEqual({
      outcome: then.outcome,
      endpoint: then.endpoint,
      clientSaw: then.clientSaw,
    });
    expect(stable(now.sightings)).toEqual(stable(then.sightings));
    expect(chains(now)).toEqual(chains(then));
  });

  it('the seed connection crosses both nodes as VXLAN VNI 1 to UDP 8472, as in the user\'s capture', () => {
    if (fresh === undefined) throw new Error('lab recording failed');
    const hops = byId(fresh, 'pod1-to-pod2').sightings;
    const onWire = hops.filter((s) => s.interface === 'eth0' && s.at.startsWith('worker-'));
    expect(onWire.map((s) => s.at)).toEqual(['worker-1', 'worker-2']);
    for (const s of onWire) {
      expect(s.outer).toMatchObject({ src: '10.74.107.63', dst: '10.74.107.62', dport: 8472, vni: 1 });
      expect([s.src, s.dst, s.sport, s.dport]).toEqual(['192.168.1.7', '192.168.2.12', 50058, 80]);
    }
  });

  it('each spread connection reached one of the service\'s endpoints', () => {
    if (fresh === undefined) throw new Error('lab recording failed');
    const spread = committed.services.find((s) => s.name === 'spread');
    const endpoints = (spread?.endpoints ?? []).map((e) => `${e.ip}:${e.port}`);
    expect(endpoints).toHaveLength(3);
    for (const id of ['pod1-to-spread-1', 'pod1-to-spread-2']) {
      const c = byId(fresh, id);
      expect(c.outcome).toBe('delivered');
      expect(endpoints).toContain(c.endpoint);
    }
  });
});

describeNeeding(LAB, 'lab: teardown', () => {
  it('leaves no namespace behind when a build fails half way', async () => {
    const good = scenarioByName('seed-flannel');
    // A pod address the kernel refuses: `ip addr add` fails after nodes and links exist.
    const broken: ScenarioSpec = {
      ...good,
      tag: 'tx',
      pods: good.pods.map((p, i) => (i === 1 ? { ...p, ip: '192.168.1.300' } : p)),
    };
    const dir = mkdtempSync(join(tmpdir(), 'podpath-lab-fail-'));
    try {
      await expect(recordScenario(broken, join(dir, 'broken'), PREFIX)).rejects.toThrow(/192\.168\.1\.300/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(labNamespaces()).toEqual([]);
  }, 30_000);
});
