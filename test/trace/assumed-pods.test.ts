// Pods known only from `kubectl get pods -o wide` (no dumps of their own) are traced as the
// detected CNI sets pods up, and the trace says it assumed it (issue 12 item 3):
//   flannel: eth0 in cni0's subnet, default via cni0's address (the subnet's first address,
//            flanneld's FLANNEL_SUBNET=10.244.1.1/24);
//   calico:  eth0/32, default via 169.254.1.1, answered by proxy ARP on the host's cali*.
//   aws-vpc-cni: the same routes; 169.254.1.1 is a permanent neighbour entry with the host eni*'s MAC (docs/cni-proposal.md).
// Node dumps: samples/seed-flannel (recorded from a kernel) and test/wild (real threads); the
// kubectl rows are made up, as kubectl prints them.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPodpath } from '../helpers/run.ts';
import type { TraceResult } from '../../src/trace/model.ts';

const work = mkdtempSync(join(tmpdir(), 'podpath-assumed-pods-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const pods = (rows: string) => `NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   IP             NODE       NOMINATED NODE   READINESS GATES\n${rows}`;

async function trace(args: string[]): Promise<TraceResult> {
  const run = await runPodpath(['trace', ...args, '--json']);
  expect(run.stdout, run.stderr).not.toBe('');
  return JSON.parse(run.stdout) as TraceResult;
}
const firstSteps = (r: TraceResult) => r.paths[0]!.hops[0]!.steps;

describe('a pod without dumps on Flannel', () => {
  it('takes cni0\'s address as its gateway and is delivered (seed-flannel\'s nodes, no pods/ folders)', async () => {
    const bundle = join(work, 'seed');
    for (const node of ['worker-1', 'worker-2']) {
      mkdirSync(join(bundle, node), { recursive: true });
      for (const f of ['ip-addr.txt', 'ip-d-link.txt', 'ip-route.txt', 'ip-neigh.txt', 'bridge-fdb.txt', 'brctl-show.txt', 'iptables-save.txt']) {
        cpSync(join('samples/seed-flannel', node, f), join(bundle, node, f));
      }
    }
    writeFileSync(join(bundle, 'kubectl-pods.txt'), pods(`default     web-x   1/1     Running   0          1d    192.168.1.9    worker-1   <none>           <none>
default     web-y   1/1     Running   0          1d    192.168.2.12   worker-2   <none>           <none>
`));
    const r = await trace([bundle, '--from', 'web-x', '--to', '192.168.2.12:80']);
    expect(r.paths[0]!.disposition).toBe('delivered');
    const route = firstSteps(r).find((s) => s.type === 'route');
    expect(route).toMatchObject({ nextHop: '192.168.1.1', outInterface: 'eth0' }); // worker-1's cni0 is 192.168.1.1/24
    expect(firstSteps(r).map((s) => s.explanation).join('\n')).toMatch(/assumed its eth0 holds 192\.168\.1\.9 with default via 192\.168\.1\.1 dev eth0, the bridge cni0's address/);
  });

  it('without the node\'s ip addr: cni0\'s address from its connected route (flannel #1029\'s node3)', async () => {
    const file = join(work, 'node3.txt');
    cpSync('test/wild/flannel-1029-node3-route-brctl.txt', file);
    writeFileSync(join(work, 'node3-pods.txt'), pods('default     web-z   1/1     Running   0          1d    172.20.4.7     node3      <none>           <none>\n'));
    const r = await trace([file, join(work, 'node3-pods.txt'), '--from', 'web-z', '--to', '172.20.0.5:80']);
    const route = firstSteps(r).find((s) => s.type === 'route');
    expect(route).toMatchObject({ nextHop: '172.20.4.1' }); // "172.20.4.0/24 dev cni0 proto kernel scope link src 172.20.4.1"
    expect(firstSteps(r).map((s) => s.explanation).join('\n')).toMatch(/default via 172\.20\.4\.1 dev eth0, cni0's address \(the src of node3's route 172\.20\.4\.0\/24 dev cni0\)/);
  });

  it('with neither: the first address of the node\'s pod CIDR, said to be assumed', async () => {
    // node3's dump with its cni0 route reduced to what a route -n paste gives (no src), podCIDR from brctl + the flannel route
    const file = join(work, 'node3-nosrc.txt');
    writeFileSync(file, `[root@node3 dev]# ip route
default via 192.168.56.1 dev eno2 proto static metric 100
172.20.0.0/24 via 172.20.0.0 dev flannel.1 onlink
172.20.4.0/24 dev cni0 scope link
192.168.56.0/24 dev eno2 proto kernel scope link src 192.168.56.74 metric 100
`);
    writeFileSync(join(work, 'node3-nosrc-pods.txt'), pods('default     web-z   1/1     Running   0          1d    172.20.4.7     node3      <none>           <none>\n'));
    const r = await trace([file, join(work, 'node3-nosrc-pods.txt'), '--from', 'web-z', '--to', '172.20.0.5:80']);
    expect(firstSteps(r).find((s) => s.type === 'route')).toMatchObject({ nextHop: '172.20.4.1' });
    expect(firstSteps(r).map((s) => s.explanation).join('\n')).toMatch(/the first address of node3's pod CIDR 172\.20\.4\.0\/24, which flannel gives cni0/);
  });
});

describe('a pod without dumps on Calico', () => {
  it('default via 169.254.1.1, as Calico sets pods up (calicoctl #772\'s Machine1)', async () => {
    const file = join(work, 'machine1.txt');
    cpSync('test/wild/calicoctl-772-machine1-docker-gwbridge.txt', file);
    writeFileSync(join(work, 'm1-pods.txt'), pods('default     web-c   1/1     Running   0          1d    192.168.0.13   Machine1   <none>           <none>\n'));
    const r = await trace([file, join(work, 'm1-pods.txt'), '--node', 'Machine1', '--from', 'web-c', '--to', '192.168.0.12:80']);
    const explanations = firstSteps(r).map((s) => s.explanation).join('\n');
    expect(explanations).toMatch(/default via 169\.254\.1\.1 dev eth0, as Calico sets pods up/);
    expect(explanations).not.toMatch(/do not say which CNI/);
  });
});

describe('a pod without dumps on AWS VPC CNI', () => {
  it('default via 169.254.1.1 dev eth0, as VPC CNI sets pods up (its docs/cni-proposal.md; amazon-vpc-cni-k8s #1712\'s node)', async () => {
    const r = await trace(['test/wild/aws-vpc-cni-1712-rule-elided-route-table-2.txt', '--node', 'node', '--from', '10.204.128.165', '--to', '10.204.129.227:80']);
    const explanations = firstSteps(r).map((s) => s.explanation).join('\n');
    expect(explanations).toMatch(/default via 169\.254\.1\.1 dev eth0, as AWS VPC CNI sets pods up/);
    expect(explanations).not.toMatch(/do not say which CNI/);
  });
});
