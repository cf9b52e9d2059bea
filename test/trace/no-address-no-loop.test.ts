// Two dead ends of bad dumps, end to end (issue 11, items 4 and 6): a `via` route without `dev`
// whose gateway resolves back through itself recursed until the stack overflowed, and a
// namespace without an IPv4 address as --from built a packet with no source and failed the
// trace factory's invariant (exit 70 both). The kernel refuses the first (fib_check_nh:
// "Nexthop has invalid gateway"); the second cannot send at all. Both are said in words.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPodpath } from '../helpers/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-deadend-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

const ADDR =
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n' +
  '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether 00:50:56:82:51:0c brd ff:ff:ff:ff:ff:ff\n    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\n';

describe.concurrent('trace on dead-end dumps', () => {
  it('a via route without dev whose gateway is only reachable through itself', async () => {
    const addr = write('loop/ip-addr.txt', ADDR);
    const route = write('loop/ip-route.txt', 'default via 10.0.0.1 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n10.9.0.0/16 via 10.9.0.1\n');
    const r = await runPodpath(['trace', addr, route, '--node', 'n1', '--from', 'n1', '--to', '10.9.0.5:80', '-v']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('first packet: 10.0.0.5 → 10.9.0.5:80 tcp');
    expect(r.stdout).toContain('no directly connected route reaches the gateway 10.9.0.1');
    expect(r.stdout).toContain("INSUFFICIENT-INFO");
    expect(r.stdout).toContain("would settle it: `ip route` and `ip addr` on n1");
  });

  it('a pod whose dumps hold no IPv4 address', async () => {
    write('nopip/n1/ip-addr.txt', ADDR);
    write('nopip/n1/pods/p1/sysctl.txt', 'net.ipv4.ip_forward = 1\n');
    const r = await runPodpath(['trace', join(dir, 'nopip'), '--from', 'p1', '--to', '10.0.0.1:80']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('podpath: --from p1: no IPv4 address for it in the dumps (no inet line in its ip addr, no IP in kubectl get pods), so the first packet has no source; add its ip addr dump, or trace from its IP\n');
  });

  it('a node with only sysctls', async () => {
    const sysctl = write('sysctl.txt', 'net.ipv4.ip_forward = 1\n');
    const r = await runPodpath(['trace', sysctl, '--node', 'n1', '--from', 'n1', '--to', '10.0.0.1:80']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^podpath: --from n1: no IPv4 address for it in the dumps/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
