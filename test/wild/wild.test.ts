// Real dumps from public threads (test/wild/*.txt, sources in SOURCES.md), read through the real
// CLI and compared with a reading established without podpath: every expected value in
// <name>.expected.json carries the awk/grep one-liner (`how`) that computes it from the dump; where
// the thread said it too (the CNI mode), its words sit beside it in `thread`. Every one-liner is
// re-run here first, so a hand-edited value cannot drift from its dump. A check marked `gap` asserts the right value with `it.fails`: the reading
// needs work owned elsewhere, and the test turns red the day it is right (then drop the mark).
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runPodpath, type RunResult } from '../helpers/run.ts';

interface Check {
  what: string;
  /** A bash one-liner over the dump (`$F`) that prints the value. */
  how: string;
  /** The thread's own words for the same fact, when it says it (documentation, never compared). */
  thread?: string;
  value: string | number | string[];
  node?: string;
  pod?: string;
  bridge?: string;
  service?: string;
  to?: string;
  kind?: string;
  gap?: string;
}

interface Expected {
  file: string;
  source: string;
  args: string[];
  checks: Check[];
  gap?: string;
}

// The slice of `topology --json` (docs/topology-json.md) the checks read.
/** Without `--rules` a chain gives its `ruleCount`; with it, its `rules`. */
interface Chain {
  ruleCount?: number;
  rules?: unknown[];
}
const rulesIn = (chain: Chain): number => chain.ruleCount ?? chain.rules?.length ?? 0;
interface Iface {
  name: string;
  addresses?: { address: string; prefixLength: number }[];
}
interface Netns {
  name: string;
  interfaces: Iface[];
  routes: { table: string; dst: string; via?: string; dev?: string }[];
  rules: { priority: number; from?: string; to?: string; fwmark?: string; table: string }[];
  fdb: { mac: string; dev: string; dst?: string }[];
  bridges: { name: string; ports: string[] }[];
  neighbours: unknown[];
  dumps: string[];
  netfilter?: {
    tables: Record<string, { chains: Record<string, Chain> }>;
    nft?: { chains: Record<string, Chain> }[];
    ipvs?: { realServers: unknown[] }[];
    ipsets?: Record<string, { name: string; type: string; members: unknown[] }>;
  };
}
interface Topology {
  nodes: { name: string; addresses: string[]; podCIDRs: string[]; netns: Netns }[];
  pods: { name: string; ip?: string; node?: string; unnamed?: boolean; netns?: Netns }[];
  services: {
    namespace: string;
    name: string;
    portName?: string;
    clusterIP: string;
    port: number;
    protocol: string;
    endpoints: { ip: string; port: number }[];
    sessionAffinitySeconds?: number;
  }[];
  vteps: { node: string; device: string; vni: number; port: number; local?: string; underlayDevice?: string }[];
  cni: { plugin: string; mode: string };
  warnings: { line: number; message: string }[];
}
interface TraceJson {
  paths: { hops: { steps: { type: string; outInterface?: string; result?: string }[] }[] }[];
}

