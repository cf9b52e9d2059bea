// Two dumps of one host that cannot be one machine at one moment: samples/seed-flannel and
// samples/seed-calico both have a worker-1, with eth0 at 10.74.107.63 and at 10.74.107.72
// (their ip-addr.txt line 9) and Flannel's devices in one, Calico's in the other. Every
// command that reads dumps says so in one line naming both files and exits 2; --merge reads
// them as one host, as before, with the disagreement among the warnings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const FLANNEL = 'samples/seed-flannel';
const CALICO = 'samples/seed-calico';
const CONFLICT = /^podpath: worker-1: samples\/seed-flannel\/worker-1\/ip-addr\.txt:1 and samples\/seed-calico\/worker-1\/ip-addr\.txt:1 are two machines or two moments \(addresses 10\.74\.107\.63 vs 10\.74\.107\.72; CNI flannel vs calico\).*--merge/;

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |internal error/);
  return lines[0]!;
}

describe('inputs that do not fit together', () => {
  it('the addresses in the test are the dumps\' own', () => {
    expect(readFileSync(join(repoRoot, FLANNEL, 'worker-1/ip-addr.txt'), 'utf8').split('\n')[8]).toContain('inet 10.74.107.63/24');
    expect(readFileSync(join(repoRoot, CALICO, 'worker-1/ip-addr.txt'), 'utf8').split('\n')[8]).toContain('inet 10.74.107.72/24');
  });

  const commands: [string, string[]][] = [
    ['topology', ['topology', FLANNEL, CALICO]],
    ['topology --json', ['topology', FLANNEL, CALICO, '--json']],
    ['trace', ['trace', FLANNEL, CALICO, '--from', 'pod1', '--to', 'default/web']],
    ['explain', ['explain', `${CALICO}/captures/pod1__eth0.pcap`, FLANNEL, CALICO]],
    ['report', ['report', FLANNEL, CALICO, '--from', 'pod1', '--to', 'default/web', '-o', '/dev/null']],
    ['ui (not a terminal)', ['ui', FLANNEL, CALICO, '--from', 'pod1', '--to', 'default/web']],
  ];
  for (const [name, args] of commands) {
    it(`${name}: one line naming both files, exit 2, nothing on stdout`, async () => {
      const run = await runPodpath(args);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(oneLine(run.stderr)).toMatch(CONFLICT);
    });
  }

  it('--merge reads them as one host: exit 0, the disagreement among the warnings', async () => {
    const run = await runPodpath(['topology', FLANNEL, CALICO, '--merge', '--json']);
    expect(run.status).toBe(0);
    const topology = JSON.parse(run.stdout) as { warnings: { file: string; message: string }[] };
    expect(topology.warnings).toContainEqual(expect.objectContaining({ file: `${CALICO}/worker-1/ip-addr.txt`, message: expect.stringMatching(/^addr dump for worker-1 disagrees with samples\/seed-flannel\/worker-1\/ip-addr\.txt:1/) }));
  });

  it('--merge on trace too', async () => {
    const run = await runPodpath(['trace', FLANNEL, CALICO, '--merge', '--from', 'pod1', '--to', 'default/web']);
    expect(run.stderr).not.toMatch(/two machines/);
    expect([0, 1]).toContain(run.status);
  });

  it('one transcript holding two clusters\' worker-1 (the user\'s seed document) is caught as well', async () => {
    const seed = 'test/corpus/seed/000-networking-section.txt';
    const run = await runPodpath(['topology', seed]);
    expect(run.status).toBe(2);
    // Line 33 is Flannel's `(pod1) # ip a` (inet 192.168.1.7), line 55 Calico's `(pod1)/ # ip a` (inet 192.168.226.74).
    expect(oneLine(run.stderr)).toMatch(/^podpath: pod1: test\/corpus\/seed\/000-networking-section\.txt:33 and test\/corpus\/seed\/000-networking-section\.txt:55 are two machines or two moments \(addresses 192\.168\.1\.7 vs 192\.168\.226\.74\) \(and worker-1 likewise\)/);
  });
});

describe('dumps of one machine that overlap are not a conflict', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-conflict-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a bundle\'s ip addr beside its ip -j addr (seed-flannel alone): exit 0', async () => {
    const run = await runPodpath(['topology', FLANNEL]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('`ip -4 a` of the node given beside the bundle, with only the IPv4 lines: exit 0', async () => {
    // The same machine dumped again later with -4: eth0's address is shared.
    const full = readFileSync(join(repoRoot, FLANNEL, 'worker-1/ip-addr.txt'), 'utf8');
    const v4 = full.split('\n').filter((l) => !/inet6|valid_lft/.test(l)).join('\n');
    mkdirSync(join(dir, 'later', 'worker-1'), { recursive: true });
    writeFileSync(join(dir, 'later', 'worker-1', 'ip-4-addr.txt'), v4);
    const run = await runPodpath(['topology', FLANNEL, join(dir, 'later')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('two moments of one node: the same eth0 but a new address only (renumbered): exit 2 unless --merge', async () => {
    const full = readFileSync(join(repoRoot, FLANNEL, 'worker-1/ip-addr.txt'), 'utf8');
    mkdirSync(join(dir, 'renumbered', 'worker-1'), { recursive: true });
    writeFileSync(join(dir, 'renumbered', 'worker-1', 'ip-addr.txt'), full.replace(/10\.74\.107\.63/g, '10.74.107.99'));
    const run = await runPodpath(['topology', FLANNEL, join(dir, 'renumbered')]);
    expect(run.status).toBe(2);
    expect(oneLine(run.stderr)).toMatch(/^podpath: worker-1: .*seed-flannel\/worker-1\/ip-addr\.txt:1 and .*renumbered\/worker-1\/ip-addr\.txt:1 are two machines or two moments \(addresses 10\.74\.107\.63 vs 10\.74\.107\.99\)/);
    const merged = await runPodpath(['topology', FLANNEL, join(dir, 'renumbered'), '--merge']);
    expect(merged.status).toBe(0);
  });
});
