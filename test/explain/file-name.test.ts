// The file-name rules of docs/explain.md ("Where a capture was taken"), against the lab's
// seed-flannel dumps: nodes worker-1 and worker-2, pods pod1, web-a, pod2, web-b, interfaces
// as `ip -d link` lists them there. Expected places follow the documented rules.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { placeByFileName } from '../../src/explain/placement/file-name.ts';
import { loadTopology } from '../../src/topology/load.ts';
import type { Topology } from '../../src/topology/model.ts';
import { repoRoot } from '../helpers/run.ts';

let topology: Topology;
beforeAll(async () => {
  topology = await loadTopology([join(repoRoot, 'samples', 'seed-flannel')]);
});

describe('placing a capture by its file name', () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ['worker-1__flannel.1.pcap', 'worker-1', 'flannel.1'],
    ['probe0-worker-1-flannel.1.pcap', 'worker-1', 'flannel.1'],
    ['WORKER-2@eth0.pcap', 'worker-2', 'eth0'],
    ['worker_1_flannel_1.pcapng', 'worker-1', 'flannel.1'],
    ['Worker1 cni0.cap', 'worker-1', 'cni0'],
    ['w2-eth0.pcapng', 'worker-2', 'eth0'],
    ['work1.cni0.pcap', 'worker-1', 'cni0'],
    ['node1_cni0.pcap', 'worker-1', 'cni0'],
    ['n2-flannel.1.pcap', 'worker-2', 'flannel.1'],
    ['pod1 eth0.pcap', 'pod1', 'eth0'],
    ['worker-1-pod1-eth0.pcap', 'pod1', 'eth0'],
    ['veth6b3caf45.pcap', 'worker-1', 'veth6b3caf45'],
    ['worker-2.pcapng', 'worker-2', undefined],
    ['capture.pcap', undefined, undefined],
    ['worker-10-eth0.pcap', undefined, undefined],
    ['w3-eth0.pcap', undefined, undefined],
  ];
  for (const [file, at, iface] of cases) {
    it(`${file} → ${at ?? 'nowhere'}${iface ? ` ${iface}` : ''}`, () => {
      const match = placeByFileName(`/tmp/x/${file}`, topology);
      expect(match.at).toBe(at);
      expect(match.interface).toBe(iface);
      expect(match.ambiguity).toBeUndefined();
    });
  }

  it('two nodes in one name: said, not guessed', () => {
    const match = placeByFileName('worker-1-worker-2-eth0.pcap', topology);
    expect(match.at).toBeUndefined();
    expect(match.ambiguity).toBe('the name "worker-1-worker-2-eth0.pcap" fits worker-1 eth0 and worker-2 eth0 equally');
  });

  it('an abbreviation two nodes fit (worker-1 and a node web-1): said, not guessed', () => {
    const worker1 = topology.nodes.find((n) => n.name === 'worker-1')!;
    const twin: Topology = { ...topology, nodes: [...topology.nodes, { ...worker1, name: 'web-1' }] };
    expect(placeByFileName('w1-eth0.pcap', twin).ambiguity).toBe('the name "w1-eth0.pcap" fits worker-1 eth0 and web-1 eth0 equally');
    // The full name is still exact.
    expect(placeByFileName('web-1-eth0.pcap', twin)).toMatchObject({ at: 'web-1', interface: 'eth0' });
  });
});
