// An iptables-save whose chains jump in a loop (issue 11, item 1): the tracer walked 200,000
// rule visits, the stack of its steps overflowing. The kernel refuses such a table — shown
// here by loading the same rules into a namespace of our own — so podpath names the loop with
// its lines and stops the walk where it would enter the loop.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeNeeding } from '../helpers/requires.ts';
import { runPodpath } from '../helpers/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-chain-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:CHAIN-A - [0:0]
:CHAIN-B - [0:0]
-A OUTPUT -j CHAIN-A
-A CHAIN-A -p tcp -j CHAIN-B
-A CHAIN-B -j CHAIN-A
COMMIT
`;
const rules = join(dir, 'iptables-save.txt');
writeFileSync(rules, RULES);
const addr = join(dir, 'ip-addr.txt');
writeFileSync(
  addr,
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n' +
    '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether 00:50:56:82:51:0c brd ff:ff:ff:ff:ff:ff\n    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\n',
);
const route = join(dir, 'ip-route.txt');
writeFileSync(route, 'default via 10.0.0.1 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n');

const LOOP = /chain loop in table filter: CHAIN-A → CHAIN-B → CHAIN-A \(rules at .*iptables-save\.txt:8, .*iptables-save\.txt:9\)/;

describeNeeding(['root', 'netns', 'iptables'], 'the kernel refuses a jump loop', () => {
  it('iptables-restore into a fresh namespace fails on the rule closing the loop', () => {
    const ns = `podpath-i11-loop-${process.pid}`;
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    try {
      const restore = spawnSync('ip', ['netns', 'exec', ns, 'iptables-restore'], { input: RULES, encoding: 'utf8' });
      expect(restore.status).not.toBe(0);
      // nf_tables: "Too many links"; the legacy backend: "Too many levels of links".
      expect(restore.stderr).toMatch(/line 9: .*Too many (levels of )?links/);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('podpath on a jump loop', () => {
  it('topology names the loop with its rule lines', async () => {
    const r = await runPodpath(['topology', rules, addr, route, '--node', 'n1']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(LOOP);
    expect(r.stdout).toContain('Too many levels of links');
  });

  it('trace stops where the walk enters the loop, in a bounded number of steps', async () => {
    const r = await runPodpath(['trace', rules, addr, route, '--node', 'n1', '--from', 'n1', '--to', '10.0.0.7:80', '--json']);
    expect(r.stderr).toBe('');
    const trace = JSON.parse(r.stdout) as { paths: { hops: { steps: { type: string; explanation: string }[] }[] }[] };
    const steps = trace.paths[0]!.hops.flatMap((h) => h.steps);
    expect(steps.length).toBeLessThan(20);
    expect(steps.filter((s) => s.type === 'netfilter').map((s) => s.explanation)).toEqual([expect.stringMatching(/jumps into chain loop in table filter: CHAIN-A → CHAIN-B → CHAIN-A .*stops walking filter here/)]);
  });
});
