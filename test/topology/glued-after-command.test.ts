// A command's output under a prompt, then a blank line and another kind of output with no command
// line of its own (src/topology/inputs/glued.ts splitGluedOutput, inputs/read.ts): a thread's
// next code block joined on, as flannel-io/flannel#1437 pasted `$ kubectl get pods -A -o wide`
// and then, in a <details>, the worker's `ip addr`. The glued-on block was read as kubectl rows,
// every line a warning, and nothing of the file was usable. Expected values are the dumps' text.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { splitGluedOutput } from '../../src/topology/inputs/glued.ts';
import { loadTopology } from '../../src/topology/load.ts';

const work = mkdtempSync(join(tmpdir(), 'podpath-glued-after-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dump = (name: string, text: string): string => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};
const seed = (name: string): string => readFileSync(join('samples', 'seed-flannel', 'worker-1', name), 'utf8').trimEnd();
const WILD = join('test', 'wild', 'flannel-1437-kubectl-pods-A-worker-ip-addr.txt');

describe('splitGluedOutput', () => {
  it('keeps the command\'s table and cuts at the block of another kind', () => {
    const text = readFileSync(WILD, 'utf8');
    // the prompt line's rest (empty) is the output's first line, as readTranscript builds it
    const output = `\n${text.split('\n').slice(1).join('\n')}`;
    const cut = splitGluedOutput(output, 'kubectl-pods')!;
    expect(cut.head.trim().split('\n')).toHaveLength(3); // kubectl's header and its two rows
    expect(cut.rest.map((p) => [p.kind, p.firstLine])).toEqual([['addr', 6]]);
  });

  it('cuts nothing when the blocks after a blank line are more of the same kind, or prose', () => {
    const ipsets = readFileSync('samples/calico-policy/worker-1/ipset-list.txt', 'utf8');
    expect(splitGluedOutput(`\n${ipsets}`, 'ipset')).toBeUndefined();
    expect(splitGluedOutput(`\n${seed('ip-route.txt')}\n\nthe routes above are worker-1's\n`, 'route')).toBeUndefined();
    expect(splitGluedOutput(`\n${seed('ip-route.txt')}\n\n${seed('ip-route.txt')}\n`, 'route')).toBeUndefined();
  });
});

describe('read as a topology', () => {
  it('flannel#1437: kubectl\'s two pods, and the glued ip addr as --node\'s', async () => {
    const t = await loadTopology([WILD], { node: 'k8s-worker' });
    expect(t.pods.map((p) => `${p.name} ${p.ip} ${p.node}`)).toEqual(['curllatest 10.244.0.2 k8s-worker', 'coredns-74ff55c5b-snpb5 10.244.0.32 k8s-master']);
    const worker = t.nodes.find((n) => n.name === 'k8s-worker')!;
    expect(worker.netns.interfaces.map((i) => i.name)).toEqual(['lo', 'eth0', 'eth1', 'flannel.1']);
    // no line of the addr block is taken for a kubectl row
    expect(t.warnings.filter((w) => /kubectl get pods row/.test(w.message))).toEqual([]);
    expect(t.warnings.filter((w) => /another kind of output/.test(w.message)).map((w) => w.line)).toEqual([6]);
  });

  it('a glued block after a named prompt is that host\'s, with its lines counted in the file', async () => {
    const route = seed('ip-route.txt');
    const addr = seed('ip-addr.txt');
    const path = dump('prompted.txt', `root@worker-1:~# ip route\n${route}\n\n${addr}\n`);
    const t = await loadTopology([path]);
    const node = t.nodes.find((n) => n.name === 'worker-1')!;
    expect(node.netns.routes.length).toBe(route.split('\n').length);
    expect(node.netns.interfaces.length).toBe(addr.split('\n').filter((l) => /^\d+: /.test(l)).length);
    const cutLine = route.split('\n').length + 3; // the prompt, the routes, the blank line
    expect(t.warnings.filter((w) => /another kind of output/.test(w.message)).map((w) => w.line)).toEqual([cutLine]);
  });
});