const wildDir = join(repoRoot, 'test', 'wild');
const cases: Expected[] = readdirSync(wildDir)
  .filter((f) => f.endsWith('.expected.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(wildDir, f), 'utf8')) as Expected);

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function findNode(t: Topology, name: string | undefined): Topology['nodes'][number] {
  const n = t.nodes.find((x) => name !== undefined && same(x.name, name));
  if (!n) throw new Error(`no node ${name} (nodes: ${t.nodes.map((x) => x.name).join(', ')})`);
  return n;
}

function findPod(t: Topology, name: string | undefined): NonNullable<Topology['pods'][number]['netns']> {
  const p = t.pods.find((x) => name !== undefined && same(x.name, name));
  if (!p?.netns) throw new Error(`no pod ${name} with dumps (pods: ${t.pods.map((x) => x.name).join(', ')})`);
  return p.netns;
}

const routeLines = (ns: Netns): string[] => ns.routes.map((r) => `${r.dst} ${r.via ?? '-'} ${r.dev ?? '-'}`);
const addressLines = (ns: Netns): string[] =>
  ns.interfaces.flatMap((i) => (i.addresses ?? []).map((a) => `${a.address}/${a.prefixLength} ${i.name}`));
const sorted = (xs: string[]): string[] => [...xs].sort();

/** What podpath read, in the shape the `how` one-liner prints it. */
function reading(c: Check, t: Topology): string | number | string[] {
  switch (c.what) {
    case 'nodes':
      return sorted(t.nodes.map((n) => n.name.toLowerCase()));
    case 'nodesInclude':
      return sorted(t.nodes.map((n) => n.name.toLowerCase()).filter((n) => (c.value as string[]).some((v) => same(v, n))));
    case 'routes':
      return routeLines(findNode(t, c.node).netns);
    case 'routesPrefix':
      return routeLines(findNode(t, c.node).netns).slice(0, (c.value as string[]).length);
    case 'tableRoutes':
      // `ip route show table 2` prints its routes without `table 2`: the table is the command's
      return findNode(t, c.node).netns.routes.map((r) => `${r.table} ${r.dst} ${r.via ?? '-'} ${r.dev ?? '-'}`);
    case 'routingRules':
      return findNode(t, c.node).netns.rules.map((r) => `${r.priority} ${r.from ?? 'all'} ${r.to ?? 'all'} ${r.fwmark ?? '-'} ${r.table}`);
    case 'routeCount':
      return findNode(t, c.node).netns.routes.length;
    case 'interfaces':
      return findNode(t, c.node).netns.interfaces.map((i) => i.name);
    case 'addresses':
      return addressLines(findNode(t, c.node).netns);
    case 'nodeAddresses':
      return sorted(findNode(t, c.node).addresses);
    case 'podCIDRs':
      return sorted(findNode(t, c.node).podCIDRs);
    case 'bridgePorts':
      return findNode(t, c.node).netns.bridges.find((b) => b.name === c.bridge)?.ports ?? [];
    case 'fdb':
      return findNode(t, c.node).netns.fdb.map((e) => `${e.mac} ${e.dst ?? e.dev}`);
    case 'vtep':
      return t.vteps
        .filter((v) => same(v.node, c.node ?? ''))
        .map((v) => `${v.device} ${v.vni} ${v.local ?? '-'} ${v.underlayDevice ?? '-'} ${v.port}`);
    case 'cni':
      return `${t.cni.plugin} ${t.cni.mode}`;
    case 'pods':
      return sorted(t.pods.flatMap((p) => (p.ip ? [p.ip] : [])));
    case 'podNames':
      return sorted(t.pods.filter((p) => p.netns).map((p) => p.name));
    case 'podRoutes':
      return routeLines(findPod(t, c.pod));
    case 'podAddresses':
      return addressLines(findPod(t, c.pod));
    case 'kubectlPods':
      // the pods kubectl's table names; pods seen only in a node's tables are `unnamed` (below)
      return t.pods.filter((p) => p.node !== undefined && p.unnamed !== true).map((p) => `${p.name} ${p.ip ?? '-'} ${p.node ?? '-'}`);
    case 'unnamedPods':
      return sorted(t.pods.filter((p) => p.unnamed === true).map((p) => `${p.ip ?? '-'} ${p.node ?? '-'}`));
    case 'services':
      if (c.kind === 'count') return t.services.length;
      return sorted(t.services.map((s) => `${s.namespace}/${s.name}:${s.portName ?? ''} ${s.clusterIP}:${s.port}/${s.protocol}`));
    case 'endpoints':
      return sorted(
        t.services
          .filter((s) => `${s.namespace}/${s.name}` === c.service)
          .flatMap((s) => s.endpoints.map((e) => `${e.ip}:${e.port}`)),
      );
    case 'sessionAffinity':
      // the service ports with ClientIP affinity (kube-proxy's `-m recent --rcheck --seconds S`), as `ns/name:port S`
      return sorted(
        t.services
          .filter((s) => s.sessionAffinitySeconds !== undefined)
          .map((s) => `${s.namespace}/${s.name}:${s.portName ?? ''} ${s.sessionAffinitySeconds}`),
      );
    case 'ipvsServices':
      return findNode(t, c.node).netns.netfilter?.ipvs?.length ?? 0;
    case 'ipvsRealServers':
      return (findNode(t, c.node).netns.netfilter?.ipvs ?? []).reduce((n, s) => n + s.realServers.length, 0);
    case 'ipsets':
      // each dumped set as `NAME TYPE MEMBERS` (`ipset list`'s Name:, Type: and the lines under Members:)
      return sorted(Object.values(findNode(t, c.node).netns.netfilter?.ipsets ?? {}).map((s) => `${s.name} ${s.type} ${s.members.length}`));
    case 'warnsOnLines':
      // every line the one-liner picks out (a redaction, a placeholder) must carry a warning
      return (c.value as string[]).filter((line) => t.warnings.some((w) => String(w.line) === line));
    case 'nftRules':
      return (findNode(t, c.node).netns.netfilter?.nft ?? []).reduce(
        (n, table) => n + Object.values(table.chains).reduce((m, chain) => m + rulesIn(chain), 0),
        0,
      );
    case 'iptablesRules': {
      const tables = findNode(t, c.node).netns.netfilter?.tables ?? {};
      return Object.values(tables).reduce(
        (n, table) => n + Object.values(table.chains).reduce((m, chain) => m + rulesIn(chain), 0),
        0,
      );
    }
    default:
      throw new Error(`unknown check ${c.what}`);
  }
}

/**
 * Runs the check's one-liner on the dump, shaped like the recorded value. A one-liner that fails
 * (a grep finding nothing before `&& echo`) prints nothing, so it can never agree by default.
 */
function recompute(c: Check, file: string): string | number | string[] {
  let out: string;
  try {
    out = execFileSync('bash', ['-c', c.how], { env: { ...process.env, F: file, LC_ALL: 'C' }, encoding: 'utf8' });
  } catch (error) {
    out = (error as { stdout?: string }).stdout ?? '';
  }
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  if (typeof c.value === 'number') return lines.length === 1 ? Number(lines[0]) : Number.NaN;
  if (typeof c.value === 'string') return lines.join('\n');
  return lines;
}

async function runTrace(e: Expected, c: Check): Promise<{ result: RunResult; trace: TraceJson | undefined }> {
  const result = await runPodpath(['trace', join('test', 'wild', e.file), ...e.args, '--from', c.node ?? '', '--to', c.to ?? '', '--json']);
  let trace: TraceJson | undefined;
  try {
    trace = JSON.parse(result.stdout) as TraceJson;
  } catch {
    trace = undefined;
  }
  return { result, trace };
}

for (const e of cases) {
  describe(`wild ${e.file}`, () => {
    const file = join(wildDir, e.file);
    let topo: RunResult;
    beforeAll(async () => {
      topo = await runPodpath(['topology', join('test', 'wild', e.file), ...e.args, '--json']);
    });

    it('never ends in an internal error or a stack trace', () => {
      expect(topo.status).not.toBe(70);
      expect(topo.stderr).not.toMatch(/\n\s+at /);
    });

    for (const c of e.checks) {
      it(`its ${c.what} one-liner still gives the recorded value`, () => {
        // A `how` that is prose ("thread: …") is not a one-liner: bash fails on it and prints nothing.
        expect(c.how).not.toMatch(/^(?:thread|page)\b/);
        expect(recompute(c, file)).toEqual(c.value);
      });

      const gap = c.gap ?? e.gap;
      const test = gap ? it.fails : it;
      const label = `${c.what}${c.node ? ` of ${c.node}` : ''}${c.pod ? ` of pod ${c.pod}` : ''}${gap ? ` (known gap: ${gap})` : ''}`;

      if (c.what === 'trace') {
        test(`trace --from ${c.node} --to ${c.to} leaves by ${String(c.value)} and claims no neighbour failure${gap ? ` (known gap: ${gap})` : ''}`, async () => {
          const { result, trace } = await runTrace(e, c);
          expect(result.status, result.stderr).not.toBe(70);
          expect([0, 1]).toContain(result.status);
          expect(trace, result.stderr).toBeDefined();
          const steps = trace?.paths[0]?.hops[0]?.steps ?? [];
          const route = steps.find((s) => s.type === 'route');
          expect(route?.outInterface).toBe((c.value as string[])[0]);
          // No file here dumps a neighbour table: a missing/failed neighbour would be invented.
          const claims = (trace?.paths ?? []).flatMap((p) =>
            p.hops.flatMap((h) => h.steps.filter((s) => s.type === 'neighbour' && (s.result === 'missing' || s.result === 'failed'))),
          );
          expect(claims).toEqual([]);
        });
        continue;
      }

      if (c.what === 'noNodes') {
        test(`pod dumps only: read (exit 0), no node, and the first warning names ${String(c.value)}${gap ? ` (known gap: ${gap})` : ''}`, () => {
          expect(topo.status, topo.stderr).toBe(0);
          const t = JSON.parse(topo.stdout) as Topology;
          expect(t.nodes).toEqual([]);
          expect(t.warnings[0]?.message).toContain(`only pod dumps (${(c.value as string[]).join(', ')})`);
        });
        continue;
      }

      if (c.what === 'traceRefused') {
        test(`trace --from ${c.node}: no address of it in the dump (${String(c.value)} src), so one line naming its ip addr, not exit 70${gap ? ` (known gap: ${gap})` : ''}`, async () => {
          const { result } = await runTrace(e, c);
          expect(result.status, result.stderr).toBe(2);
          expect(result.stderr.trim().split('\n')).toHaveLength(1);
          expect(result.stderr).toMatch(/no IPv4 address for it in the dumps.*ip addr/);
        });
        continue;
      }


      test(label, () => {
        expect(topo.status, topo.stderr).toBe(0);
        const t = JSON.parse(topo.stdout) as Topology;
        const want = Array.isArray(c.value) && ['nodes', 'nodesInclude'].includes(c.what) ? sorted(c.value.map((v) => v.toLowerCase())) : c.value;
        expect(reading(c, t)).toEqual(want);
      });
    }
  });
}
