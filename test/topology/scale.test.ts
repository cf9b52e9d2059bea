// A large cluster in memory (nodes × pods in the shapes `ip addr` / `ip route`
// print for a host-gw bridge CNI): every pod matched to its own node's veth
// although the same ifindexes repeat on every node, in bounded time.
import { describe, expect, it } from 'vitest';
import { buildTopology } from '../../src/topology/build/index.ts';
import type { DumpText } from '../../src/topology/inputs/dump.ts';
import { gatherRecords } from '../../src/topology/inputs/records.ts';

function cluster(nodes: number, podsPerNode: number): DumpText[] {
  const dumps: DumpText[] = [];
  const subnet = (n: number) => `10.${100 + (n >> 8)}.${n & 255}`;
  for (let n = 0; n < nodes; n++) {
    const node = `node-${n}`;
    let addr = `2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP\n    link/ether 00:50:56:00:00:01 brd ff:ff:ff:ff:ff:ff\n    inet 10.0.${n >> 8}.${n & 255}/16 scope global eth0\n`;
    addr += `5: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP\n    link/ether e2:b0:c7:1e:8e:7a brd ff:ff:ff:ff:ff:ff\n    inet ${subnet(n)}.1/24 scope global cni0\n`;
    let routes = `default via 10.0.0.254 dev eth0 proto static\n${subnet(n)}.0/24 dev cni0 proto kernel scope link src ${subnet(n)}.1\n`;
    for (let o = 0; o < nodes; o++) if (o !== n) routes += `${subnet(o)}.0/24 via 10.0.${o >> 8}.${o & 255} dev eth0\n`;
    for (let p = 0; p < podsPerNode; p++) {
      // Same veth ifindexes (100 + p) on every node, as on real nodes started alike.
      addr += `${100 + p}: veth${n}x${p}@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master cni0 state UP\n    link/ether de:9c:43:da:8b:ce brd ff:ff:ff:ff:ff:ff link-netnsid ${p}\n`;
      const pod = `3: eth0@if${100 + p}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP\n    link/ether 6a:97:3e:20:55:e6 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n    inet ${subnet(n)}.${p + 2}/24 scope global eth0\n`;
      dumps.push({ kind: 'addr', text: pod, file: `${node}/pods/p${p}/ip-addr.txt`, firstLine: 1, host: `pod-${n}-${p}`, hostKind: 'pod', hostEvidence: 'bundle-pod', partial: false });
    }
    dumps.push({ kind: 'addr', text: addr, file: `${node}/ip-addr.txt`, firstLine: 1, host: node, hostEvidence: 'bundle-node', partial: false });
    dumps.push({ kind: 'route', text: routes, file: `${node}/ip-route.txt`, firstLine: 1, host: node, hostEvidence: 'bundle-node', partial: false });
  }
  return dumps;
}

describe('scale', () => {
  it('40 nodes × 60 pods: every pod on its own node and veth, host-gw detected, in seconds', () => {
    const start = performance.now();
    const t = buildTopology(gatherRecords(cluster(40, 60), []));
    const took = performance.now() - start;
    expect(t.nodes).toHaveLength(40);
    expect(t.pods).toHaveLength(2400);
    for (const pod of t.pods) {
      const [, n, p] = /^pod-(\d+)-(\d+)$/.exec(pod.name)!;
      expect([pod.node, pod.hostInterface]).toEqual([`node-${n}`, `veth${n}x${p}`]);
    }
    expect(t.cni).toMatchObject({ plugin: 'flannel', mode: 'host-gw' });
    expect(t.warnings).toEqual([]);
    expect(took).toBeLessThan(10_000);
  });
});
