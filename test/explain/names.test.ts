// Address naming checked against the lab's records: expected.json for pods, nodes and
// services, the `ip addr` dumps for the bridge gateway and the VXLAN device's address.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AddressBook, CALICO_GATEWAY } from '../../src/explain/names.ts';
import { emptyTopology } from '../../src/explain/explain.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { repoRoot } from '../helpers/run.ts';

interface Expected {
  nodes: { name: string; underlay: string; podCIDR: string }[];
  pods: { name: string; node: string; ip: string; hostInterface: string }[];
  services: { namespace: string; name: string; clusterIP: string }[];
}

/** The first IPv4 address `ip addr` gives a device (e.g. "inet 192.168.1.1/24 brd … cni0"). */
function addressOf(scenario: string, node: string, device: string): string | undefined {
  const text = readFileSync(join(repoRoot, 'samples', scenario, node, 'ip-addr.txt'), 'utf8');
  const escaped = device.replace(/\./g, '\\.');
  return new RegExp(`inet (\\d+\\.\\d+\\.\\d+\\.\\d+)/\\d+ .*\\b${escaped}$`, 'm').exec(text)?.[1];
}

for (const scenario of ['seed-flannel', 'seed-calico']) {
  const dir = join(repoRoot, 'samples', scenario);
  describe(`address names in ${scenario}`, () => {
    const expected = (): Expected => JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;

    it('pods, nodes and services as the lab set them up', async () => {
      const book = new AddressBook(await loadTopology([dir]));
      const e = expected();
      for (const pod of e.pods) expect(book.name(pod.ip), pod.name).toMatchObject({ kind: 'pod', name: pod.name, node: pod.node });
      for (const node of e.nodes) expect(book.name(node.underlay), node.name).toMatchObject({ kind: 'node', name: node.name });
      for (const s of e.services) {
        expect(book.name(s.clusterIP).kind, s.name).toBe('service');
        expect(book.name(s.clusterIP).name).toContain(`${s.namespace}/${s.name}`);
      }
    });

    it('gateways, VTEP addresses, free pod-subnet addresses and the outside', async () => {
      const book = new AddressBook(await loadTopology([dir]));
      const e = expected();
      for (const node of e.nodes) {
        const bridge = addressOf(scenario, node.name, 'cni0');
        if (bridge) expect(book.name(bridge), `${node.name} cni0 ${bridge}`).toMatchObject({ kind: 'gateway', node: node.name });
        const vtep = addressOf(scenario, node.name, 'flannel.1') ?? addressOf(scenario, node.name, 'vxlan.calico');
        if (vtep) expect(book.name(vtep), `${node.name} VTEP ${vtep}`).toMatchObject({ kind: 'vtep', node: node.name });
        // An address of the node's pod subnet that no pod, bridge or VTEP holds.
        const base = node.podCIDR.split('/')[0]!.split('.').map(Number);
        const held = new Set([...e.pods.map((p) => p.ip), bridge, vtep]);
        const free = [...Array(60).keys()].map((i) => `${base[0]}.${base[1]}.${base[2]}.${base[3]! + 2 + i}`).find((ip) => !held.has(ip))!;
        expect(book.name(free), free).toMatchObject({ kind: 'pod-subnet', node: node.name });
      }
      if (scenario === 'seed-calico') expect(book.name(CALICO_GATEWAY).kind).toBe('gateway');
      expect(book.name('198.51.100.7').kind).toBe('outside');
    });
  });
}

it('without dumps every address is unknown, not outside', () => {
  expect(new AddressBook(emptyTopology()).name('10.0.0.1').kind).toBe('unknown');
});
