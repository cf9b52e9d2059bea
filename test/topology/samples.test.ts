// End to end through the CLI: every lab scenario in samples/ read as a bundle
// and as its pasted transcript gives the nodes, pods, VTEPs, services,
// endpoints and CNI mode the lab recorded in expected.json (the lab's own
// configuration and tool output, never podpath's).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import type { Topology } from '../../src/topology/model.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { labScenarios } from '../helpers/samples.ts';

interface Expected {
  cni: { plugin: string; mode: string };
  nodes: { name: string; underlay: string; podCIDR?: string }[];
  pods: { name: string; node: string; ip: string; hostInterface?: string }[];
  vteps?: { node: string; device: string; vni: number; port: number; local?: string }[];
  services?: {
    namespace: string; name: string; portName?: string; clusterIP?: string; port: number; protocol: string; nodePorts?: number[];
    endpoints: { ip: string; port: number; probability: number }[];
  }[];
}

const samplesDir = join(repoRoot, 'samples');
const scenarios = labScenarios();

async function topologyOf(input: string): Promise<Topology> {
  const result = await runPodpath(['topology', '--json', input]);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as Topology;
}

function check(topology: Topology, expected: Expected) {
  expect(topology.cni).toMatchObject(expected.cni);
  expect(topology.nodes.map((n) => n.name).sort()).toEqual(expected.nodes.map((n) => n.name).sort());
  for (const node of expected.nodes) {
    const got = topology.nodes.find((n) => n.name === node.name)!;
    expect(got.addresses).toContain(node.underlay);
    if (node.podCIDR) expect(got.podCIDRs).toContain(node.podCIDR);
  }
  const named = topology.pods.filter((p) => !p.unnamed);
  expect(named.map((p) => p.name).sort()).toEqual(expected.pods.map((p) => p.name).sort());
  for (const pod of expected.pods) {
    const got = named.find((p) => p.name === pod.name)!;
    expect({ name: got.name, node: got.node, ip: got.ip, hostInterface: got.hostInterface }).toEqual({
      name: pod.name, node: pod.node, ip: pod.ip, hostInterface: pod.hostInterface,
    });
  }
  for (const vtep of expected.vteps ?? []) {
    expect(topology.vteps).toContainEqual(expect.objectContaining(vtep));
  }
  expect(topology.vteps.length).toBe((expected.vteps ?? []).length);
  const services = expected.services ?? [];
  expect(topology.services.map((s) => `${s.namespace}/${s.name}:${s.portName ?? ''}`).sort()).toEqual(
    services.map((s) => `${s.namespace}/${s.name}:${s.portName ?? ''}`).sort(),
  );
  for (const svc of services) {
    const got = topology.services.find((s) => s.namespace === svc.namespace && s.name === svc.name && s.portName === svc.portName)!;
    expect({ clusterIP: got.clusterIP, port: got.port, protocol: got.protocol }).toEqual({ clusterIP: svc.clusterIP, port: svc.port, protocol: svc.protocol });
    expect([...got.nodePorts].sort()).toEqual([...(svc.nodePorts ?? [])].sort());
    // kube-proxy programs every service on every node: one merged entry, seen on all of them.
    expect([...got.seenOn].sort()).toEqual(expected.nodes.map((n) => n.name).sort());
    expect(got.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(svc.endpoints.map((e) => `${e.ip}:${e.port}`));
    got.endpoints.forEach((e, i) => expect(e.probability).toBeCloseTo(svc.endpoints[i]!.probability, 5));
    // Endpoint IPs named with the lab's pods.
    for (const e of got.endpoints) {
      const pod = expected.pods.find((p) => p.ip === e.ip);
      if (pod) expect({ pod: e.pod, node: e.node }).toEqual({ pod: pod.name, node: pod.node });
    }
  }
}

describe.concurrent('podpath topology on the lab scenarios', () => {
  for (const scenario of scenarios) {
    const expected = JSON.parse(readFileSync(join(samplesDir, scenario, 'expected.json'), 'utf8')) as Expected;
    it(`${scenario}: the bundle directory`, async () => {
      check(await topologyOf(join('samples', scenario)), expected);
    });
    it(`${scenario}: its transcript.txt`, async () => {
      check(await topologyOf(join('samples', scenario, 'transcript.txt')), expected);
    });
    it(`${scenario}: each VTEP's remotes are exactly its node's \`bridge fdb\` dst entries (none made up)`, async () => {
      const topology = await loadTopology([join(samplesDir, scenario)]);
      for (const vtep of topology.vteps) {
        const fdb = readFileSync(join(samplesDir, scenario, vtep.node, 'bridge-fdb.txt'), 'utf8');
        const dsts = [...fdb.matchAll(new RegExp(`^(\\S+) dev ${vtep.device.replace('.', '\\.')} dst (\\S+)`, 'gm'))].map((m) => `${m[1]} ${m[2]}`);
        expect(vtep.remotes.map((r) => `${r.mac} ${r.dst}`).sort()).toEqual(dsts.sort());
      }
    });
  }
});

describe('the readable summary', () => {
  it('seed-flannel: nodes, pods with host interfaces, the overlay, services with shares, the CNI', async () => {
    const r = await runPodpath(['topology', join('samples', 'seed-flannel')]);
    expect(r.status).toBe(0);
    const expected = JSON.parse(readFileSync(join(samplesDir, 'seed-flannel', 'expected.json'), 'utf8')) as Expected;
    const lines = r.stdout.split('\n').map((l) => l.trim());
    expect(lines[0]).toBe(`CNI: ${expected.cni.plugin} ${expected.cni.mode}`);
    for (const node of expected.nodes) expect(lines).toContain(`${node.name}  ${node.underlay}  pods ${node.podCIDR}`);
    for (const pod of expected.pods) expect(lines).toContain(`${pod.name}  ${pod.ip}  on ${pod.node} via ${pod.hostInterface}`);
    for (const vtep of expected.vteps ?? []) {
      expect(lines.some((l) => l.startsWith(`${vtep.node} ${vtep.device}  VNI ${vtep.vni}  UDP ${vtep.port}  local ${vtep.local}`))).toBe(true);
      const peer = expected.nodes.find((n) => n.name !== vtep.node)!;
      expect(lines.some((l) => l.startsWith(`→ ${peer.name} at ${peer.underlay}:${vtep.port} VNI ${vtep.vni}`))).toBe(true);
    }
    // "spread" has three endpoints, a third each (kube-proxy's 1/3, 1/2, 1 chain).
    expect(lines.filter((l) => / 33\.3% /.test(l))).toHaveLength(3);
    expect(lines).toContain('Warnings: 0');
  });
});

describe('fault-no-route', () => {
  it("the summary flags worker-1's missing route to 192.168.2.0/24 (the lab deleted it): the default route takes it", async () => {
    const r = await runPodpath(['topology', join('samples', 'fault-no-route')]);
    expect(r.stdout).toMatch(/^ {2}! worker-1: 192\.168\.2\.0\/24 \(worker-2's pods\) by default via 10\.74\.107\.154 dev eth0/m);
    expect(r.stdout).toMatch(/^ {2}worker-2: 192\.168\.1\.0\/24 \(worker-1's pods\) via 192\.168\.1\.0 dev flannel\.1$/m);
  });
});

describe('fault-fdb-missing', () => {
  it("shows worker-1's flannel.1 with no remote for worker-2 (the lab deleted that FDB entry)", async () => {
    const topology = await topologyOf(join('samples', 'fault-fdb-missing'));
    const vtep = topology.vteps.find((v) => v.node === 'worker-1')!;
    expect(vtep.remotes.some((r) => r.node === 'worker-2')).toBe(false);
    const text = await runPodpath(['topology', join('samples', 'fault-fdb-missing')]);
    expect(text.stdout).toMatch(/! 192\.168\.2\.0\/24 via 192\.168\.2\.0: neighbour MAC a6:0d:d2:cd:65:14 has no fdb entry/);
  });
});

describe('the lab scenarios exist', () => {
  it('every scenario of the samples contract is there to test against', () => {
    expect(scenarios).toEqual(expect.arrayContaining(['seed-flannel', 'seed-calico', 'flannel-hostgw', 'calico-bgp', 'fault-fdb-missing', 'fault-forward-drop', 'fault-no-route']));
  });
});
