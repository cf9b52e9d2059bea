// Bad inputs through the real CLI: one clear line naming the file (and line)
// and what was expected, exit 2 only when nothing usable was read, never a stack.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../src/topology/model.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const ADDR = '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether 00:50:56:82:51:0c brd ff:ff:ff:ff:ff:ff\n    inet 10.74.107.63/24 brd 10.74.107.255 scope global eth0\n';

async function fails(args: string[], pattern: RegExp) {
  const r = await runPodpath(['topology', ...args]);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^podpath: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

async function reads(args: string[]): Promise<Topology> {
  const r = await runPodpath(['topology', '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Topology;
}

describe.concurrent('bad input', () => {
  it('an empty file', async () => {
    await fails([file('empty.txt', '')], /empty\.txt: empty file/);
  });

  it('a binary file (a pcap given as a dump)', async () => {
    const pcap = join(dir, 'capture.txt');
    copyFileSync(join(repoRoot, 'samples', 'seed-flannel', 'captures', 'pod1__eth0.pcap'), pcap);
    await fails([pcap, '--node', 'w1'], /capture\.txt: binary file/);
  });

  it('output of a command podpath does not read', async () => {
    await fails([file('df.txt', 'Filesystem     1K-blocks    Used\n/dev/sda1        1000000  500000\n'), '--node', 'w1'], /df\.txt:1: not recognised: expected the output of ip addr/);
  });

  it('a transcript without prompts (notes, no `host$ cmd` lines)', async () => {
    await fails([file('notes.txt', 'we looked at the nodes\nthe pods could not reach the service\n')], /notes\.txt:1: not recognised: .*transcript with prompts/);
  });

  it('a dump whose prompt names no host, without --node', async () => {
    await fails([file('dollar.txt', `$ ip a\n${ADDR}`)], /dollar\.txt:1: .*prompt that names no host.*--node/);
  });

  it('a loose dump without --node', async () => {
    await fails([file('addr.txt', ADDR)], /addr\.txt:1: addr dump with no node name: pass --node/);
  });

  it('a directory with no node dumps (only captures)', async () => {
    const bundle = join(dir, 'nonodes');
    mkdirSync(join(bundle, 'captures'), { recursive: true });
    copyFileSync(join(repoRoot, 'samples', 'seed-flannel', 'captures', 'pod1__eth0.pcap'), join(bundle, 'captures', 'a.pcap'));
    await fails([bundle], /nonodes: no node dumps found: expected <dir>\/<node>\/<dump files>/);
  });

  it('an empty directory', async () => {
    const empty = join(dir, 'emptydir');
    mkdirSync(empty);
    await fails([empty], /emptydir: no node dumps found/);
  });

  it('pod dumps only: the pod is read, with one warning that no node was', async () => {
    const podOnly = file('pod.txt', '(pod1) # ip a\n1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n3: eth0@if11: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450\n    inet 192.168.1.7/24 brd 192.168.1.255 scope global eth0\n(pod1) # ip r\ndefault via 192.168.1.1 dev eth0\n');
    const t = await reads([podOnly]);
    expect(t.nodes).toEqual([]);
    expect(t.pods.map((p) => [p.name, p.ip])).toEqual([['pod1', '192.168.1.7']]);
    expect(t.pods[0]?.netns?.routes.map((r) => [r.dst, r.via])).toEqual([['default', '192.168.1.1']]);
    // First, before the guess that `(pod1) #` is a pod's prompt.
    expect(t.warnings[0]?.message).toMatch(/^only pod dumps \(pod1\): no node was read/);
    expect(t.warnings.filter((w) => /only pod dumps|which node it runs on/.test(w.message))).toHaveLength(1);
    const text = await runPodpath(['topology', podOnly]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/Nodes \(0\):\n  none read: the dumps are pods' only/);
    // Not "none": unknown, with no node read.
    expect(text.stdout).toMatch(/Routes to the other nodes' pods:\n  unknown \(no node dumps\)/);
    expect(text.stdout).toMatch(/Overlay \(0 VTEPs\):\n  unknown \(no node dumps\)/);
    const picture = await runPodpath(['trace', podOnly, '--from', 'pod1', '--to', '10.96.0.1:443', '--format', 'mermaid']);
    expect(picture.stdout).toContain('subgraph g1["node unknown (not in the dumps)"]');
    const trace = await runPodpath(['trace', podOnly, '--from', 'pod1', '--to', '10.96.0.1:443']);
    expect(trace.stderr).not.toMatch(/\n\s+at |internal error/);
    // Out of its eth0 into a node no dump shows: not "outside the cluster" (10.96.0.1 may be a service).
    expect(trace.status).toBe(1);
    expect(trace.stdout).toMatch(/INSUFFICIENT-INFO/);
    expect(trace.stdout).toMatch(/out of eth0 to 192\.168\.1\.1, into the node pod1 runs\s+on, whose dumps were not given/);
    expect(trace.stdout).not.toMatch(/EXITS-CLUSTER/);
  });

  it('a path that does not exist', async () => {
    const r = await runPodpath(['topology', join(dir, 'missing')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/missing: no such file or directory/);
  });

  it('a dump truncated mid-line: read, with a warning at its last line', async () => {
    const t = await reads([file('trunc.txt', ADDR.slice(0, ADDR.length - 20)), '--node', 'w1']);
    expect(t.nodes[0]?.addresses).toEqual(['10.74.107.63']);
    expect(t.warnings).toContainEqual(expect.objectContaining({ line: 3, message: expect.stringMatching(/ends mid-line \(truncated\?\)/) }));
  });

  it('JSON truncated mid-array: nothing usable, and says so', async () => {
    await fails([file('trunc.json', '[{"ifindex":1,"ifname":"lo","addr_info":[]},{"ifindex":2,"ifn'), '--node', 'w1'], /trunc\.json:1: ip -j addr\/link: not valid JSON .*truncated\?/);
  });

  it('two dumps of the same command that disagree: warning, first kept, exit 0', async () => {
    const a = file('route-a.txt', 'default via 10.0.0.1 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n');
    const b = file('route-b.txt', 'default via 10.0.0.254 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n');
    const t = await reads([a, b, '--node', 'w1']);
    expect(t.nodes[0]?.netns.routes.find((r) => r.dst === 'default')?.via).toBe('10.0.0.1');
    expect(t.warnings).toContainEqual(expect.objectContaining({ file: expect.stringMatching(/route-b\.txt$/), line: 1, message: expect.stringMatching(/route dump for w1 disagrees with .*route-a\.txt:1/) }));
  });

  it('unknown lines inside a dump: warned with file and line, the rest still counts', async () => {
    const t = await reads([file('route-odd.txt', 'default via 10.0.0.1 dev eth0\nsomething odd here\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n'), '--node', 'w1']);
    expect(t.nodes[0]?.netns.routes.map((r) => r.dst)).toEqual(['default', '10.0.0.0/24']);
    expect(t.warnings).toContainEqual(expect.objectContaining({ line: 2, text: 'something odd here', message: 'not understood as a route, skipped' }));
  });

  it('escape sequences from a dump are shown, not sent to the terminal', async () => {
    const evil = file('evil.txt', `${ADDR}\u001b]0;pwned\u0007 junk\n`);
    const r = await runPodpath(['topology', evil, '--node', 'w\u001b[31m1']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/\u001b/);
    expect(r.stdout).toMatch(/\\e\]0;pwned/);
  });
});
