// NetworkPolicy beside the trace. The selector rules are Kubernetes' documented ones; the
// verdicts on the lab's samples are checked against the kernel's own record (expected.json's
// xtables-monitor entries: which felix chains the packet went through, which policy each names
// in its comment, and whether the tier ended in "Return if policy accepted" or in "End of tier
// … Drop"), and on Flannel against the kernel delivering the packet all the same.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NEED_COMMAND, anyOf, namespaceMatches, peerMatches, portMatches, selectorMatches, type PolicyNeed } from '../../src/trace/policy-select.ts';
import { kubernetesPolicyName } from '../../src/trace/policy.ts';
import type { PolicyJudgement, TraceResult } from '../../src/trace/model.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const sel = (matchLabels: Record<string, string>, matchExpressions: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: string[] }[] = []) => ({ matchLabels, matchExpressions });

describe('NetworkPolicy selectors, peers and ports (Kubernetes semantics)', () => {
  it('an empty selector selects everything; matchLabels and matchExpressions are ANDed', () => {
    expect(selectorMatches(sel({}), {})).toBe('yes');
    expect(selectorMatches(sel({ app: 'web' }, [{ key: 'tier', operator: 'In', values: ['a', 'b'] }]), { app: 'web', tier: 'b' })).toBe('yes');
    expect(selectorMatches(sel({ app: 'web' }, [{ key: 'tier', operator: 'In', values: ['a'] }]), { app: 'web', tier: 'b' })).toBe('no');
  });

  it('NotIn and DoesNotExist match an object without the key (labels.Selector)', () => {
    expect(selectorMatches(sel({}, [{ key: 'env', operator: 'NotIn', values: ['prod'] }]), {})).toBe('yes');
    expect(selectorMatches(sel({}, [{ key: 'env', operator: 'DoesNotExist', values: [] }]), {})).toBe('yes');
    expect(selectorMatches(sel({}, [{ key: 'env', operator: 'Exists', values: [] }]), { env: '' })).toBe('yes');
  });

  it('labels the dumps do not give leave a non-empty selector undecided', () => {
    expect(selectorMatches(sel({ app: 'web' }), undefined)).toBe('unknown');
    expect(selectorMatches(sel({}), undefined)).toBe('yes');
  });

  it('a namespace is known by its kubernetes.io/metadata.name label only', () => {
    expect(namespaceMatches(sel({ 'kubernetes.io/metadata.name': 'shop' }), 'shop')).toBe('yes');
    expect(namespaceMatches(sel({ 'kubernetes.io/metadata.name': 'shop' }), 'default')).toBe('no');
    expect(namespaceMatches(sel({ project: 'myproject' }), 'shop')).toBe('unknown');
  });

  it('with `kubectl get ns` a namespace is known by all its labels (and its name label, which the API server sets); without it a custom label is unknown and says which command settles it', () => {
    const namespaces = [{ name: 'shop', labels: { project: 'myproject' }, source: { file: 'ns.txt', line: 2 } }];
    expect(namespaceMatches(sel({ project: 'myproject' }), 'shop', { namespaces })).toBe('yes');
    expect(namespaceMatches(sel({ project: 'other' }), 'shop', { namespaces })).toBe('no');
    expect(namespaceMatches(sel({ 'kubernetes.io/metadata.name': 'shop' }), 'shop', { namespaces })).toBe('yes');
    expect(namespaceMatches(sel({}, [{ key: 'project', operator: 'DoesNotExist', values: [] }]), 'shop', { namespaces })).toBe('no');
    const needs = new Set<PolicyNeed>();
    expect(namespaceMatches(sel({ project: 'myproject' }), 'billing', { namespaces, needs })).toBe('unknown');
    expect([...needs].map((n) => NEED_COMMAND[n])).toEqual(['kubectl get ns --show-labels']);
  });

  it('a named port resolves on the destination pod\'s container ports (name and protocol); a destination that is not a pod matches nothing', () => {
    const ports = [{ name: 'http', port: 8080, protocol: 'tcp' as const }, { name: 'dns', port: 53, protocol: 'udp' as const }];
    const to = { isPod: true as const, ports };
    expect(portMatches({ protocol: 'TCP', port: 'http' }, 'tcp', 8080, { destination: to })).toBe('yes');
    expect(portMatches({ protocol: 'TCP', port: 'http' }, 'tcp', 80, { destination: to })).toBe('no');
    expect(portMatches({ protocol: 'TCP', port: 'dns' }, 'tcp', 53, { destination: to })).toBe('no');
    expect(portMatches({ protocol: 'TCP', port: 'metrics' }, 'tcp', 8080, { destination: to })).toBe('no');
    expect(portMatches({ protocol: 'TCP', port: 'http' }, 'tcp', 8080, { destination: { isPod: false } })).toBe('no');
    const needs = new Set<PolicyNeed>();
    expect(portMatches({ protocol: 'TCP', port: 'http' }, 'tcp', 8080, { destination: { isPod: true, ports: undefined }, needs })).toBe('unknown');
    expect([...needs].map((n) => NEED_COMMAND[n])).toEqual(['kubectl get pods -A -o json']);
  });

  it('ipBlock honours except; a podSelector peer is of the policy\'s namespace unless a namespaceSelector says otherwise', () => {
    const block = { kind: 'ip-block' as const, ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } };
    expect(peerMatches(block, 'default', { ip: '172.17.2.9' })).toBe('yes');
    expect(peerMatches(block, 'default', { ip: '172.17.1.9' })).toBe('no');
    const frontend = { kind: 'pods' as const, podSelector: sel({ role: 'frontend' }) };
    const pod = (namespace: string) => ({ ip: '10.0.0.1', pod: { name: 'f', namespace, labels: { role: 'frontend' } } });
    expect(peerMatches(frontend, 'default', pod('default'))).toBe('yes');
    expect(peerMatches(frontend, 'default', pod('other'))).toBe('no');
    expect(peerMatches({ ...frontend, namespaceSelector: sel({}) }, 'default', pod('other'))).toBe('yes');
  });

  it('ports: protocol, number, endPort range; a named port needs the pod spec', () => {
    expect(portMatches({ protocol: 'TCP', port: 6379 }, 'tcp', 6379)).toBe('yes');
    expect(portMatches({ protocol: 'UDP', port: 6379 }, 'tcp', 6379)).toBe('no');
    expect(portMatches({ protocol: 'TCP', port: 32000, endPort: 32768 }, 'tcp', 32100)).toBe('yes');
    expect(portMatches({ protocol: 'TCP', port: 'http' }, 'tcp', 80)).toBe('unknown');
    expect(anyOf(['no', 'unknown', 'yes'])).toBe('yes');
  });

  it('felix names a Kubernetes policy <ns>/knp.default.<name> (tier default)', () => {
    expect(kubernetesPolicyName('calico-system/knp.default.allow-apiserver')).toBe('calico-system/allow-apiserver');
  });
});

