// kube-proxy's mode shown by `podpath topology` with its evidence, and `podpath collect`
// gathering nft, ipset and ipvsadm output when those tools are there.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Topology } from '../../src/topology/model.ts';
import { describeNeeding } from '../helpers/requires.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

it('topology names kube-proxy\'s mode with its evidence: nftables (the lab sample), iptables (seed-flannel)', async () => {
  const nft = await runPodpath(['topology', 'samples/kube-proxy-nftables']);
  expect(nft.stdout).toContain('kube-proxy: nftables mode\n  - worker-1: table ip kube-proxy (samples/kube-proxy-nftables/worker-1/nft-ruleset.txt:1) with map service-ips (2 elements), 2 service chains');
  const ipt = await runPodpath(['topology', 'samples/seed-flannel', '--json']);
  const topology = JSON.parse(ipt.stdout) as Topology;
  expect(topology.kubeProxy?.mode).toBe('iptables');
  expect(topology.kubeProxy?.evidence[0]).toMatch(/^worker-1: nat KUBE-SERVICES jumps to \d+ KUBE-SVC\/KUBE-EXT chains \(samples\/seed-flannel\/worker-1\/iptables-save\.txt:\d+\)$/);
});

it('an IPVS node (tkng\'s ipvsadm -ln as a loose file) is IPVS mode', async () => {
  const run = await runPodpath(['topology', '--node', 'k8s-guide-worker', join(repoRoot, 'test/corpus/ipvs/tkng_ipvsadm-ln.txt'), '--json']);
  const topology = JSON.parse(run.stdout) as Topology;
  expect(topology.kubeProxy?.mode).toBe('ipvs');
  expect(topology.kubeProxy?.evidence[0]).toMatch(/^k8s-guide-worker: IPVS table with 12 virtual services/);
});

describeNeeding(['root', 'nft', 'ipset'], 'podpath collect with nft and ipset', () => {
  const ns = `pp-collect-kp-${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), 'podpath-collect-kp-'));
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(work, { recursive: true, force: true });
  });

  it('writes nft-ruleset.txt and ipset-list.txt, which topology reads back as kube-proxy nftables mode', async () => {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', join(repoRoot, 'test/corpus/nftables/kube-proxy-overall.nft')]);
    // ipset's sets are per network namespace too.
    execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'create', 'KUBE-CLUSTER-IP', 'hash:ip,port']);
    execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'add', 'KUBE-CLUSTER-IP', '10.96.0.10,udp:53']);
    const script = join(work, 'collect.sh');
    writeFileSync(script, (await runPodpath(['collect'])).stdout);
    // PODPATH_NETNS names no namespace: the script must not enter anyone else's.
    execFileSync('ip', ['netns', 'exec', ns, 'bash', script, join(work, 'bundle')], { env: { ...process.env, PODPATH_NODE: 'node-a', PODPATH_NETNS: 'pp-none' } });
    const dir = join(work, 'bundle', 'node-a');
    expect(existsSync(join(dir, 'nft-ruleset.txt'))).toBe(true);
    expect(readFileSync(join(dir, 'ipset-list.txt'), 'utf8')).toContain('Name: KUBE-CLUSTER-IP');
    const run = await runPodpath(['topology', join(work, 'bundle'), '--json']);
    const topology = JSON.parse(run.stdout) as Topology;
    expect(topology.kubeProxy?.mode).toBe('nftables');
    expect(topology.nodes[0]!.netns.netfilter?.ipsets?.['KUBE-CLUSTER-IP']?.members).toEqual(['10.96.0.10,udp:53']);
    expect(topology.services.find((s) => s.name === 'svc4')?.endpoints.map((e) => e.ip)).toEqual(['10.180.0.4', '10.180.0.5']);
  });
});
