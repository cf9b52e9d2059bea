// Numbers and addresses are read strictly (issue 11): a value the kernel's own tools would
// refuse becomes a warning on its line, never a NaN or a wrong record.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isIPv6 } from '../../src/topology/parse/tokens.ts';
import type { Topology } from '../../src/topology/model.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-strict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('isIPv6 (RFC 4291 text forms)', () => {
  it.each(['::', '::1', 'fe80::1', '2001:db8::', '2001:db8:0:0:0:0:2:1', '::ffff:10.0.0.1', '64:ff9b::192.0.2.33'])('%s is an address', (text) => {
    expect(isIPv6(text)).toBe(true);
  });
  // A MAC has six groups and no `::`: the kernel's inet_pton(AF_INET6) refuses it.
  it.each(['33:33:00:00:00:01', 'ff:ff:ff:ff:ff:ff', '1:2:3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', 'fe80::1%eth0', '12345::', ':1'])('%s is not', (text) => {
    expect(isIPv6(text)).toBe(false);
  });

  it('through the CLI: a MAC on an ip route line is a warning, not an IPv6 route /128', async () => {
    const transcript = join(dir, 'mac-route.txt');
    writeFileSync(
      transcript,
      'root@n1:~# ip route\ndefault via 10.0.0.1 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n33:33:00:00:00:01 dev eth0 proto kernel metric 256\nfe80::/64 dev eth0 proto kernel metric 256 pref medium\n' +
        'root@n1:~# ip addr\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether 00:50:56:82:51:0c brd ff:ff:ff:ff:ff:ff\n    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\n' +
        '3: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP group default\n    link/ether 00:50:56:82:51:0d brd ff:ff:ff:ff:ff:ff\n    inet 10.244.1.1/24 brd 10.244.1.255 scope global cni0\n',
    );
    const r = await runPodpath(['topology', transcript, '--json']);
    expect(r.status).toBe(0);
    const topology = JSON.parse(r.stdout) as Topology;
    const routes = topology.nodes[0]!.netns.routes.map((route) => route.dst);
    expect(routes).toEqual(['default', '10.0.0.0/24', 'fe80::/64']);
    expect(JSON.stringify(topology)).not.toContain('33:33:00:00:00:01/128');
    expect(topology.warnings).toContainEqual(expect.objectContaining({ line: 4, message: 'not understood as a route, skipped' }));
  });
});

describe('--probability 0.5x (iptables-restore: "Bad probability")', () => {
  const bundle = join(dir, 'seed');
  cpSync(join(repoRoot, 'samples/seed-flannel'), bundle, { recursive: true });
  const rules = join(bundle, 'worker-1/iptables-save.txt');
  const original = readFileSync(rules, 'utf8');
  // Line 84: the second endpoint of default/spread, as kube-proxy writes it with two endpoints left.
  expect(original.split('\n')[83]).toContain('--probability 0.50000000000');
  writeFileSync(rules, original.replace('--probability 0.50000000000', '--probability 0.5x'));

  it('topology warns on the line and shows no share computed from NaN', async () => {
    const r = await runPodpath(['topology', bundle]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/worker-1\/iptables-save\.txt:84: rule not read: --probability 0\.5x: expected a number between 0 and 1/);
    expect(r.stdout).not.toMatch(/NaN| 0%/);
  });

  it('trace follows the rules that were read and exits 0 or 1, never 70', async () => {
    const r = await runPodpath(['trace', bundle, '--from', 'pod1', '--to', 'default/spread']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect([0, 1]).toContain(r.status);
    expect(r.stdout).not.toMatch(/NaN/);
  });

  it.each([
    ['--probability', '-m statistic --mode random --probability 1.5', 'a number between 0 and 1'],
    ['--every', '-m statistic --mode nth --every 2x --packet 0', 'a whole number'],
    ['--dport', '-p tcp -m tcp --dport 80x', 'a port or a port range'],
    ['--dports', '-p tcp -m multiport --dports 80,,443', 'ports'],
    ['--mark', '-m mark --mark 0x4000/0x4000/1', 'a mark'],
  ])('%s read strictly', async (_, args, expected) => {
    const file = join(dir, `rules-${_.slice(2)}.txt`);
    writeFileSync(file, `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.1/32 -j ACCEPT\n-A INPUT ${args} -j DROP\nCOMMIT\n`);
    const r = await runPodpath(['topology', file, '--node', 'n1', '--json']);
    const topology = JSON.parse(r.stdout) as Topology;
    const warning = topology.warnings.find((w) => w.line === 4);
    expect(warning?.message).toContain(`expected ${expected}`);
  });
});
