// Every lab scenario's iptables-save, per node, read back into the services the
// lab configured (samples/<scenario>/expected.json, written from the lab's own
// spec and the kernel's rules, never from podpath).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servicesFromNetfilter } from '../../src/topology/kube-proxy/services.ts';
import { parseIptablesSave } from '../../src/topology/parse/iptables-save.ts';
import { parseNftRuleset } from '../../src/topology/parse/nft/ruleset.ts';
import { servicesFromNft } from '../../src/topology/kube-proxy/nft-services.ts';
import { repoRoot } from '../helpers/run.ts';

interface ExpectedService {
  namespace: string;
  name: string;
  portName?: string;
  clusterIP: string;
  port: number;
  protocol: string;
  nodePorts?: number[];
  endpoints: { ip: string; port: number; probability: number; ruleProbability?: number }[];
}

const samples = join(repoRoot, 'samples');
const scenarios = readdirSync(samples).filter((name) => existsSync(join(samples, name, 'expected.json')));

describe('services from the lab samples', () => {
  it('has the lab scenarios to check', () => {
    expect(scenarios).toEqual(expect.arrayContaining(['calico-bgp', 'fault-fdb-missing', 'fault-forward-drop', 'fault-no-route', 'flannel-hostgw', 'kube-proxy-nftables', 'seed-calico', 'seed-flannel']));
  });

  for (const scenario of scenarios) {
    const expected = JSON.parse(readFileSync(join(samples, scenario, 'expected.json'), 'utf8')) as {
      nodes: { name: string }[];
      services: ExpectedService[];
    };
    for (const { name: node } of expected.nodes) {
      it(`${scenario}/${node}: every configured service, address, NodePort and endpoint share`, () => {
        const file = join(samples, scenario, node, 'iptables-save.txt');
        const parsed = parseIptablesSave(readFileSync(file, 'utf8'), file);
        expect(parsed.warnings).toEqual([]);
        // kube-proxy's nftables mode: its services are in `nft list ruleset`, not in iptables-save.
        const nftFile = join(samples, scenario, node, 'nft-ruleset.txt');
        const nft = existsSync(nftFile) ? parseNftRuleset(readFileSync(nftFile, 'utf8'), nftFile) : undefined;
        expect(nft?.warnings ?? []).toEqual([]);
        const { services, warnings } = nft ? servicesFromNft(nft.tables, node) : servicesFromNetfilter(parsed.tables, node);
        expect(warnings).toEqual([]);
        expect(services).toHaveLength(expected.services.length);
        for (const want of expected.services) {
          const got = services.find((s) => s.namespace === want.namespace && s.name === want.name && (s.portName ?? '') === (want.portName ?? '') && s.protocol === want.protocol);
          expect(got, `${want.namespace}/${want.name}:${want.portName}`).toBeDefined();
          expect(got!.clusterIP).toBe(want.clusterIP);
          expect(got!.port).toBe(want.port);
          expect(got!.nodePorts).toEqual(want.nodePorts ?? []);
          expect(got!.noEndpointsReject).toBe(want.endpoints.length === 0);
          expect(got!.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(want.endpoints.map((e) => `${e.ip}:${e.port}`));
          got!.endpoints.forEach((endpoint, i) => {
            // expected.json rounds shares to 6 decimals
            expect(endpoint.probability).toBeCloseTo(want.endpoints[i]!.probability, 5);
            if (i < want.endpoints.length - 1 && !nft) expect(endpoint.ruleProbability).toBe(want.endpoints[i]!.ruleProbability);
          });
        }
      });
    }
  }
});
