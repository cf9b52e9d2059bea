// Reading NetworkPolicy: the Kubernetes documentation's example, the user's notes' four policies
// (whose meaning the notes' own `kubectl describe` output states), `kubectl get networkpolicy -A
// -o json` as the lab wrote it, and bad input. Expected values are the objects' own text and
// the API's documented defaults, never podpath's output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetworkPolicies } from '../../src/topology/policy/parse.ts';
import { parseKubectlPods } from '../../src/topology/parse/kubectl.ts';
import { recogniseContent, recogniseUnread } from '../../src/topology/inputs/recognise.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const corpus = (file: string) => readFileSync(join(repoRoot, 'test/corpus', file), 'utf8');

describe('NetworkPolicy YAML and JSON', () => {
  it('reads the Kubernetes documentation example field by field', () => {
    const text = corpus('networkpolicy/kubernetes-website_networkpolicy.yaml');
    expect(recogniseContent(text)).toBe('kubectl-networkpolicy');
    const { records, warnings } = parseNetworkPolicies(text, { file: 'np.yaml' });
    expect(warnings).toEqual([]);
    expect(records).toHaveLength(1);
    const p = records[0]!;
    expect({ ns: p.namespace, name: p.name, selector: p.podSelector.matchLabels, types: p.policyTypes, defaulted: p.policyTypesDefaulted })
      .toEqual({ ns: 'default', name: 'test-network-policy', selector: { role: 'db' }, types: ['Ingress', 'Egress'], defaulted: false });
    expect(p.ingress).toHaveLength(1);
    expect(p.ingress[0]!.peers).toEqual([
      { kind: 'ip-block', ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
      { kind: 'namespaces', namespaceSelector: { matchLabels: { project: 'myproject' }, matchExpressions: [] } },
      { kind: 'pods', podSelector: { matchLabels: { role: 'frontend' }, matchExpressions: [] } },
    ]);
    expect(p.ingress[0]!.ports).toEqual([{ protocol: 'TCP', port: 6379 }]);
    expect(p.egress[0]!.peers).toEqual([{ kind: 'ip-block', ipBlock: { cidr: '10.0.0.0/24', except: [] } }]);
    expect(p.egress[0]!.ports).toEqual([{ protocol: 'TCP', port: 5978 }]);
    // The lines the objects start on in the file.
    expect(p.source).toEqual({ file: 'np.yaml', line: 1 });
    expect(p.ingress[0]!.source.line).toBe(14);
    expect(p.egress[0]!.source.line).toBe(29);
  });

  // test/corpus/seed/000-networking-section.txt lines 80-90: the notes' YAML, flattened onto one line
  // by their PDF, written back with its indentation; `kubectl describe` beside each says what it means.
  const seedPolicies = [
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all-incoming\nspec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n',
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all-outgoing\nspec:\n  podSelector: {}\n  policyTypes:\n  - Egress\n',
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-all-incoming\nspec:\n  podSelector: {}\n  ingress:\n  - {}\n  policyTypes:\n  - Ingress\n',
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-all-outgoing\nspec:\n  podSelector: {}\n  egress:\n  - {}\n  policyTypes:\n  - Egress\n',
  ].join('---\n');

  it('reads the seed\'s four policies as their kubectl describe says', () => {
    const seed = readFileSync(join(repoRoot, 'test/corpus/seed/000-networking-section.txt'), 'utf8');
    for (const name of ['deny-all-incoming', 'deny-all-outgoing', 'allow-all-incoming', 'allow-all-outgoing']) expect(seed).toContain(`name: ${name}`);
    const { records, warnings } = parseNetworkPolicies(seedPolicies, { file: 'seed.yaml' });
    expect(warnings).toEqual([]);
    const byName = Object.fromEntries(records.map((p) => [p.name, p]));
    // "PodSelector: <none> (Allowing the specific traffic to all pods in this namespace)"; namespace Default.
    for (const p of records) expect([p.namespace, p.podSelector]).toEqual(['default', { matchLabels: {}, matchExpressions: [] }]);
    // "Allowing ingress traffic: <none> (Selected pods are isolated for ingress connectivity) … Policy Types: Ingress"
    expect([byName['deny-all-incoming']!.policyTypes, byName['deny-all-incoming']!.ingress]).toEqual([['Ingress'], []]);
    expect([byName['deny-all-outgoing']!.policyTypes, byName['deny-all-outgoing']!.egress]).toEqual([['Egress'], []]);
    // "To Port: <any> (traffic allowed to all ports) From: <any> (traffic not restricted by source)": one rule, no peers, no ports.
    expect(byName['allow-all-incoming']!.ingress.map((r) => [r.peers, r.ports])).toEqual([[[], []]]);
    expect(byName['allow-all-outgoing']!.egress.map((r) => [r.peers, r.ports])).toEqual([[[], []]]);
  });

  it('defaults policyTypes as the API does: Ingress, plus Egress when there is an egress section', () => {
    const { records } = parseNetworkPolicies('kind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  podSelector: {}\n  egress:\n  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]\n', { file: 'a.yaml' });
    expect([records[0]!.policyTypes, records[0]!.policyTypesDefaulted]).toEqual([['Ingress', 'Egress'], true]);
  });

  it('reads kubectl get networkpolicy -A -o json (the flannel-policy sample)', () => {
    const text = readFileSync(join(repoRoot, 'samples/flannel-policy/networkpolicy.json'), 'utf8');
    expect(recogniseContent(text)).toBe('kubectl-networkpolicy');
    const { records, warnings } = parseNetworkPolicies(text, { file: 'np.json' });
    const raw = JSON.parse(text) as { kind: string; items: { metadata: { name: string }; spec: { policyTypes: string[] } }[] };
    expect(raw.kind).toBe('List');
    expect(warnings).toEqual([]);
    expect(records.map((p) => [p.name, p.policyTypes])).toEqual(raw.items.map((i) => [i.metadata.name, i.spec.policyTypes]));
  });

  it('a rule it cannot read is a warning with its line, and the rest still counts', () => {
    const text = [
      'kind: NetworkPolicy', 'metadata: {name: web, namespace: shop}', 'spec:', '  podSelector: {matchLabels: {app: web}}', '  ingress:',
      '  - from: [{podSelector: {matchExpressions: [{key: tier, operator: Near}]}}]', '  - ports: [{protocol: TCP, port: 80}]',
      '---', 'kind: ConfigMap', 'metadata: {name: x}', '---', 'kind: NetworkPolicy', 'metadata: {name: broken}', 'spec: {podSelector: {}, policyTypes: [Inbound]}',
      '---', 'kind: NetworkPolicy', 'metadata: {name: [unclosed', '',
    ].join('\n');
    const { records, warnings } = parseNetworkPolicies(text, { file: 'p.yaml' });
    expect(records.map((p) => `${p.namespace}/${p.name}`)).toEqual(['shop/web']);
    expect(records[0]!.ingress.map((r) => r.ports)).toEqual([[{ protocol: 'TCP', port: 80 }]]);
    expect(warnings.slice(0, 3).map((w) => [w.file, w.line])).toEqual([['p.yaml', 6], ['p.yaml', 9], ['p.yaml', 14]]);
    // The YAML reader notices the unclosed flow sequence of line 17 where the input ends.
    expect(warnings).toHaveLength(4);
    expect(warnings[3]!.line).toBeGreaterThanOrEqual(17);
    expect(warnings[0]!.message).toMatch(/shop\/web ingress rule 1 left out .*operator "Near"/);
    expect(warnings[1]!.message).toMatch(/kind ConfigMap: not a NetworkPolicy/);
    expect(warnings[2]!.message).toMatch(/"Inbound" is neither Ingress nor Egress/);
    expect(warnings[3]!.message).toMatch(/^YAML: /);
  });

  it('names a policy flattened onto one line (the seed\'s PDF) instead of reading it', () => {
    const seed = readFileSync(join(repoRoot, 'test/corpus/seed/000-networking-section.txt'), 'utf8').split('\n')[79]!;
    expect(recogniseContent(seed)).toBeUndefined();
    expect(recogniseUnread(seed)).toMatch(/NetworkPolicy flattened onto one line/);
  });

  it('reads pod labels from kubectl get pods --show-labels', () => {
    const text = readFileSync(join(repoRoot, 'samples/calico-policy/kubectl-get-pods.txt'), 'utf8');
    const { records, warnings } = parseKubectlPods(text, { file: 'pods.txt' });
    expect(warnings).toEqual([]);
    const pod1Row = text.split('\n').find((l) => /^default\s+pod1\s/.test(l))!;
    const labels = pod1Row.trim().split(/\s+/).at(-1)!;
    expect(records.find((p) => p.name === 'pod1')?.labels).toEqual(Object.fromEntries(labels.split(',').map((kv) => kv.split('='))));
  });

  it('topology --json carries the bundle\'s policies and the pods\' labels', async () => {
    const run = await runPodpath(['topology', 'samples/calico-policy', '--json']);
    expect(run.status).toBe(0);
    const topology = JSON.parse(run.stdout) as { networkPolicies: { name: string; source: { file: string } }[]; pods: { name: string; labels?: Record<string, string> }[] };
    expect(topology.networkPolicies.map((p) => p.name).sort()).toEqual(['allow-client-to-web', 'deny-all-incoming', 'deny-egress-locked']);
    expect(topology.networkPolicies[0]!.source.file).toMatch(/networkpolicy\.yaml$/);
    expect(topology.pods.find((p) => p.name === 'pod0')?.labels).toMatchObject({ role: 'locked' });
  });
});
