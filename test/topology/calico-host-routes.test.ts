// Calico reaches each pod by a host route on the pod's cali* device: `/32` for IPv4, `/128` for
// IPv6 (`ip -6 route` prints it without a prefix). A node's routes alone name its pods, unnamed;
// a dual-stack pod has both routes on one device and is one pod, not two.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPodpath } from '../helpers/run.ts';

const TRANSCRIPT = `root@node1:~# ip route
default via 10.0.0.1 dev eth0 proto static
10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5
192.168.10.4 dev calia0000000001 scope link
192.168.10.6 dev calic0000000003 scope link
blackhole 192.168.10.0/26 proto bird
root@node1:~# ip -6 route
fd00:10::4 dev calia0000000001 metric 1024 pref medium
fd00:10::5 dev calib0000000002 metric 1024 pref medium
blackhole fd00:10::/122 dev lo proto bird metric 1024 pref medium
fd00:20::/122 via fd00::2 dev eth0 proto bird metric 1024 pref medium
`;

describe('podpath topology: pods from Calico host routes, IPv4 and IPv6', () => {
  it('one unnamed pod per cali device: its IPv4 address when it has one, else its IPv6', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-cali-'));
    const file = join(dir, 'node1.txt');
    writeFileSync(file, TRANSCRIPT);
    const run = await runPodpath(['topology', '--json', file]);
    expect(run.stderr).toBe('');
    const t = JSON.parse(run.stdout) as { pods: { ip: string; node: string; hostInterface?: string; unnamed?: boolean }[] };
    const pods = t.pods.map((p) => `${p.ip} ${p.node} ${p.hostInterface} ${p.unnamed}`).sort();
    expect(pods).toEqual([
      '192.168.10.4 node1 calia0000000001 true',
      '192.168.10.6 node1 calic0000000003 true',
      'fd00:10::5 node1 calib0000000002 true',
    ]);
  });
});
