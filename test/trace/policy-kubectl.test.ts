// kubectl's JSON in a bundle, end to end through the CLI, on the calico-policy lab sample (whose
// felix chains are the kernel's record of what the policies do): pods named from pods.json, a
// service's named targetPort, a NetworkPolicy named port and a namespaceSelector on a custom
// label decided where they were "unknown" without those files, and EndpointSlice readiness set
// beside kube-proxy's rules. The kubectl files are in test/trace/kubectl-json/ (README says how
// they were written); expected values come from those files and the sample's README/expected.json.
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PolicyJudgement, TraceResult } from '../../src/trace/model.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const fixtures = join(repoRoot, 'test', 'trace', 'kubectl-json');
const sample = join(repoRoot, 'samples', 'calico-policy');
const made: string[] = [];

/** A bundle: the sample's node folders, and the kubectl files named (copied from fixtures, or given as text). */
function bundle(files: Record<string, string>, podFolders: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-kubectl-json-'));
  made.push(dir);
  for (const node of ['worker-1', 'worker-2']) cpSync(join(sample, node), join(dir, node), { recursive: true });
  for (const [from, to] of Object.entries(podFolders)) renameSync(join(dir, from), join(dir, to));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content.startsWith('@') ? readFileSync(join(fixtures, content.slice(1))) : content);
  return dir;
}

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

async function ingressOf(dir: string, to: string): Promise<{ judgement: PolicyJudgement | undefined; result: TraceResult; status: number | null }> {
  const run = await runPodpath(['trace', dir, '--from', 'pod1', '--to', to, '--json']);
  expect(run.status, run.stderr).not.toBe(2);
  const result = JSON.parse(run.stdout) as TraceResult;
  const judgement = result.paths[0]?.policy?.judgements.find((j) => j.direction === 'ingress');
  return { judgement, result, status: run.status };
}

