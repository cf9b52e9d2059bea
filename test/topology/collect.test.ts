// `podpath collect` end to end: the printed script runs inside a node
// namespace we built (pt-), writes a bundle, and `podpath topology` reads it
// back. Expected values are the fixture's configuration and the kernel's sysfs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../src/topology/model.ts';
import { runPodpath } from '../helpers/run.ts';
import { CONFIG, type Fixture, createFixture } from './netns-fixture.ts';
import { describeNeeding } from '../helpers/requires.ts';

let fx: Fixture;
let work: string;

describeNeeding(['netns', 'brctl'], 'podpath collect in a real namespace', () => {
  beforeAll(() => {
    fx = createFixture('col');
    work = mkdtempSync(join(tmpdir(), 'podpath-collect-'));
  });
  afterAll(() => {
    fx?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('podpath collect', () => {
    it('prints a bash script that writes a bundle podpath topology reads back', async () => {
      const printed = await runPodpath(['collect', '--out', join(work, 'bundle')]);
      expect(printed.status).toBe(0);
      expect(printed.stdout.startsWith('#!/usr/bin/env bash')).toBe(true);
      const script = join(work, 'collect.sh');
      writeFileSync(script, printed.stdout);
      const said = spawnSync('ip', ['netns', 'exec', fx.node, 'bash', script], {
        env: { ...process.env, PODPATH_NODE: 'worker-1', PODPATH_NETNS: fx.pod },
        encoding: 'utf8',
      });
      expect(said.status).toBe(0);
      // The script says where the node name and the pods came from.
      expect(said.stderr).toContain('podpath: node name worker-1 (from PODPATH_NODE)');
      expect(said.stderr).toContain(`podpath: pods: the named netns in PODPATH_NETNS (${fx.pod})`);
      expect(said.stderr).toContain('kubectl get svc,endpointslices -A -o json');
      const nodeDir = join(work, 'bundle', 'worker-1');
      expect(readdirSync(nodeDir).sort()).toEqual(
        expect.arrayContaining(['bridge-fdb.txt', 'brctl-show.txt', 'ip-addr.txt', 'ip-d-link.txt', 'ip-j-addr.json', 'ip-neigh.txt', 'ip-route.txt', 'ip-rule.txt']),
      );
      expect(existsSync(join(nodeDir, 'pods', fx.pod, 'ip-addr.txt'))).toBe(true);
      // conntrack -S, when the tool is there: the kernel's per-CPU counters, carried and named as not modelled.
      const conntrack = spawnSync('sh', ['-c', 'command -v conntrack'], { encoding: 'utf8' }).status === 0;
      if (conntrack) expect(readFileSync(join(nodeDir, 'conntrack-S.txt'), 'utf8')).toMatch(/^cpu=0\s/);

      const result = await runPodpath(['topology', '--json', join(work, 'bundle')]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const topology = JSON.parse(result.stdout) as Topology;
      expect(topology.nodes.map((n) => [n.name, n.addresses])).toEqual([['worker-1', [CONFIG.underlay.address]]]);
      expect(topology.nodes[0]?.podCIDRs).toEqual(['192.168.1.0/24']);
      expect(topology.pods.filter((p) => !p.unnamed).map((p) => ({ name: p.name, node: p.node, ip: p.ip, hostInterface: p.hostInterface }))).toEqual([
        { name: fx.pod, node: 'worker-1', ip: CONFIG.pod.address, hostInterface: CONFIG.veth.host },
      ]);
      expect(topology.vteps).toEqual([
        expect.objectContaining({ node: 'worker-1', device: CONFIG.vxlan.name, vni: CONFIG.vxlan.vni, port: CONFIG.vxlan.port, local: CONFIG.underlay.address, underlayDevice: CONFIG.underlay.name }),
      ]);
      expect(topology.vteps[0]?.remotes).toEqual([expect.objectContaining({ mac: CONFIG.peer.mac, dst: CONFIG.peer.underlay, innerIP: CONFIG.peer.vtepAddress })]);
      expect(topology.cni).toMatchObject({ plugin: 'flannel', mode: 'vxlan' });
      if (conntrack) expect(topology.warnings).toContainEqual(expect.objectContaining({ file: expect.stringMatching(/conntrack-S\.txt$/), message: expect.stringMatching(/conntrack -S` statistics: carried in the bundle, not modelled/) }));
      // Forwarding switches as /proc/sys has them in that namespace.
      const procValue = (path: string) => fx.inNode(['cat', `/proc/sys/net/ipv4/${path}`]).trim();
      expect(topology.nodes[0]?.netns.sysctls).toMatchObject({
        'net.ipv4.ip_forward': procValue('ip_forward'),
        [`net.ipv4.conf.${CONFIG.bridge.name}.forwarding`]: procValue(`conf/${CONFIG.bridge.name}/forwarding`),
        [`net.ipv4.conf.${CONFIG.vxlan.name}.rp_filter`]: procValue(`conf/${CONFIG.vxlan.name}/rp_filter`),
      });
      // Bridge ports, from brctl show and from `master cni0` in ip link alike.
      expect(topology.nodes[0]?.netns.bridges.find((b) => b.name === CONFIG.bridge.name)?.ports.sort()).toEqual([CONFIG.secondPort, CONFIG.veth.host].sort());
    });

    it('without PODPATH_NODE and PODPATH_NETNS it says the name comes from hostname and every named netns is a pod', async () => {
      const printed = await runPodpath(['collect', '--out', join(work, 'default-bundle')]);
      const script = join(work, 'collect-default.sh');
      writeFileSync(script, printed.stdout);
      // A private mount namespace with an empty /run/netns: the machine's other namespaces (other
      // tests') are not listed or entered; the one named netns is ours.
      const env = { ...process.env };
      delete env['PODPATH_NODE'];
      delete env['PODPATH_NETNS'];
      const said = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs tmpfs /run/netns && ip netns add pt-col-only && bash ${script}; ip netns delete pt-col-only`], { env, encoding: 'utf8' });
      const host = execFileSync('hostname', ['-s'], { encoding: 'utf8' }).trim();
      expect(said.stderr).toContain(`podpath: node name ${host} (from hostname; if Kubernetes calls this node otherwise, run again with PODPATH_NODE=`);
      expect(said.stderr).toContain("podpath: pods: every named netns is read as a pod (pt-col-only ); set PODPATH_NETNS='ns1 ns2' to choose");
    });
  });
});
