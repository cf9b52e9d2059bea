// --from and --to as kubectl names things. Every spelling of a service must give the first
// packet the lab's records give for it (samples/seed-flannel/expected.json: the cluster IP
// and port kube-proxy's rules were written for); every spelling of a pod, that pod's IP.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceResult } from '../../src/trace/model.ts';
import { didYouMean, parseObjectRef } from '../../src/trace/names.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const sample = 'samples/seed-flannel';
const expected = JSON.parse(readFileSync(join(repoRoot, sample, 'expected.json'), 'utf8')) as {
  services: { namespace: string; name: string; portName: string; clusterIP: string; port: number }[];
  pods: { name: string; ip: string; node: string }[];
};
const web = expected.services.find((s) => s.name === 'web')!;
const pod1 = expected.pods.find((p) => p.name === 'pod1')!;
const pod2 = expected.pods.find((p) => p.name === 'pod2')!;

async function firstPacket(args: string[]): Promise<TraceResult['query']['packet']> {
  const run = await runPodpath(['trace', sample, ...args, '--json']);
  expect(run.stderr).toBe('');
  return (JSON.parse(run.stdout) as TraceResult).query.packet;
}

describe('kubectl-style names through the CLI', () => {
  it.each([
    [['--to', `${web.namespace}/${web.name}`]],
    [['--to', `svc/${web.name}`]],
    [['--to', `service/${web.name}:${web.portName}`]],
    [['--to', `${web.name}.${web.namespace}.svc`]],
    [['--to', `${web.name}.${web.namespace}.svc.cluster.local:${web.port}`]],
    [['--to', web.name, '-n', web.namespace]],
    [['--to', web.name, '--namespace', web.namespace]],
  ])('%j reaches the service at its cluster IP', async (to) => {
    const packet = await firstPacket(['--from', `default/${pod1.name}`, ...to]);
    expect(packet.src).toBe(pod1.ip);
    expect(`${packet.dst}:${packet.dport}`).toBe(`${web.clusterIP}:${web.port}`);
  });

  it.each([[`pod/${pod1.name}`], [`default/${pod1.name}`], [pod1.name], [pod1.ip]])('--from %s starts in pod1', async (from) => {
    expect((await firstPacket(['--from', from, '--to', `svc/${web.name}`])).src).toBe(pod1.ip);
  });

  it('a pod by name as the destination is its IP, with the port given', async () => {
    const packet = await firstPacket(['--from', pod1.name, '--to', `${pod2.name}:80`]);
    expect(`${packet.dst}:${packet.dport}`).toBe(`${pod2.ip}:80`);
    expect(await firstPacket(['--from', pod1.name, '--to', `pod/${pod2.name}:80`])).toEqual(packet);
    const portless = await runPodpath(['trace', sample, '--from', pod1.name, '--to', pod2.name]);
    expect(portless.status).toBe(2);
    expect(portless.stderr).toBe(`podpath: --to ${pod2.name}: give the port on the pod (${pod2.name}:PORT)\n`);
  });

  it('a near miss gets a "did you mean", a far one the list of names', async () => {
    const typo = await runPodpath(['trace', sample, '--from', pod1.name, '--to', 'default/wbe']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toBe('podpath: --to default/wbe: no such service or pod in the dumps (did you mean default/web?)\n');
    const from = await runPodpath(['trace', sample, '--from', 'pdo1', '--to', 'svc/web']);
    expect(from.stderr).toBe('podpath: --from pdo1: no pod or node of that name in the dumps (did you mean pod1?)\n');
    const far = await runPodpath(['trace', sample, '--from', pod1.name, '--to', 'default/database']);
    expect(far.stderr).toMatch(/no such service or pod in the dumps \(expected IP:port, .*services: .*default\/web:http\)/);
  });

  it('a namespace the dumps do not have matches nothing', async () => {
    const run = await runPodpath(['trace', sample, '--from', pod1.name, '--to', 'svc/web', '-n', 'kube-system']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--to svc\/web: no such service or pod/);
  });
});

describe('parseObjectRef', () => {
  it.each([
    ['web', undefined, { name: 'web' }],
    ['web', 'prod', { namespace: 'prod', name: 'web' }],
    ['default/web:http', undefined, { namespace: 'default', name: 'web', port: 'http' }],
    ['svc/web', 'prod', { kind: 'service', namespace: 'prod', name: 'web' }],
    ['pods/pod2:8080', undefined, { kind: 'pod', name: 'pod2', port: '8080' }],
    ['web.default.svc.cluster.local:80', 'prod', { kind: 'service', namespace: 'default', name: 'web', port: '80' }],
    ['kube-dns.kube-system.svc', undefined, { kind: 'service', namespace: 'kube-system', name: 'kube-dns' }],
    ['node/worker-1', undefined, { kind: 'node', name: 'worker-1' }],
  ])('%s (-n %s)', (text, namespace, ref) => {
    expect(parseObjectRef(text, namespace)).toEqual(ref);
  });
  it('suggests only names a typo or two away', () => {
    expect(didYouMean('default/wbe', ['default/web', 'default/spread'])).toBe(' (did you mean default/web?)');
    expect(didYouMean('database', ['web', 'spread', 'empty'])).toBe('');
  });
});