describe('kubectl JSON in a bundle, through the CLI', () => {
  it('topology --json names the pods from pods.json, by IP, when their folders carry only netns names', async () => {
    const dir = bundle({ 'kubectl-pods.json': '@pods.json' }, { 'worker-1/pods/pod1': 'worker-1/pods/cni-4f1d2a6b', 'worker-2/pods/web-b': 'worker-2/pods/cni-9e0c7b13' });
    const run = await runPodpath(['topology', dir, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const topology = JSON.parse(run.stdout) as { pods: { name: string; namespace?: string; ip: string; labels?: Record<string, string> }[]; services: { endpoints: { ip: string; pod?: string }[] }[] };
    const listed = (JSON.parse(fixture('pods.json')) as { items: { metadata: { name: string; namespace: string; labels: Record<string, string> }; status: { podIP: string } }[] }).items;
    for (const item of listed) {
      const pod = topology.pods.find((p) => p.ip === item.status.podIP);
      expect(pod, item.metadata.name).toEqual(expect.objectContaining({ name: item.metadata.name, namespace: item.metadata.namespace, labels: item.metadata.labels }));
    }
    expect(topology.pods.map((p) => p.name)).not.toContain('cni-4f1d2a6b');
    // The service's endpoint (kube-proxy's rules) is named by the pod pods.json gives its IP.
    expect(topology.services.flatMap((s) => s.endpoints).find((e) => e.ip === '192.168.133.201')?.pod).toBe('web-b');
  });

  it('trace --to svc/web with targetPort http: the service carries it, and a policy\'s `port: http` is decided from the pods\' container ports (allowed, as felix\'s chains did); without pods.json it is unknown and names the command', async () => {
    const withJson = bundle({ 'kubectl-pods.json': '@pods.json', 'kubectl-svc-endpointslices.json': '@svc-endpointslices.json', 'networkpolicy.yaml': '@networkpolicy-named-port.yaml' });
    const topo = JSON.parse((await runPodpath(['topology', withJson, '--json'])).stdout) as { services: { name: string; targetPort?: unknown; type?: string }[] };
    expect(topo.services.find((s) => s.name === 'web')).toEqual(expect.objectContaining({ targetPort: 'http', type: 'ClusterIP' }));
    const { judgement, result, status } = await ingressOf(withJson, 'svc/web');
    expect(status).toBe(0);
    expect(result.paths.map((p) => p.endpoint)).toEqual(['192.168.133.201:80']);
    expect(judgement?.decision).toBe('allowed');
    expect(judgement?.felix?.agrees).toBe(true);

    const tableOnly = bundle({ 'kubectl-get-pods.txt': readFileSync(join(sample, 'kubectl-get-pods.txt'), 'utf8'), 'networkpolicy.yaml': '@networkpolicy-named-port.yaml' });
    const before = await ingressOf(tableOnly, 'svc/web');
    expect(before.judgement?.decision).toBe('unknown');
    expect(before.judgement?.explanation).toContain('`kubectl get pods -A -o json`');
  });

  it('a namespaceSelector on a custom label: allowed with the namespace labelled so, denied when it is not, unknown (naming kubectl get ns) without the namespaces', async () => {
    const files = { 'kubectl-pods.json': '@pods.json', 'networkpolicy.yaml': '@networkpolicy-namespace-label.yaml' };
    const labelled = await ingressOf(bundle({ ...files, 'ns.txt': '@ns.txt' }), '192.168.133.201:80');
    expect(labelled.judgement?.decision).toBe('allowed');
    expect(labelled.judgement?.felix?.agrees).toBe(true);

    const other = await ingressOf(bundle({ ...files, 'ns.txt': fixture('ns.txt').replace('team=shop', 'team=billing') }), '192.168.133.201:80');
    expect(other.judgement?.decision).toBe('denied');
    // felix's chains were written for the namespace as it was: they still accept, and the trace says they disagree.
    expect(other.judgement?.felix?.agrees).toBe(false);

    const none = await ingressOf(bundle(files), '192.168.133.201:80');
    expect(none.judgement?.decision).toBe('unknown');
    expect(none.judgement?.explanation).toContain('`kubectl get ns --show-labels`');
  });

  it('ns -o json gives the same labels as the table', async () => {
    const nsJson = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default', team: 'shop' } } }] }, null, 4);
    const { judgement } = await ingressOf(bundle({ 'kubectl-pods.json': '@pods.json', 'networkpolicy.yaml': '@networkpolicy-namespace-label.yaml', 'kubectl-ns.json': `${nsJson}\n` }), '192.168.133.201:80');
    expect(judgement?.decision).toBe('allowed');
  });

  it('rules without comments: the service is named from its chain hash only with the port names the JSON gives (the table shows none)', async () => {
    // kube-proxy names KUBE-SVC-<hash> after "default/web:http" + tcp; the sample's commented dump says which chain that is.
    const rules = readFileSync(join(sample, 'worker-1', 'iptables-save.txt'), 'utf8');
    expect(rules).toContain('-A KUBE-SERVICES -d 10.96.0.60/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL');
    const uncommented = (kubectl: Record<string, string>): string => {
      const dir = bundle(kubectl);
      for (const node of ['worker-1', 'worker-2']) {
        const file = join(dir, node, 'iptables-save.txt');
        writeFileSync(file, readFileSync(file, 'utf8').replace(/ -m comment --comment "[^"]*"/g, '').replace(/ -m comment --comment \S+/g, ''));
      }
      return dir;
    };
    const named = async (dir: string) => (JSON.parse((await runPodpath(['topology', dir, '--json'])).stdout) as { services: { svcChain?: string; namespace: string; name: string; portName?: string }[] }).services.find((x) => x.svcChain === 'KUBE-SVC-CDGGSHYLG3RE2FKL');
    expect(await named(uncommented({ 'kubectl-svc-endpointslices.json': '@svc-endpointslices.json' }))).toEqual(expect.objectContaining({ namespace: 'default', name: 'web', portName: 'http' }));
    const table = 'NAMESPACE   NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\ndefault     web    ClusterIP   10.96.0.60   <none>        80/TCP    5m\n';
    expect((await named(uncommented({ 'kubectl-svc.txt': table })))?.name).toBe('KUBE-SVC-CDGGSHYLG3RE2FKL');
  });

  it('an EndpointSlice that disagrees with the rules is a warning, and the trace still follows the rules', async () => {
    const list = JSON.parse(fixture('svc-endpointslices.json')) as { items: { kind: string; endpoints?: unknown[] }[] };
    const slice = list.items.find((i) => i.kind === 'EndpointSlice')!;
    slice.endpoints = [
      { addresses: ['192.168.133.201'], conditions: { ready: false, serving: false, terminating: true }, nodeName: 'worker-2', targetRef: { kind: 'Pod', name: 'web-b', namespace: 'default' } },
      { addresses: ['192.168.226.73'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'worker-1', targetRef: { kind: 'Pod', name: 'web-a', namespace: 'default' } },
    ];
    const dir = bundle({ 'kubectl-pods.json': '@pods.json', 'kubectl-svc-endpointslices.json': `${JSON.stringify(list, null, 4)}\n` });
    const run = await runPodpath(['topology', dir, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const warnings = (JSON.parse(run.stdout) as { warnings: { file: string; message: string }[] }).warnings.filter((w) => w.file.endsWith('kubectl-svc-endpointslices.json'));
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^\/items\/1: EndpointSlice web-7xk2p of service default\/web:http: 192\.168\.133\.201:80 is ready false, serving false, terminating true, so kube-proxy would not send to it, but the rules on worker-1, worker-2 do/),
      expect.stringMatching(/192\.168\.226\.73:80 is ready true, serving true, terminating false, but the rules on worker-1, worker-2 do not send to it/),
    ]);
    const { result } = await ingressOf(dir, 'svc/web');
    expect(result.paths.map((p) => p.endpoint)).toEqual(['192.168.133.201:80']);
  });
});
