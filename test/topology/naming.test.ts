// Optional naming sources: `kubectl get pods -A -o wide` and `kubectl get svc -A`
// tables next to the dumps. Table text as kubectl prints it (column layout of
// kubectl's printers: NAMESPACE first with -A, NODE etc. with -o wide).
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { parseKubectlPods, parseKubectlServices } from '../../src/topology/parse/kubectl.ts';
import { repoRoot } from '../helpers/run.ts';

const PODS = `NAMESPACE     NAME                      READY   STATUS    RESTARTS   AGE   IP              NODE       NOMINATED NODE   READINESS GATES
default       client-7d4b9c             1/1     Running   0          3d    192.168.1.7     worker-1   <none>           <none>
default       backend-5f6d8             1/1     Running   0          3d    192.168.2.12    worker-2   <none>           <none>
kube-system   kube-flannel-ds-abcde     1/1     Running   0          9d    10.74.107.63    worker-1   <none>           <none>
default       pending-x                 0/1     Pending   0          1m    <none>          <none>     <none>           <none>
`;
const SVC = `NAMESPACE     NAME         TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)                  AGE
default       web          NodePort    10.96.0.10    <none>        80:30080/TCP             3d
kube-system   kube-dns     ClusterIP   10.96.0.53    <none>        53/UDP,53/TCP,9153/TCP   9d
`;

const work = mkdtempSync(join(tmpdir(), 'podpath-naming-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('kubectl tables', () => {
  it('pods: namespace, name, IP and node by column name; <none> is no value', () => {
    const r = parseKubectlPods(PODS, { file: 'pods.txt' });
    expect(r.warnings).toEqual([]);
    expect(r.records.map((p) => [p.namespace, p.name, p.ip, p.node])).toEqual([
      ['default', 'client-7d4b9c', '192.168.1.7', 'worker-1'],
      ['default', 'backend-5f6d8', '192.168.2.12', 'worker-2'],
      ['kube-system', 'kube-flannel-ds-abcde', '10.74.107.63', 'worker-1'],
      ['default', 'pending-x', undefined, undefined],
    ]);
  });

  it('services: ports, node ports and protocols from PORT(S)', () => {
    const r = parseKubectlServices(SVC, { file: 'svc.txt' });
    expect(r.records.map((s) => [s.namespace, s.name, s.type, s.clusterIP, s.ports])).toEqual([
      ['default', 'web', 'NodePort', '10.96.0.10', [{ port: 80, nodePort: 30080, protocol: 'tcp' }]],
      ['kube-system', 'kube-dns', 'ClusterIP', '10.96.0.53', [{ port: 53, protocol: 'udp' }, { port: 53, protocol: 'tcp' }, { port: 9153, protocol: 'tcp' }]],
    ]);
  });

  it('a table without its header is refused with one warning naming its first line and the reason', () => {
    const r = parseKubectlPods('default pod1 1/1 Running 0 3d 10.0.0.1 w1\ndefault pod2 1/1 Running 0 3d 10.0.0.2 w1\n', { file: 'p.txt' });
    expect(r.records).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ file: 'p.txt', line: 1, message: expect.stringMatching(/expected a kubectl table header/) });
  });

  it('next to a bundle, kubectl names pods by IP and adds the ones without dumps', async () => {
    const bundle = join(work, 'bundle');
    cpSync(join(repoRoot, 'samples', 'seed-flannel'), bundle, { recursive: true, filter: (p) => !p.includes('captures') });
    writeFileSync(join(bundle, 'kubectl-pods.txt'), PODS);
    const t = await loadTopology([bundle]);
    // The bundle's pod1 folder holds 192.168.1.7: kubectl calls that IP client-7d4b9c.
    expect(t.pods.find((p) => p.ip === '192.168.1.7')).toMatchObject({ name: 'client-7d4b9c', namespace: 'default', node: 'worker-1', hostInterface: 'veth6b3caf45' });
    expect(t.pods.find((p) => p.ip === '192.168.2.12')).toMatchObject({ name: 'backend-5f6d8', node: 'worker-2', hostInterface: 'veth3a9c2e71' });
    expect(t.pods.find((p) => p.name === 'pending-x')).toBeUndefined();
    // hostNetwork: kube-flannel-ds has worker-1's own address, which stays the node's.
    expect(t.pods.find((p) => p.name === 'kube-flannel-ds-abcde')).toBeUndefined();
  });
});
