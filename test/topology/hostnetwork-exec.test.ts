// `kubectl exec` into a hostNetwork pod (kube-proxy, calico-node, a CNI agent) shows its node's own
// namespace: cni0, flannel.1, a veth in cni0, the node's routes. Read as a pod it gave a model with
// no node and the node's address as a pod IP; it is read as a node, with the guess said. The
// transcript was recorded from a real namespace built like a flannel node.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const file = join(repoRoot, 'test', 'topology', 'hostnetwork-exec', 'kube-proxy-exec.txt');

describe('kubectl exec into a hostNetwork pod', () => {
  it("is its node's namespace: a node with the node's address and pod CIDRs (cni0's and the antrea-gw0 the namespace also has), flannel vxlan, and one guess warning", async () => {
    const r = await runPodpath(['topology', file, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as { nodes: { name: string; addresses: string[]; podCIDRs: string[] }[]; pods: unknown[]; cni: { plugin: string; mode: string }; warnings: { message: string }[] };
    expect(t.nodes.map((n) => [n.name, n.addresses[0], n.podCIDRs])).toEqual([['kube-proxy-abc', '10.250.130.7', ['10.244.1.0/24', '10.10.1.0/24']]]);
    expect(t.pods).toEqual([]);
    expect(t.cni).toMatchObject({ plugin: 'flannel', mode: 'vxlan' });
    expect(t.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/kube-proxy-abc is a node \(.*a hostNetwork pod: its dumps are its node's\)/)]);
  });
});
