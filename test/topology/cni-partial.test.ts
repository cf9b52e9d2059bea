// CNI detection from partial evidence, the way dumps are pasted into threads: one node's
// `ip route` and nothing else. Real dumps from test/wild/ (SOURCES.md names each thread) and
// small made-up counter-examples of the same shapes that must not be taken for a CNI.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { roleOf } from '../../src/topology/roles.ts';

const work = mkdtempSync(join(tmpdir(), 'podpath-cni-partial-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dump = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};
const wild = (name: string) => join('test', 'wild', name);

describe('CNI from one node\'s routes', () => {
  it('flannel host-gw: cni0\'s subnet and its same-sized siblings via gateways on eth0\'s subnet (zhangguanzhang\'s blog)', async () => {
    const t = await loadTopology([wild('zhangguanzhang-zh-flannel-route-comments.txt')], { node: 'node' });
    expect(t.cni).toMatchObject({ plugin: 'flannel', mode: 'host-gw' });
    expect(t.cni.evidence.join('\n')).toContain('10.187.0.0/24 via 172.16.0.250 dev eth0');
  });

  it('not host-gw: a static route to another network via the LAN gateway', async () => {
    const t = await loadTopology([dump('static.txt', `default via 192.168.1.1 dev eth0 proto static
10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1
172.30.0.0/24 via 192.168.1.254 dev eth0
192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.20
`)], { node: 'n1' });
    expect(t.cni.plugin).toBe('unknown');
  });

  it('flannel vxlan: an old flannel\'s `10.244.0.0/16 dev flannel.1 proto kernel` with no via (flannel #545)', async () => {
    const t = await loadTopology([wild('flannel-545-node0-route-oldformat.txt')]);
    expect(t.cni).toMatchObject({ plugin: 'flannel', mode: 'vxlan' });
    expect(t.cni.evidence[0]).toMatch(/10\.244\.0\.0\/16 dev flannel\.1/);
  });

  it('flannel vxlan from IPv6 routes alone: `dev flannel-v6.1`, flannel\'s IPv6 VXLAN device (k3s #8794)', async () => {
    const t = await loadTopology([wild('k3s-8794-node1-ip-6-route-flannel-v6.txt')], { node: 'node1' });
    expect(t.cni).toMatchObject({ plugin: 'flannel', mode: 'vxlan' });
    expect(t.cni.evidence[0]).toContain('fda5:8888:eeee:311::/128 dev flannel-v6.1');
    // a tunnel, not the node's own link to its peers
    expect(roleOf(t.nodes[0]!.netns, 'flannel-v6.1')).toBe('vxlan');
  });

  it('not flannel: a device only named like flannel\'s (`flannel-v6`, no VNI) says nothing', async () => {
    const t = await loadTopology([dump('v6-no-vni.txt', `fd00:1::/64 dev flannel-v6 proto kernel metric 256 pref medium
fd00:2::/64 dev eth0 proto kernel metric 256 pref medium
`)], { node: 'n1' });
    expect(t.cni.plugin).toBe('unknown');
  });

  it('calico bgp: `blackhole … proto bird` and cali* routes in the old double-spaced format, no tunnel route (calicoctl #772)', async () => {
    const t = await loadTopology([wild('calicoctl-772-machine1-docker-gwbridge.txt')], { node: 'Machine1' });
    expect(t.cni).toMatchObject({ plugin: 'calico', mode: 'bgp' });
    expect(t.cni.evidence.join('\n')).toContain('blackhole 192.168.0.0/26 proto bird');
  });

  it('calico ipip wins over the block when routes go via tunl0 (calico #8953)', async () => {
    const t = await loadTopology([wild('calico-8953-ipip-ip-route.txt')], { node: 'host' });
    expect(t.cni).toMatchObject({ plugin: 'calico', mode: 'ipip' });
  });

  it('felix\'s `blackhole … proto 80` alone says Calico, not which mode', async () => {
    const t = await loadTopology([dump('felix.txt', `default via 10.0.0.1 dev eth0 proto static
10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11
blackhole 192.168.10.0/26 proto 80
192.168.10.2 dev cali12d4a061371 scope link
`)], { node: 'n1' });
    expect(t.cni).toMatchObject({ plugin: 'calico', mode: 'unknown' });
    expect(t.cni.evidence.join('\n')).toContain('blackhole 192.168.10.0/26 proto 80');
  });
});

describe('node addresses', () => {
  it('docker0, docker_gwbridge and lxcbr0 are local bridges, never the underlay (calicoctl #772)', async () => {
    const t = await loadTopology([wild('calicoctl-772-machine1-docker-gwbridge.txt')], { node: 'Machine1' });
    expect(t.nodes[0]!.addresses).toEqual(['172.31.27.45']);
  });

  it('a docker_gwbridge address in `ip addr` is not the node\'s either', async () => {
    const t = await loadTopology([dump('swarm.txt', `2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000
    link/ether 02:11:22:33:44:55 brd ff:ff:ff:ff:ff:ff
    inet 10.1.2.3/24 brd 10.1.2.255 scope global eth0
       valid_lft forever preferred_lft forever
5: docker_gwbridge: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default
    link/ether 02:42:aa:bb:cc:dd brd ff:ff:ff:ff:ff:ff
    inet 172.18.0.1/16 brd 172.18.255.255 scope global docker_gwbridge
       valid_lft forever preferred_lft forever
`)], { node: 'n1' });
    expect(t.nodes[0]!.addresses).toEqual(['10.1.2.3']);
  });
});

describe('pod CIDR', () => {
  it('cni0\'s address wins over a `dev cni0` route for another subnet, and the disagreement is a warning on that route (python88\'s page mixes two nodes)', async () => {
    const t = await loadTopology([wild('python88-zh-flannel-collapsed-whitespace.txt')], { node: 'master' });
    expect(t.nodes[0]!.podCIDRs).toEqual(['10.244.0.0/24']); // "inet 10.244.0.1/24 brd 10.244.0.255 scope global cni0"
    expect(t.warnings.find((w) => w.line === 26)?.message).toMatch(/sends 10\.244\.2\.0\/24 to cni0, but cni0 holds 10\.244\.0\.0\/24/);
  });
});

describe('pod or node', () => {
  it('a pod session with the kernel\'s idle tunl0@NONE is a pod (calico #4961)', async () => {
    const t = await loadTopology([wild('calico-4961-pod-10-2-and-lasdgx10.txt')]);
    expect(t.nodes.map((n) => n.name)).toEqual(['lasdgx10']);
    expect(t.pods.find((p) => p.name === 'pod-10-2')).toMatchObject({ ip: '192.168.107.6' });
  });

  it('an up tunl0 with routes through it is still node evidence', async () => {
    const t = await loadTopology([dump('tunl.txt', `root@n1:~# ip a
3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1440 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ipip 0.0.0.0 brd 0.0.0.0
    inet 192.168.20.1/32 scope global tunl0
       valid_lft forever preferred_lft forever
4: eth0@if22: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default
    link/ether 3a:d8:af:82:65:23 brd ff:ff:ff:ff:ff:ff link-netnsid 0
    inet 10.0.0.11/24 scope global eth0
       valid_lft forever preferred_lft forever
root@n1:~# ip r
default via 10.0.0.1 dev eth0
192.168.30.0/26 via 10.0.0.12 dev tunl0 proto bird onlink
`)]);
    expect(t.nodes.map((n) => n.name)).toEqual(['n1']);
  });
});

describe('IPv6', () => {
  it('calico vxlan from `vxlan-v6.calico … onlink` and `blackhole … dev lo proto 80` (calico #6619\'s node routes alone)', async () => {
    const lines = (await import('node:fs')).readFileSync(wild('calico-6619-pod-addr-node-route6.txt'), 'utf8').split('\n').slice(9, 22);
    const t = await loadTopology([dump('6619-routes.txt', `${lines.join('\n')}\n`)], { node: 'node' });
    expect(t.nodes[0]!.netns.routes).toHaveLength(13);
    expect(t.cni).toMatchObject({ plugin: 'calico', mode: 'vxlan' });
    expect(t.cni.evidence.join('\n')).toContain('dev vxlan-v6.calico');
  });
});

describe('AWS VPC CNI', () => {
  it('from `dev eniXXXXXXXXXXX scope link` host routes and its 512/1536 rules (amazon-vpc-cni-k8s #1712)', async () => {
    const t = await loadTopology([wild('aws-vpc-cni-1712-rule-elided-route-table-2.txt')], { node: 'node' });
    expect(t.cni).toMatchObject({ plugin: 'aws-vpc-cni', mode: 'vpc' });
    expect(t.cni.evidence[0]).toContain('10.204.128.165/32 dev eni9f3f751f9cd');
    expect(t.cni.evidence[1]).toContain('5 ip rule `512: from all to POD lookup main`, 6 `1536');
  });

  it('from the per-pod rules alone, an `ip rule` paste (amazon-vpc-cni-k8s #705)', async () => {
    const t = await loadTopology([wild('aws-vpc-cni-705-ip-rule-hash-prompt.txt')], { node: 'node' });
    expect(t.cni).toMatchObject({ plugin: 'aws-vpc-cni', mode: 'vpc' });
  });

  it('before Calico\'s policy-only chains: eni veths with cali-* chains beside them are still VPC CNI', async () => {
    const t = await loadTopology([dump('eks-calico-policy.txt', `$ ip route
default via 10.0.96.1 dev eth0
10.0.96.0/19 dev eth0 proto kernel scope link src 10.0.97.226
10.0.97.30 dev eni8db0408c9a8 scope link
$ iptables-save
*filter
:INPUT ACCEPT [0:0]
:cali-FORWARD - [0:0]
COMMIT
`)], { node: 'n1' });
    expect(t.cni).toMatchObject({ plugin: 'aws-vpc-cni', mode: 'vpc' });
  });

  it('not VPC CNI: a 512 rule of another shape, and a device only named eni', async () => {
    const t = await loadTopology([dump('other-rules.txt', `$ ip rule
0:	from all lookup local
512:	from 10.1.0.0/16 lookup 100
32766:	from all lookup main
$ ip route
10.1.2.3 dev eni0 scope link
`)], { node: 'n1' });
    expect(t.cni.plugin).toBe('unknown');
  });
});
