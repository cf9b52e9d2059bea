// Namespace switches inside a transcript (issue 12, item 2): after `nsenter -t
// PID -n`, `ip netns exec X bash`, `kubectl exec -it POD -- sh`, `docker exec`,
// `crictl exec`, the prompt often keeps the host's name while the dumps are the
// pod's. The transcripts here are assembled from the lab's kernel recordings
// (samples/seed-flannel: worker-1 and its pods pod1, web-a), so the expected
// addresses and routes are the recordings' own lines, cut with awk.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readShellEntry } from '../../src/topology/inputs/shell.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const node = join(repoRoot, 'samples', 'seed-flannel', 'worker-1');
const dump = (path: string) => readFileSync(join(node, path), 'utf8');
/** The IPv4 address of a recording's eth0, by awk. */
const eth0Address = (path: string) => execFileSync('awk', ['/^[0-9]+: eth0/{e=1} e && $1=="inet"{split($2,a,"/"); print a[1]; exit}', join(node, path)], { encoding: 'utf8' }).trim();
const routeCount = (path: string) => Number(execFileSync('sh', ['-c', `grep -c . '${join(node, path)}'`], { encoding: 'utf8' }).trim());

const work = mkdtempSync(join(tmpdir(), 'podpath-q12-switch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface TopologyJson {
  nodes: { name: string; netns: { routes: unknown[]; dumps: string[] } }[];
  pods: { name: string; ip: string; node: string; netns?: { routes: unknown[] } }[];
  warnings: { line: number; message: string }[];
}

async function read(name: string, lines: string[]): Promise<TopologyJson> {
  const path = join(work, name);
  writeFileSync(path, lines.join(''));
  const result = await runPodpath(['topology', path, '--json']);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as TopologyJson;
}

const nodePart = ['root@worker-1:~# ip addr\n', dump('ip-addr.txt'), 'root@worker-1:~# ip route\n', dump('ip-route.txt')];
const pod1 = { ip: eth0Address('pods/pod1/ip-addr.txt'), routes: routeCount('pods/pod1/ip-route.txt') };
const webA = { ip: eth0Address('pods/web-a/ip-addr.txt'), routes: routeCount('pods/web-a/ip-route.txt') };

describe('a shell in another namespace, with the host’s prompt kept, until exit', () => {
  it.each([
    ['nsenter -t 4242 -n', 'nsenter-t-4242'],
    ['nsenter --target 4242 --net', 'nsenter-t-4242'],
    ['nsenter --net=/var/run/netns/cni-5f2e bash', 'cni-5f2e'],
    ['ip netns exec cni-5f2e bash', 'cni-5f2e'],
    ['kubectl exec -it client-7d4b9c -n default -c app -- sh', 'client-7d4b9c'],
    ['crictl exec -it 3f2a1b0c sh', '3f2a1b0c'],
  ])('`%s`: the pod’s dumps are %s’s, the node keeps its own routes', async (command, name) => {
    const t = await read(`${name}.txt`, [
      ...nodePart,
      `root@worker-1:~# ${command}\n`,
      'root@worker-1:~# ip addr\n', dump('pods/pod1/ip-addr.txt'),
      'root@worker-1:~# ip route\n', dump('pods/pod1/ip-route.txt'),
      'root@worker-1:~# exit\n',
      'root@worker-1:~# ip neigh\n', dump('ip-neigh.txt'),
    ]);
    expect(t.nodes.map((n) => n.name)).toEqual(['worker-1']);
    expect(t.nodes[0]!.netns.routes).toHaveLength(routeCount('ip-route.txt'));
    // After exit the prompt's host owns the dumps again.
    expect(t.nodes[0]!.netns.dumps).toContain('neigh');
    expect(t.pods).toEqual([expect.objectContaining({ name, ip: pod1.ip, node: 'worker-1' })]);
    expect(t.pods[0]!.netns!.routes).toHaveLength(pod1.routes);
  });

  it('an nsenter whose target is a shell expression gives an unnamed namespace, with one warning', async () => {
    const t = await read('unnamed.txt', [...nodePart, 'root@worker-1:~# nsenter -t $(pidof nginx) -n\n', 'root@worker-1:~# ip a\n', dump('pods/pod1/ip-addr.txt'), 'root@worker-1:~# exit\n']);
    expect(t.pods).toEqual([expect.objectContaining({ name: expect.stringMatching(/^nsenter-line-\d+$/), ip: pod1.ip })]);
    expect(t.warnings.filter((w) => /enters a namespace it does not name/.test(w.message))).toHaveLength(1);
  });

  it('a pod shell with its own prompt (`/ #`) ends where the host’s prompt comes back, exit or not', async () => {
    const t = await read('own-prompt.txt', [
      'root@worker-1:~# kubectl exec -it web-a -- sh\n',
      '/ # ip addr\n', dump('pods/web-a/ip-addr.txt'),
      '/ # ip route\n', dump('pods/web-a/ip-route.txt'),
      ...nodePart,
    ]);
    expect(t.pods).toEqual([expect.objectContaining({ name: 'web-a', ip: webA.ip })]);
    expect(t.nodes[0]!.netns.routes).toHaveLength(routeCount('ip-route.txt'));
  });

  it('single commands attribute only their own output', async () => {
    const t = await read('single.txt', [
      'root@worker-1:~# nsenter -t 4242 -n ip addr\n', dump('pods/pod1/ip-addr.txt'),
      'root@worker-1:~# kubectl exec web-a -- ip route\n', dump('pods/web-a/ip-route.txt'),
      'root@worker-1:~# ip netns exec cni-77 ip addr\n', dump('pods/web-a/ip-addr.txt'),
      ...nodePart,
    ]);
    expect(t.nodes.map((n) => n.name)).toEqual(['worker-1']);
    expect(t.nodes[0]!.netns.routes).toHaveLength(routeCount('ip-route.txt'));
    expect(t.pods.map((p) => p.name).sort()).toEqual(['cni-77', 'nsenter-t-4242', 'web-a']);
  });
});

describe('which commands switch', () => {
  it.each([
    ['nsenter -t 1 -n', 'nsenter-t-1'],
    ['sudo nsenter -n -t 77 /bin/bash', 'nsenter-t-77'],
    ['nsenter --net=/proc/88/ns/net', 'nsenter-t-88'],
    ['kubectl exec -ti pod/web-0 -- /bin/bash', 'web-0'],
    ['kubectl exec -it web-0 sh', 'web-0'],
    ['docker exec -it -u root kind-worker bash', 'kind-worker'],
  ])('%s → %s', (command, name) => {
    expect(readShellEntry(command.split(' '))?.name).toBe(name);
  });

  it.each(['nsenter -t 1 -m', 'nsenter -t 1 -n ip a', 'kubectl exec web-0 -- ip r', 'docker exec c1 sh -c "ip a"', 'ip netns exec x ip r', 'kubectl exec web-0'])('%s is not a shell', (command) => {
    expect(readShellEntry(command.split(' '))).toBeUndefined();
  });
});
