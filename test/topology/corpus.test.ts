// Real transcripts from public write-ups (shared/corpus/iproute, see
// SOURCES.md): prompts of every shape, `docker exec NODE`, `kubectl exec POD --`,
// `| grep`, `show dev X`. Expected values are read off the files (quoted).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const corpus = (name: string) => join(repoRoot, 'test', 'corpus', 'iproute', name);

describe('gravity flannel node kevin-test1 (root@kevin-test1:~# prompts)', async () => {
  const t = await loadTopology([corpus('gravity_flannel-vxlan-node-kevin-test1.txt')]);
  const node = t.nodes[0]!;

  it('one node, its ens4 address and its cni0 subnet ("inet 10.244.73.1/24 scope global cni0")', () => {
    expect(t.nodes.map((n) => n.name)).toEqual(['kevin-test1']);
    expect(node.addresses).toEqual(['10.162.0.7']);
    expect(node.podCIDRs).toEqual(['10.244.73.0/24']);
  });

  it('flannel.1 from "vxlan id 1 local 10.162.0.7 dev ens4 srcport 0 0 dstport 8472 nolearning"', () => {
    expect(node.netns.interfaces.find((i) => i.name === 'flannel.1')?.vxlan).toEqual({ vni: 1, port: 8472, local: '10.162.0.7', device: 'ens4', learning: false });
  });

  it('remote VTEPs from "bridge fdb show | grep flannel.1" and "ip neigh show | grep flannel.1"', () => {
    expect(t.vteps[0]?.remotes).toEqual([
      { mac: 'da:77:5d:47:e8:42', dst: '10.162.0.6', innerIP: '10.244.24.0' },
      { mac: '1a:5c:0b:92:f9:fb', dst: '10.162.0.5', innerIP: '10.244.71.0' },
    ]);
  });

  it('`ip neighbor show dev cni0` lines have no dev: they get cni0', () => {
    expect(node.netns.neighbours.find((n) => n.ip === '10.244.73.21')).toMatchObject({ dev: 'cni0', mac: '76:9d:cd:ab:1a:ee', state: ['REACHABLE'] });
  });

  it('`nsenter -t … -n ip a` is its own namespace: the coredns pod, eth0@if33 ↔ "33: veth4722669f@if3"', () => {
    expect(t.pods.map((p) => [p.ip, p.node, p.hostInterface])).toEqual([['10.244.73.3', 'kevin-test1', 'veth4722669f']]);
  });

  it('`ip netconf` lines become sysctl settings ("ipv4 dev ens4 forwarding on rp_filter strict … proxy_neigh off")', () => {
    expect(node.netns.sysctls).toMatchObject({
      'net.ipv4.conf.ens4.forwarding': '1',
      'net.ipv4.conf.ens4.rp_filter': '1',
      'net.ipv4.conf.ens4.proxy_arp': '0',
      'net.ipv4.conf.lo.rp_filter': '0',
    });
  });

  it('warns only about what it does not read (brctl showmacs) and about its guess', () => {
    expect(t.warnings.map((w) => w.message)).toEqual([
      'skipped: `brctl showmacs` output is not read',
      expect.stringMatching(/^guessed from the dumps: kevin-test1 is a node .*; nsenter-line-250 is a pod/),
    ]);
  });
});

describe('tkng flannel on kind (`$ docker exec -it NODE …` prompts)', async () => {
  const t = await loadTopology([corpus('tkng_flannel-kind-packet-walk.txt')]);
  const worker2 = t.nodes.find((n) => n.name === 'k8s-guide-worker2')!;

  it('takes the node from `docker exec -it k8s-guide-worker2 ip route`', () => {
    expect(t.nodes.map((n) => n.name).sort()).toEqual(['k8s-guide-control-plane', 'k8s-guide-worker', 'k8s-guide-worker2']);
    // "172.18.0.0/16 dev eth0 proto kernel scope link src 172.18.0.2", "10.244.2.0/24 dev cni0 proto kernel …"
    expect(worker2.addresses).toEqual(['172.18.0.2']);
    expect(worker2.podCIDRs).toEqual(['10.244.2.0/24']);
  });

  it('reads `bridge fdb show dev flannel.1` (no dev on its lines) and `ip neigh | grep PERM`', () => {
    expect(worker2.netns.fdb.map((f) => [f.mac, f.dev, f.dst])).toEqual([
      ['5a:11:99:ab:8c:22', 'flannel.1', '172.18.0.3'],
      ['ce:0a:4f:22:a4:2a', 'flannel.1', '172.18.0.4'],
    ]);
    expect(worker2.netns.neighbours.map((n) => [n.ip, n.mac, n.state])).toEqual([
      ['10.244.1.0', 'ce:0a:4f:22:a4:2a', ['PERMANENT']],
      ['10.244.0.0', '5a:11:99:ab:8c:22', ['PERMANENT']],
    ]);
  });

  it('detects flannel vxlan; `ip route get` outputs are skipped with a reason', () => {
    expect(t.cni).toMatchObject({ plugin: 'flannel', mode: 'vxlan' });
    expect(t.warnings.filter((w) => w.message.includes('`ip … get` shows one lookup')).length).toBeGreaterThanOrEqual(4);
  });
});

