// CNI detection on text in the shapes iproute2 prints for each mode (the
// lab covers flannel vxlan/host-gw and calico vxlan/bgp end to end in
// samples.test.ts; Calico IPIP cannot be built here — no ipip module — so its
// node is written as iproute2 prints a Calico IPIP node: `tunl0@NONE`,
// `link/ipip 0.0.0.0`, `ipip any remote any local any`, routes
// `via <peer> dev tunl0 proto bird onlink`, per Calico's IPIP docs).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';

const work = mkdtempSync(join(tmpdir(), 'podpath-cni-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const transcript = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

describe('CNI detection', () => {
  it('calico ipip: tunl0 and routes through it', async () => {
    const t = await loadTopology([transcript('ipip.txt', `root@node-a:~# ip -d link
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000
    link/ether 00:50:56:82:6b:75 brd ff:ff:ff:ff:ff:ff promiscuity 0
3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1440 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
    link/ipip 0.0.0.0 brd 0.0.0.0 promiscuity 0
    ipip any remote any local any ttl inherit nopmtudisc addrgenmode eui64
root@node-a:~# ip route
default via 10.0.0.1 dev eth0 proto static
10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11
blackhole 192.168.10.0/26 proto bird
192.168.10.2 dev cali12d4a061371 scope link
192.168.20.0/26 via 10.0.0.12 dev tunl0 proto bird onlink
`)]);
    expect(t.cni.plugin).toBe('calico');
    expect(t.cni.mode).toBe('ipip');
    expect(t.cni.evidence.join('\n')).toMatch(/192\.168\.20\.0\/26 via 10\.0\.0\.12 dev tunl0/);
    const tunl = t.nodes[0]!.netns.interfaces.find((i) => i.name === 'tunl0');
    expect(tunl).toMatchObject({ kind: 'ipip', ipip: {} });
    expect(t.nodes[0]!.addresses).toEqual(['10.0.0.11']);
    expect(t.vteps).toEqual([]);
  });

  it('calico bgp when vxlan.calico exists but the routes go straight to the peer (CrossSubnet within one subnet)', async () => {
    const t = await loadTopology([transcript('cross.txt', `root@node-a:~# ip a
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 00:50:56:82:6b:75 brd ff:ff:ff:ff:ff:ff
    inet 10.0.0.11/24 brd 10.0.0.255 scope global eth0
       valid_lft forever preferred_lft forever
7: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default
    link/ether 66:93:7f:54:d5:53 brd ff:ff:ff:ff:ff:ff
    inet 192.168.10.0/32 scope global vxlan.calico
       valid_lft forever preferred_lft forever
root@node-a:~# ip r
default via 10.0.0.1 dev eth0 proto static
blackhole 192.168.10.0/26 proto bird
192.168.20.0/26 via 10.0.0.12 dev eth0 proto bird
`)]);
    expect(t.cni).toMatchObject({ plugin: 'calico', mode: 'bgp' });
    expect(t.cni.evidence.join('\n')).toMatch(/192\.168\.20\.0\/26 via 10\.0\.0\.12 dev eth0 .*proto bird/);
  });

  it('unknown: a node with nothing of a known CNI says so, with no evidence invented', async () => {
    const t = await loadTopology([transcript('plain.txt', `root@plain:~# ip route
default via 10.0.0.1 dev eth0 proto static
10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11
`)]);
    expect(t.cni).toEqual({ plugin: 'unknown', mode: 'unknown', evidence: [] });
  });

  it('flannel vxlan from routes alone (no ip -d link): VNI/port marked assumed', async () => {
    const t = await loadTopology([transcript('routes.txt', `root@n1:~# ip a
4: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default
    link/ether 7e:4f:1b:41:c7:7a brd ff:ff:ff:ff:ff:ff
    inet 10.244.1.0/32 scope global flannel.1
       valid_lft forever preferred_lft forever
root@n1:~# ip r
10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink
10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11
`)]);
    expect(t.cni).toMatchObject({ plugin: 'flannel', mode: 'vxlan' });
    expect(t.vteps[0]).toMatchObject({ device: 'flannel.1', vni: 1, port: 8472, assumed: true, local: '10.0.0.11' });
  });
});
