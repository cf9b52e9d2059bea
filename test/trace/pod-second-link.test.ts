// A pod on a node in the dumps with a second link of its own (a macvlan or SR-IOV `net1`, as Multus
// adds): a route out of net1 leaves the cluster there, as the pod's own routes say; only a pod whose
// node no dump shows is "into its node, whose dumps were not given". The transcript was recorded from
// real namespaces (ip addr / ip -d link / ip route of the node, the pod's ip addr / ip route).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const file = join(repoRoot, 'test', 'trace', 'pod-second-link', 'n1-web-1-net1.txt');

describe("a pod's second link", () => {
  it('out of net1 by its route 8.8.8.0/24 via 192.168.100.1: leaves the cluster there', async () => {
    const r = await runPodpath(['trace', file, '--from', 'web-1', '--to', '8.8.8.8:443', '--json']);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    const t = JSON.parse(r.stdout) as { paths: { disposition: string; hops: { at: string; steps: { type: string; interface?: string; nextHop?: string }[] }[] }[] };
    expect(t.paths.map((p) => p.disposition)).toEqual(['exits-cluster']);
    const exit = t.paths[0]!.hops.flatMap((h) => h.steps).find((s) => s.type === 'exit-cluster');
    expect(exit).toMatchObject({ interface: 'net1', nextHop: '192.168.100.1' });
  });

  it('out of eth0 into its node n1, which the dumps show: the trace goes on there', async () => {
    const r = await runPodpath(['trace', file, '--from', 'web-1', '--to', '10.244.2.9:80', '--json']);
    const t = JSON.parse(r.stdout) as { paths: { hops: { at: string }[] }[] };
    expect(t.paths[0]!.hops.map((h) => h.at)).toContain('n1');
  });
});