describe('tkng calico on kind (BGP, no overlay)', async () => {
  const t = await loadTopology([corpus('tkng_calico-kind-packet-walk.txt')]);
  const worker2 = t.nodes.find((n) => n.name === 'k8s-guide-worker2')!;

  it('detects calico bgp from "10.244.175.0/24 via 172.18.0.4 dev eth0 proto bird"', () => {
    expect(t.cni).toMatchObject({ plugin: 'calico', mode: 'bgp' });
    expect(t.vteps).toEqual([]);
  });

  it('the block from "blackhole 10.244.190.0/24 proto bird" and local pods from /32 cali routes', () => {
    expect(worker2.podCIDRs).toEqual(['10.244.190.0/24']);
    expect(t.pods.filter((p) => p.node === 'k8s-guide-worker2').map((p) => [p.ip, p.hostInterface])).toEqual([
      ['10.244.190.0', 'calid7f7f4e15dd'],
      ['10.244.190.1', 'calid599cd3d268'],
      ['10.244.190.2', 'cali82aeec08a68'],
      ['10.244.190.3', 'calid2e34ad38c6'],
      ['10.244.190.4', 'cali4a822ce5458'],
      ['10.244.190.5', 'cali0ad20b06c15'],
    ]);
  });
});

describe('gravity cni0 forwarding-off session (sysctl -w, ip netconf, kubectl tables)', async () => {
  const t = await loadTopology([corpus('gravity_flannel-cni0-forwarding-off-troubleshooting.txt')]);

  it('keeps the fault: "net.ipv4.conf.cni0.forwarding = 0" and "ipv4 dev cni0 forwarding off rp_filter strict"', () => {
    expect(t.nodes.map((n) => n.name)).toEqual(['kevin-test1']);
    expect(t.nodes[0]?.netns.sysctls).toMatchObject({ 'net.ipv4.conf.cni0.forwarding': '0', 'net.ipv4.conf.cni0.rp_filter': '1' });
  });

  it('the summary flags it', async () => {
    const r = await runPodpath(['topology', corpus('gravity_flannel-cni0-forwarding-off-troubleshooting.txt')]);
    expect(r.stdout).toMatch(/^ {4}! net\.ipv4\.conf\.cni0\.forwarding = 0: IPv4 forwarding is off there$/m);
  });

  it('reads the kubectl tables even without a prompt ("coredns-jqg2x … 10.244.6.2 node-3")', () => {
    expect(t.pods.map((p) => [p.name, p.ip, p.node])).toEqual([
      ['coredns-jqg2x', '10.244.6.2', 'node-3'],
      ['coredns-kr5m4', '10.244.11.3', 'node-2'],
      ['coredns-xkgqk', '10.244.19.3', 'node-1'],
    ]);
  });
});

describe('tkng calico: `cat /proc/sys/net/ipv4/conf/calic8441ae7134/proxy_arp` → 1', async () => {
  const t = await loadTopology([corpus('tkng_calico-kind-packet-walk.txt')]);
  it('sets proxyArp on that cali interface of k8s-guide-worker', () => {
    const worker = t.nodes.find((n) => n.name === 'k8s-guide-worker')!;
    expect(worker.netns.interfaces.find((i) => i.name === 'calic8441ae7134')?.proxyArp).toBe(true);
    expect(worker.netns.sysctls).toEqual({ 'net.ipv4.conf.calic8441ae7134.proxy_arp': '1' });
  });
});

describe('corpus transcripts through the CLI', () => {
  for (const name of ['tkng_weave-kind-packet-walk.txt', 'tkng_kindnet-kind-packet-walk.txt', 'tkng_cilium-kind-packet-walk.txt']) {
    it(`${name}: a result or one clear line, never a stack trace`, async () => {
      const r = await runPodpath(['topology', corpus(name)]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      if (r.status === 0) expect(r.stdout).toMatch(/^CNI: /);
      else {
        expect(r.status).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      }
    });
  }
});
