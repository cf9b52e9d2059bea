// Partly known clusters must give partial answers, never crashes: every sample's topology is
// mutated at random (routes, neighbours, FDB entries, interfaces, bridge ports, rules, pod
// dumps removed) and traced from every pod to every service and pod. The only errors allowed
// are usage errors; every result passes the trace factory's invariants (it builds them).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { traceQuery } from '../../src/trace/trace.ts';
import { UsageError } from '../../src/errors.ts';
import type { Topology } from '../../src/topology/model.ts';
import { repoRoot } from '../helpers/run.ts';
import { fc } from '@fast-check/vitest';
import { draws, randomFrom } from '../fuzz/draws.ts';
import { options } from '../fuzz/settings.ts';
import { labScenarios } from '../helpers/samples.ts';

const samples = join(repoRoot, 'samples');
const scenarios = labScenarios();

function mutate(topology: Topology, rnd: () => number): Topology {
  const t = structuredClone(topology);
  const drop = <T>(list: T[]) => {
    if (list.length > 0) list.splice(Math.floor(rnd() * list.length), 1);
  };
  for (let i = 0; i < 4; i++) {
    const node = t.nodes[Math.floor(rnd() * t.nodes.length)];
    if (!node) break;
    const what = Math.floor(rnd() * 7);
    if (what === 0) drop(node.netns.routes);
    else if (what === 1) drop(node.netns.neighbours);
    else if (what === 2) drop(node.netns.fdb);
    else if (what === 3) drop(node.netns.interfaces);
    else if (what === 4) drop(node.netns.bridges[0]?.ports ?? []);
    else if (what === 5) {
      const chains = Object.values(node.netns.netfilter?.tables ?? {}).flatMap((table) => Object.values(table.chains));
      drop(chains[Math.floor(rnd() * chains.length)]?.rules ?? []);
    } else {
      const pod = t.pods[Math.floor(rnd() * t.pods.length)];
      if (pod) delete pod.netns;
    }
  }
  if (rnd() < 0.1) drop(t.nodes);
  return t;
}

describe('tracing partly known clusters', () => {
  for (const scenario of scenarios) {
    it(`${scenario}: 25 random mutations, every pod to every service and pod`, async () => {
      const topology = await loadTopology([join(samples, scenario)]);
      let traced = 0;
      // 25 mutations per scenario (each traces every pod to every target), drawn by fast-check.
      await fc.assert(fc.asyncProperty(draws, async (values) => {
        const t = mutate(topology, randomFrom(values));
        const targets = [...t.services.filter((s) => s.clusterIP).map((s) => `${s.clusterIP}:${s.port}`), ...t.pods.map((p) => `${p.ip}:80`)];
        for (const pod of t.pods) {
          for (const to of targets) {
            try {
              const result = traceQuery(t, { from: pod.name, to, sport: 40000 });
              expect(result.paths.length).toBeGreaterThan(0);
              traced++;
            } catch (error) {
              if (!(error instanceof UsageError)) throw new Error(`${scenario}: ${pod.name} → ${to}: ${String(error)}`, { cause: error });
            }
          }
        }
      }), { ...options(`robustness ${scenario}`), numRuns: 25 });
      expect(traced).toBeGreaterThan(0);
    });
  }
});