interface KernelRule { node: string; table: string; chain: string; rule: string | null; verdict: string }
interface Connection { id: string; from: string; to: string; outcome: string; sightings: { sport: number }[]; netfilter: KernelRule[] }

const samples = join(repoRoot, 'samples');
const policySamples = readdirSync(samples).filter((s) => existsSync(join(samples, s, 'expected.json')) && readdirSync(join(samples, s)).some((f) => /^networkpolicy\.(yaml|json)$/.test(f))).sort();

/** What the kernel's record says felix's chain of one workload did: the policy chains and how it ended. */
function kernelFelix(rules: KernelRule[], chain: string) {
  const inChain = rules.filter((r) => r.table === 'filter' && r.chain === chain);
  if (inChain.length === 0) return { verdict: 'not-reached', policyChains: [] };
  const policyChains = inChain.filter((r) => r.verdict === 'jump' && /-j cali-p[io]-/.test(r.rule ?? '')).map((r) => {
    const target = /-j (cali-p[io]-\S+)/.exec(r.rule!)![1]!;
    // The policy chain's own rule as the kernel traced it names the policy in felix's comment.
    const named = rules.find((x) => x.chain === target && /--comment "Policy /.test(x.rule ?? ''));
    const policy = named ? kubernetesPolicyName(/--comment "Policy (\S+) (?:ingress|egress)"/.exec(named.rule!)![1]!) : undefined;
    return policy ? { chain: target, policy } : { chain: target };
  });
  const verdict = inChain.some((r) => r.verdict === 'drop' && /End of tier/.test(r.rule ?? ''))
    ? 'denied'
    : inChain.some((r) => r.verdict === 'return' && /Return if policy accepted/.test(r.rule ?? '')) ? 'allowed' : 'not-isolated';
  return { verdict, policyChains };
}

describe.runIf(policySamples.length > 0).concurrent('NetworkPolicy verdicts agree with the kernel\'s record', () => {
  for (const scenario of policySamples) {
    const expected = JSON.parse(readFileSync(join(samples, scenario, 'expected.json'), 'utf8')) as { cni: { plugin: string }; connections: Connection[] };
    for (const connection of expected.connections) {
      it(`${scenario} ${connection.id}`, async () => {
        const run = await runPodpath(['trace', join('samples', scenario), '--from', connection.from, '--to', connection.to, '--sport', String(connection.sightings[0]!.sport), '--json']);
        const result = JSON.parse(run.stdout) as TraceResult;
        expect(result.paths).toHaveLength(1);
        const policy = result.paths[0]!.policy;
        expect(policy, 'a policy verdict on the path').toBeDefined();
        const judgements = policy!.judgements;
        if (expected.cni.plugin === 'flannel') {
          // Flannel has no policy engine: the kernel delivered the packet although deny-all policies select both pods.
          expect(connection.outcome).toBe('delivered');
          expect(policy!.enforcement).toBe('not-enforced');
          expect(judgements.map((j) => [j.direction, j.decision])).toEqual([['egress', 'denied'], ['ingress', 'denied']]);
          expect(policy!.summary).toMatch(/does not enforce NetworkPolicy .*no effect on this path/);
          return;
        }
        expect(policy!.enforcement).toBe('felix');
        for (const j of judgements) {
          const kernel = kernelFelix(connection.netfilter, j.felix!.endpointChain!);
          expect({ chain: j.felix!.endpointChain, verdict: j.felix!.verdict, policyChains: j.felix!.policyChains }).toEqual({ chain: j.felix!.endpointChain, ...kernel });
          // Kubernetes' answer from the YAML equals what felix's rules did, wherever the packet reached them.
          if (kernel.verdict !== 'not-reached') expect([j.decision, j.felix!.agrees]).toEqual([kernel.verdict, true]);
        }
        const denied = (j: PolicyJudgement) => j.decision === 'denied';
        expect(judgements.some(denied)).toBe(connection.outcome !== 'delivered');
      });
    }
  }
});

describe('NetworkPolicy in the text trace', () => {
  it('says on Flannel that the policy has no effect, naming the policy and its file', async () => {
    const run = await runPodpath(['trace', 'samples/flannel-policy', '--from', 'pod1', '--to', '192.168.2.12:80']);
    expect(run.status).toBe(0);
    const text = run.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('Flannel alone does not enforce NetworkPolicy');
    expect(text).toMatch(/default\/deny-all-incoming \(samples\/flannel-policy\/networkpolicy\.json:\d+\): it has no ingress rules: it allows nothing/);
  });

  it('names felix\'s chains and the deciding rule on Calico (-v)', async () => {
    const run = await runPodpath(['trace', 'samples/calico-policy', '--from', 'pod1', '--to', '192.168.133.200:80', '-v']);
    expect(run.status).toBe(1);
    const text = run.stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/felix on worker-2: cali-tw-calie6c0b1f3a7d → cali-pi-_\S+ \(default\/deny-all-incoming\) → denied, as the policies say/);
    expect(text).toContain('End of tier default. Drop if no policies passed packet');
  });

  it('a trace without policies in the inputs has no policy block', async () => {
    const run = await runPodpath(['trace', 'samples/seed-flannel', '--from', 'pod1', '--to', '192.168.2.12:80', '--json']);
    expect((JSON.parse(run.stdout) as TraceResult).paths.every((p) => p.policy === undefined)).toBe(true);
  });
});
