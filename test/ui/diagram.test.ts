// The topology diagram on every lab sample: nodes, pods, VTEPs or routes between
// nodes, and the mark on each device where the lab saw a packet. Expected names and
// addresses come from each sample's expected.json (recorded by the lab).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadTopology } from '../../src/topology/load.ts';
import { drawTopology } from '../../src/ui/diagram.ts';
import { repoRoot } from '../helpers/run.ts';

interface Expected {
  cni: { plugin: string; mode: string };
  nodes: { name: string; underlay: string; podCIDR: string }[];
  pods: { name: string; node: string; ip: string; hostInterface?: string }[];
  vteps?: { node: string; device: string; vni?: number }[];
  connections: { id: string; sightings: { at: string; interface: string }[] }[];
}

const samplesDir = join(repoRoot, 'samples');
const samples = readdirSync(samplesDir).filter((name) => existsSync(join(samplesDir, name, 'expected.json')));

const text = (lines: ReturnType<typeof drawTopology>): string => lines.map((l) => l.map((s) => s.text).join('')).join('\n');

describe('topology diagram on the lab samples', () => {
  it('has samples to draw', () => {
    expect(samples).toContain('seed-flannel');
  });

  for (const name of samples) {
    it(`${name}: every node, pod and link between nodes, and a mark on every device the packet crossed`, async () => {
      const expected = JSON.parse(readFileSync(join(samplesDir, name, 'expected.json'), 'utf8')) as Expected;
      const topology = await loadTopology([join(samplesDir, name)]);
      const drawn = text(drawTopology(topology, 160));
      for (const node of expected.nodes) expect(drawn).toContain(`┌─ ${node.name} ${node.underlay}`);
      for (const pod of expected.pods) {
        if (pod.hostInterface) expect(drawn).toContain(`${pod.hostInterface} ─ ${pod.name}`);
        expect(drawn).toContain(pod.ip);
      }
      for (const vtep of expected.vteps ?? []) expect(drawn).toContain(`${vtep.device} vxlan${vtep.vni === undefined ? '' : ` ${vtep.vni}`}`);
      if (expected.cni.mode === 'host-gw' || expected.cni.mode === 'bgp') {
        // Each node routes the other's pod CIDR via the other's underlay address.
        for (const node of expected.nodes) {
          for (const peer of expected.nodes.filter((p) => p !== node)) {
            expect(drawn).toContain(`${node.name} ── ${peer.podCIDR} via ${peer.underlay}`);
          }
        }
      }
      for (const connection of expected.connections) {
        for (const seen of connection.sightings) {
          const lines = drawTopology(topology, 160, seen);
          const marked = lines.flat().filter((s) => s.marked);
          expect(marked.length, `${connection.id}: ${seen.at} ${seen.interface}`).toBe(1);
          expect(marked[0]!.text.startsWith('▶')).toBe(true);
        }
      }
    });
  }
});
