// kubectl's JSON and YAML forms (and `kubectl get ns --show-labels`), from real output the
// Kubernetes documentation prints (test/corpus/kubectl/, sources in test/corpus/SOURCES.md).
// Every expected value carries the awk/grep/sed one-liner that reads it from the file (`$F`);
// the one-liner is re-run first, so a value cannot drift from its file. What the values mean is
// the API reference's (k8s.io/docs/reference/kubernetes-api): podIPs' IPv4 one, a port's
// protocol TCP when absent, EndpointSlice conditions as printed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseKubectlObjects } from '../../src/topology/parse/kubectl-objects.ts';
import { parseKubectlNamespaces, parseKubectlPods } from '../../src/topology/parse/kubectl.ts';
import { mergeKubePods } from '../../src/topology/build/kube-objects.ts';
import { recogniseContent, recogniseUnread } from '../../src/topology/inputs/recognise.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const dir = join(repoRoot, 'test', 'corpus', 'kubectl');
const text = (f: string): string => readFileSync(join(dir, f), 'utf8');

/** Runs a one-liner over the file; its lines. */
function how(file: string, script: string): string[] {
  const out = execFileSync('bash', ['-c', script], { env: { ...process.env, F: join(dir, file), LC_ALL: 'C' }, encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '');
}

interface Check {
  what: string;
  how: string;
  value: string[];
  read: (file: string) => string[];
}

const POD = 'k8s-docs-debug-running-pod.yaml';
const SERVICE = 'k8s-docs-debug-service-hostnames.json';
const SLICE = 'k8s-docs-termination-endpointslice-cut.json';
const NAMESPACES = 'k8s-docs-namespaces-walkthrough-show-labels.txt';

const objects = (f: string) => parseKubectlObjects(text(f), { file: f });

const checks: Record<string, Check[]> = {
  [POD]: [
    {
      what: 'the pod: namespace/name, IPv4 pod IP (podIPs also holds 2001:db8::1), node, hostIP',
      how: `ns=$(awk '/^  namespace: /{print $2}' "$F"); n=$(awk '/^  name: /{print $2; exit}' "$F"); ip=$(awk '/^  podIP: /{print $2}' "$F"); node=$(awk '/^  nodeName: /{print $2}' "$F"); h=$(awk '/^  hostIP: /{print $2}' "$F"); echo "$ns/$n $ip $node $h"`,
      value: ['default/nginx-deployment-67d4bdd6f5-w6kd7 10.88.0.3 kube-worker-1 192.168.0.113'],
      read: (f) => objects(f).pods.map((p) => `${p.namespace}/${p.name} ${p.ip} ${p.node} ${p.hostIP}`),
    },
    {
      what: 'container ports (protocol as written, lower case)',
      how: `grep -A2 '^    ports:' "$F" | awk '/containerPort/{p=$3} /protocol/{print p, tolower($2)}'`,
      value: ['80 tcp'],
      read: (f) => objects(f).pods.flatMap((p) => (p.containerPorts ?? []).map((c) => `${c.port} ${c.protocol}`)),
    },
    {
      what: 'labels',
      how: `awk '/^  labels:/{f=1; next} f && /^    /{sub(/: /, "="); gsub(/ /, ""); print; next} {f=0}' "$F"`,
      value: ['app=nginx', 'pod-template-hash=67d4bdd6f5'],
      read: (f) => objects(f).pods.flatMap((p) => Object.entries(p.labels ?? {}).map(([k, v]) => `${k}=${v}`)),
    },
  ],
  [SERVICE]: [
    {
      what: 'the service: namespace/name, cluster IP, type',
      how: `n=$(grep -m1 -o '"name": "[^"]*"' "$F" | cut -d'"' -f4); ns=$(grep -o '"namespace": "[^"]*"' "$F" | cut -d'"' -f4); ip=$(grep -o '"clusterIP": "[^"]*"' "$F" | cut -d'"' -f4); t=$(grep -o '"type": "[^"]*"' "$F" | cut -d'"' -f4); echo "$ns/$n $ip $t"`,
      value: ['default/hostnames 10.0.1.175 ClusterIP'],
      read: (f) => objects(f).services.map((s) => `${s.namespace}/${s.name} ${s.clusterIP} ${s.type}`),
    },
    {
      what: 'its port: name, port, targetPort, protocol; nodePort 0 is none',
      how: `sed -n '/"ports"/,/]/p' "$F" | awk -F': ' '/"name"/{n=$2} /"protocol"/{p=$2} /"port"/{q=$2} /"targetPort"/{t=$2} /"nodePort"/{np=$2} END{gsub(/[",]/, "", n); gsub(/[",]/, "", p); gsub(/,/, "", q); gsub(/,/, "", t); print n, q, t, tolower(p), (np+0 == 0 ? "-" : np)}'`,
      value: ['default 80 9376 tcp -'],
      read: (f) => objects(f).services.flatMap((s) => s.ports.map((p) => `${p.name} ${p.port} ${p.targetPort} ${p.protocol} ${p.nodePort ?? '-'}`)),
    },
  ],
  [SLICE]: [
    {
      what: 'the endpoints the cut paste still shows: address, ready, serving, terminating, targetRef',
      how: `awk '/"addresses"/{getline; gsub(/[ ",]/, ""); a=$0} /"ready"/{r=$2} /"serving"/{s=$2} /"terminating"/{t=$2} /"namespace"/{ns=$2} /"name":/{n=$2} /"uid"/{gsub(/[",]/, "", r); gsub(/[",]/, "", s); gsub(/[",]/, "", t); gsub(/[",]/, "", ns); gsub(/[",]/, "", n); print a, r, s, t, ns "/" n}' "$F"`,
      value: ['10.12.1.201 false true true default/nginx-deployment-7768647bf9-b4b9s', '10.12.1.202 true true false default/nginx-deployment-7768647bf9-rkxlw'],
      read: (f) => objects(f).endpointSlices.flatMap((s) => s.endpoints.map((e) => `${e.addresses.join(',')} ${e.ready} ${e.serving} ${e.terminating} ${e.pod}`)),
    },
  ],
  [NAMESPACES]: [
    {
      what: 'namespaces and their labels (<none> is none)',
      how: `awk 'NR > 1 {print $1, ($4 == "<none>" ? "-" : $4)}' "$F"`,
      value: ['default -', 'development name=development', 'production name=production'],
      read: (f) => parseKubectlNamespaces(text(f), { file: f }).records.map((n) => `${n.name} ${Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-'}`),
    },
  ],
};

describe('kubectl JSON and YAML from the Kubernetes docs, read as the API defines them', () => {
  for (const [file, list] of Object.entries(checks)) {
    for (const check of list) {
      it(`${file}: its one-liner gives the recorded ${check.what}`, () => {
        expect(how(file, check.how)).toEqual(check.value);
      });
      it(`${file}: podpath reads the same ${check.what}`, () => {
        expect(check.read(file)).toEqual(check.value);
      });
    }
  }

  it('recognises each by content: the objects by their kind (or a cut EndpointSlice by its apiVersion), the namespaces table by its header', () => {
    expect([POD, SERVICE, SLICE].map((f) => recogniseContent(text(f)))).toEqual(['kubectl-objects', 'kubectl-objects', 'kubectl-objects']);
    expect(recogniseContent(text(NAMESPACES))).toBe('kubectl-namespaces');
  });

  it('the endpointslices table (as the termination tutorial prints it) is named and the JSON asked for instead', () => {
    const table = 'NAME                  ADDRESSTYPE   PORTS   ENDPOINTS                 AGE\nnginx-service-6tjbr   IPv4          80      10.12.1.199,10.12.1.201   22m\n';
    expect(recogniseContent(table)).toBeUndefined();
    expect(recogniseUnread(table)).toContain('give `kubectl get svc,endpointslices -A -o json`');
  });

  it('a paste cut mid-object is read up to its last complete object, with one warning at the line it stops and one for each field it lost', () => {
    const r = objects(SLICE);
    const lines = text(SLICE).split('\n');
    // The last complete object is the second endpoint's targetRef: its closing brace's line.
    const lastClose = lines.reduce((at, line, i) => (/^\s*\}/.test(line) ? i + 1 : at), 0);
    expect(r.warnings.map((w) => w.line)).toContain(lastClose);
    expect(r.warnings.map((w) => w.message)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^JSON ends before its objects close/),
      expect.stringMatching(/no kind: read as an EndpointSlice/),
      expect.stringMatching(/no kubernetes\.io\/service-name label/),
    ]));
  });

  it('a broken field is a warning with its JSON pointer (and line, for YAML), and only that field is left out', () => {
    const yaml = text(POD).replace('    - containerPort: 80', '    - containerPort: eighty');
    const r = parseKubectlObjects(yaml, { file: 'pod.yaml' });
    expect(r.pods).toHaveLength(1);
    expect(r.pods[0]!.ip).toBe('10.88.0.3');
    expect(r.pods[0]!.containerPorts).toEqual([]);
    const line = yaml.split('\n').findIndex((l) => l.includes('containerPort: eighty')) + 1;
    expect(r.warnings).toEqual([expect.objectContaining({ file: 'pod.yaml', line, message: expect.stringContaining('/spec/containers/0/ports/0: pod default/nginx-deployment-67d4bdd6f5-w6kd7: containerPort "eighty"') })]);
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Pod', metadata: { namespace: 'a' } }, { kind: 'Deployment' }, { kind: 'Pod', metadata: { name: 'p', namespace: 'a' }, status: { podIP: '10.1.2.3' } }] });
    const list = parseKubectlObjects(json, { file: 'pods.json' });
    expect(list.pods.map((p) => `${p.namespace}/${p.name} ${p.ip}`)).toEqual(['a/p 10.1.2.3']);
    expect(list.warnings.map((w) => w.message)).toEqual(['/items/0/metadata: Pod without metadata.name; skipped', '/items/1: 1 Deployment object(s): not read (podpath reads Pods, Services, EndpointSlices, Namespaces and NetworkPolicies)']);
  });

  it('JSON and YAML of the wrong shape give warnings, never a throw', () => {
    for (const t of ['null', '{}', '[1,2,3]', '[null]', '{"kind":"List","items":5}', '{"kind":"Pod","metadata":{"name":7}}', '{"kind":"Pod","metadata":{"name":"p","labels":[1]},"spec":{"containers":[{"ports":[null,{"containerPort":"x"}]}]},"status":{"podIPs":[null,{"ip":5}]}}',
      '{"kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80,"targetPort":{"x":1},"protocol":"ICMP"}]}}', '{"kind":"EndpointSlice","endpoints":[{"addresses":[]},{"addresses":["10.0.0.1"],"conditions":null}],"ports":[null]}',
      '{"kind": "Pod", "metadata": {', 'kind: Pod\nmetadata: [\n', 'kind: Namespace\nmetadata:\n  name: x\n  labels: {a: {b: c}}\n']) {
      expect(() => parseKubectlObjects(t, { file: 'x' }), t).not.toThrow();
    }
    // Aliases that expand past the yaml package's limit (kubectl writes none): a warning, not a crash.
    const laughs = `kind: List\nitems:\n- &a {kind: Pod, metadata: {name: p}}\n${Array.from({ length: 200 }, () => '- *a').join('\n')}\n`;
    expect(parseKubectlObjects(laughs, { file: 'l.yaml' }).warnings).toEqual([expect.objectContaining({ file: 'l.yaml', line: 1, message: expect.stringMatching(/^YAML: Excessive alias count.*; this document is not read$/) })]);
    const r = parseKubectlObjects('{"kind":"EndpointSlice","endpoints":[{"addresses":["10.0.0.1"]}]}', { file: 'x' });
    // conditions absent: ready nil is true, serving nil defers to ready, terminating nil is false (API reference).
    expect(r.endpointSlices[0]!.endpoints[0]).toEqual(expect.objectContaining({ ready: true, serving: true, terminating: false }));
  });

  it('-o yaml reads as -o json: the same List through one reader (YAML written by the yaml package, not podpath)', () => {
    const json = readFileSync(join(repoRoot, 'test', 'trace', 'kubectl-json', 'pods.json'), 'utf8');
    const asYaml = stringify(JSON.parse(json));
    const strip = (r: ReturnType<typeof parseKubectlObjects>) => r.pods.map(({ source: _source, ...pod }) => pod);
    const fromJson = parseKubectlObjects(json, { file: 'pods.json' });
    const fromYaml = parseKubectlObjects(asYaml, { file: 'pods.yaml' });
    expect(fromJson.pods).toHaveLength(5);
    expect(strip(fromYaml)).toEqual(strip(fromJson));
    // YAML keeps lines: each pod's source is the line of its list item.
    const lines = asYaml.split('\n');
    for (const pod of fromYaml.pods) expect(lines[pod.source.line! - 1]).toMatch(/^\s*- apiVersion: v1$/);
  });

  it('a transcript that runs kubectl get pods -o json and kubectl get ns --show-labels is read under its prompts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-kubectl-transcript-'));
    try {
      const fixtures = join(repoRoot, 'test', 'trace', 'kubectl-json');
      const session = `user@laptop:~$ kubectl get pods -A -o json\n${readFileSync(join(fixtures, 'pods.json'), 'utf8')}user@laptop:~$ kubectl get ns --show-labels\n${readFileSync(join(fixtures, 'ns.txt'), 'utf8')}`;
      writeFileSync(join(dir, 'session.txt'), session);
      const run = await runPodpath(['topology', 'samples/calico-policy/worker-1', 'samples/calico-policy/worker-2', join(dir, 'session.txt'), '--json']);
      expect(run.status, run.stderr).toBe(0);
      const t = JSON.parse(run.stdout) as { pods: { name: string; containerPorts?: unknown[] }[]; namespaces?: { name: string; labels: Record<string, string>; source: { line?: number } }[]; warnings: { file: string }[] };
      expect(t.pods.find((p) => p.name === 'web-b')?.containerPorts).toEqual([{ name: 'http', port: 80, protocol: 'tcp' }]);
      const nsLine = session.split('\n').findIndex((l) => l.startsWith('default ')) + 1;
      expect(t.namespaces?.find((n) => n.name === 'default')).toEqual(expect.objectContaining({ labels: { 'kubernetes.io/metadata.name': 'default', team: 'shop' }, source: expect.objectContaining({ line: nsLine }) }));
      expect(t.warnings.filter((w) => w.file.endsWith('session.txt'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a pod named by the table and by the JSON is one pod: each form fills what the other left out', () => {
    const table = parseKubectlPods(readFileSync(join(repoRoot, 'samples', 'calico-policy', 'kubectl-get-pods.txt'), 'utf8'), { file: 't' }).records;
    const json = parseKubectlObjects(readFileSync(join(repoRoot, 'test', 'trace', 'kubectl-json', 'pods.json'), 'utf8'), { file: 'j' }).pods;
    const merged = mergeKubePods([...table, ...json]);
    expect(merged).toHaveLength(5);
    expect(merged.find((p) => p.name === 'web-b')).toEqual(expect.objectContaining({ namespace: 'default', ip: '192.168.133.201', node: 'worker-2', labels: { app: 'web', run: 'web-b' }, containerPorts: [{ name: 'http', port: 80, protocol: 'tcp' }] }));
  });

  it('topology names a pod from the YAML beside a node folder, with its namespace, labels and container ports', async () => {
    const run = await runPodpath(['topology', 'samples/seed-flannel/worker-1', join('test', 'corpus', 'kubectl', POD), '--json']);
    expect(run.status, run.stderr).toBe(0);
    const topology = JSON.parse(run.stdout) as { pods: { name: string; namespace?: string; ip: string; labels?: Record<string, string>; containerPorts?: unknown[] }[] };
    const pod = topology.pods.find((p) => p.ip === '10.88.0.3');
    expect(pod).toEqual(expect.objectContaining({ name: 'nginx-deployment-67d4bdd6f5-w6kd7', namespace: 'default', labels: { app: 'nginx', 'pod-template-hash': '67d4bdd6f5' }, containerPorts: [{ port: 80, protocol: 'tcp' }] }));
  });
});
