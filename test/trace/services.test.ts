// Every service the lab set up (samples/<scenario>/expected.json, from the lab's own configuration)
// traced from the first recorded client: one path per endpoint, in kube-proxy's rule order, each with
// the share the lab records (1/n, rounded to 6 places there), adding up to 1; and every path that
// reaches an endpoint pod is delivered there. Services without endpoints give no endpoint path.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { traceQuery } from '../../src/trace/trace.ts';
import { repoRoot } from '../helpers/run.ts';
import { labScenarios } from '../helpers/samples.ts';

interface Expected {
  pods: { name: string; ip: string }[];
  services: { namespace: string; name: string; portName?: string; clusterIP: string; port: number; protocol: string; endpoints: { ip: string; port: number; probability: number }[] }[];
  connections: { from: string }[];
}

const samples = join(repoRoot, 'samples');
const scenarios = labScenarios();

describe('every recorded service, every endpoint branch', () => {
  for (const scenario of scenarios) {
    it(scenario, async () => {
      const expected = JSON.parse(readFileSync(join(samples, scenario, 'expected.json'), 'utf8')) as Expected;
      const topology = await loadTopology([join(samples, scenario)]);
      const client = expected.connections.find((c) => expected.pods.some((p) => p.name === c.from))?.from ?? expected.pods[0]!.name;
      for (const service of expected.services) {
        const result = traceQuery(topology, { from: client, to: `${service.clusterIP}:${service.port}/${service.protocol}` });
        const total = result.paths.reduce((sum, p) => sum + p.probability, 0);
        expect(total).toBeCloseTo(1, 6);
        if (service.endpoints.length === 0) {
          expect(result.paths.every((p) => p.endpoint === undefined)).toBe(true);
          continue;
        }
        expect(result.paths.map((p) => ({ endpoint: p.endpoint, probability: Number(p.probability.toFixed(6)) }))).toEqual(
          service.endpoints.map((e) => ({ endpoint: `${e.ip}:${e.port}`, probability: e.probability })),
        );
        for (const path of result.paths) {
          const [ip] = path.endpoint!.split(':');
          const pod = expected.pods.find((p) => p.ip === ip);
          if (!pod || scenario.startsWith('fault-')) continue;
          expect(path.disposition, `${scenario} ${client} → ${service.name} via ${path.endpoint}: ${path.reason}`).toBe('delivered');
          expect(path.hops.at(-1)!.at).toBe(pod.name);
        }
      }
    });
  }
});
