// Names as people type them (issue 12 item 6): node names are DNS names (RFC 1123: case does not
// matter) and a prompt shows the host's first label only (bash's \h), so a prompt's host, a
// bundle folder, kubectl's NODE column and --from name one machine however each spells it.
// The node dump is a real one (flannel #1119, test/wild/SOURCES.md); the kubectl rows and the
// other spellings around it are made up in the shapes kubectl and bash print.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { sameHost, findHost } from '../../src/topology/names.ts';
import { runPodpath } from '../helpers/run.ts';

const work = mkdtempSync(join(tmpdir(), 'podpath-host-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};
const fdb1119 = readFileSync('test/wild/flannel-1119-k8s-master01-fdb.txt', 'utf8');
const kubectl = (node: string) => `$ kubectl get pods -o wide
NAME    READY   STATUS    RESTARTS   AGE   IP            NODE           NOMINATED NODE   READINESS GATES
web-1   1/1     Running   0          1d    10.244.0.5    ${node}   <none>           <none>
`;

describe('sameHost', () => {
  it('is case-insensitive and matches a short name to an FQDN\'s first label', () => {
    expect(sameHost('HostGW-Node', 'hostgw-node')).toBe(true);
    expect(sameHost('ip-10-0-1-5', 'ip-10-0-1-5.ec2.internal')).toBe(true);
    expect(sameHost('IP-10-0-1-5.EC2.internal', 'ip-10-0-1-5.ec2.internal')).toBe(true);
  });

  it('never matches different FQDNs, different names or IP addresses by their first part', () => {
    expect(sameHost('node1.a.example', 'node1.b.example')).toBe(false);
    expect(sameHost('node1', 'node10')).toBe(false);
    expect(sameHost('192.168.57.3', '192.168.57.4')).toBe(false);
    expect(sameHost('192', '192.168.57.3')).toBe(false);
  });

  it('findHost refuses an ambiguous short name', () => {
    expect(findHost(['node1.a.example', 'node1.b.example'], 'node1')).toBeUndefined();
    expect(findHost(['k8s-master01'], 'K8S-Master01')).toBe('k8s-master01');
  });
});

describe('one machine, several spellings', () => {
  it('the prompt [root@k8s-master01 ~] is kubectl\'s node K8S-MASTER01: the pod is placed on it', async () => {
    const t = await loadTopology([write('1119-kubectl.txt', `${fdb1119}${kubectl('K8S-MASTER01')}`)]);
    expect(t.nodes.map((n) => n.name)).toEqual(['k8s-master01']);
    expect(t.pods.find((p) => p.name === 'web-1')).toMatchObject({ node: 'k8s-master01', ip: '10.244.0.5' });
  });

  it('a short prompt host is kubectl\'s FQDN node', async () => {
    const t = await loadTopology([write('fqdn.txt', `root@ip-10-37-15-9:~# ip r
default via 10.37.0.1 dev eth0 proto dhcp src 10.37.15.9 metric 100
10.37.0.0/16 dev eth0 proto kernel scope link src 10.37.15.9
10.244.0.0/24 dev cni0 proto kernel scope link src 10.244.0.1
${kubectl('ip-10-37-15-9.ec2.internal')}`)]);
    expect(t.nodes.map((n) => n.name)).toEqual(['ip-10-37-15-9']);
    expect(t.pods.find((p) => p.name === 'web-1')?.node).toBe('ip-10-37-15-9');
  });

  it('two prompts in different case are one node, its dumps merged', async () => {
    const t = await loadTopology([write('case.txt', `root@HostGW-Node:~# ip r
default via 10.0.0.1 dev eth0 proto static
10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.11
root@hostgw-node:~# bridge fdb show dev flannel.1
a2:05:9f:ac:40:da dst 10.0.0.12 self permanent
`)]);
    expect(t.nodes.map((n) => n.name)).toEqual(['HostGW-Node']);
    expect(t.nodes[0]!.netns.dumps).toEqual(expect.arrayContaining(['route', 'fdb']));
  });

  it('--from names the node in any case', async () => {
    const file = write('from.txt', fdb1119.replace('[root@k8s-master01 ~]# bridge fdb show dev flannel.1', `[root@k8s-master01 ~]# ip r
default via 192.168.56.1 dev eth0 proto static
192.168.56.0/24 dev eth0 proto kernel scope link src 192.168.56.101
[root@k8s-master01 ~]# bridge fdb show dev flannel.1`));
    const run = await runPodpath(['trace', file, '--from', 'K8S-Master01', '--to', '192.168.56.103:22', '--json']);
    expect(run.stderr).not.toMatch(/no pod or node of that name/);
    expect(JSON.parse(run.stdout).query.from).toBe('k8s-master01 (host network)');
  });
});
