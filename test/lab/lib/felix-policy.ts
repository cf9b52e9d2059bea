// felix's rendering of Kubernetes NetworkPolicy into iptables, for the lab's Calico scenarios,
// in the shape real felix dumps have (felix rules/policy.go, endpoints.go; dumps in the public
// record: "Start of tier default", cali-pi-_<hash>, "Policy <ns>/knp.default.<name> ingress",
// "End of tier default. Drop if no policies passed packet"):
//
//   cali-tw-<if>   … MARK --set-xmark 0x0/0x10000
//                  -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000
//                  -m mark --mark 0x0/0x20000 -j cali-pi-_<hash>          per selecting policy, by name
//                  -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN
//                  -m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP
//                  -j cali-pri-kns.<ns> …                                  the profile, as without policy
//   cali-pi-_<hash> -p tcp -m comment --comment "Policy default/knp.default.<name> ingress"
//                  -m set --match-set cali40s:<hash> src -m multiport --dports 80 -j MARK --set-xmark 0x10000/0x10000
//                  -m mark --mark 0x10000/0x10000 -j RETURN
//   a policy without rules: one rule with only its comment (nothing sets the accept mark).
//
// A podSelector peer becomes an ipset (cali40s:…) of the matching pods' addresses. The lab
// supports what its scenarios write: matchLabels selectors, one peer and TCP/UDP ports per rule.
import type { NetworkPolicyObject, PodSpec, PolicyRuleObject, ScenarioSpec } from './spec.ts';

export type Direction = 'ingress' | 'egress';

const c = (hash: string): string => `-m comment --comment "cali:${hash}"`;

/** A stable stand-in for felix's hashes (felix hashes names and rules; the shape is what counts). */
export function felixHash(tag: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  let state = 2166136261;
  for (const ch of tag) state = Math.imul(state ^ ch.charCodeAt(0), 16777619) >>> 0;
  let out = '';
  for (let k = 0; k < length; k++) {
    state = Math.imul(state ^ (state >>> 13), 2654435761) >>> 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

const felixName = (p: NetworkPolicyObject): string => `${p.metadata.namespace}/knp.default.${p.metadata.name}`;

/** felix's chain for one policy and direction: names longer than iptables allows (28) are hashed, cali-pi-_ and 19 characters. */
export function policyChain(p: NetworkPolicyObject, direction: Direction): string {
  return `cali-p${direction === 'ingress' ? 'i' : 'o'}-_${felixHash(`${felixName(p)}:${direction}`, 19)}`;
}

function matchesLabels(selector: { matchLabels?: Record<string, string> }, labels: Record<string, string>): boolean {
  const extra = Object.keys(selector).filter((k) => k !== 'matchLabels');
  if (extra.length > 0) throw new Error(`felix-policy: the lab renders matchLabels selectors only, not ${extra.join(', ')}`);
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function types(p: NetworkPolicyObject): Direction[] {
  const given = p.spec.policyTypes ?? (p.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
  return given.map((t) => (t === 'Ingress' ? 'ingress' : 'egress'));
}

/** The policies selecting a pod for a direction, in felix's order (order, then name: all Kubernetes policies have order 1000). */
export function selectingPolicies(spec: ScenarioSpec, pod: PodSpec, direction: Direction): NetworkPolicyObject[] {
  return (spec.networkPolicies?.items ?? [])
    .filter((p) => p.metadata.namespace === 'default' && types(p).includes(direction) && matchesLabels(p.spec.podSelector, pod.labels ?? {}))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** The tier section of a workload chain (cali-tw- for ingress, cali-fw- for egress); empty when no policy selects the pod. */
export function tierRules(spec: ScenarioSpec, pod: PodSpec, direction: Direction, chain: string): string[] {
  const policies = selectingPolicies(spec, pod, direction);
  if (policies.length === 0) return [];
  const tag = `${chain}:${direction}`;
  return [
    `-A ${chain} ${c(felixHash(`${tag}:start`, 16))} -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000`,
    ...policies.flatMap((p, i) => [
      `-A ${chain} ${c(felixHash(`${tag}:${i}:jump`, 16))} -m mark --mark 0x0/0x20000 -j ${policyChain(p, direction)}`,
      `-A ${chain} ${c(felixHash(`${tag}:${i}:return`, 16))} -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
    ]),
    `-A ${chain} ${c(felixHash(`${tag}:end`, 16))} -m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP`,
  ];
}

export interface FelixIpset {
  name: string;
  members: string[];
}

function peerSet(spec: ScenarioSpec, selector: { matchLabels?: Record<string, string> }): FelixIpset {
  const key = JSON.stringify(selector.matchLabels ?? {});
  return {
    name: `cali40s:${felixHash(`selector:${key}`, 23)}`,
    members: spec.pods.filter((p) => matchesLabels(selector, p.labels ?? {})).map((p) => p.ip),
  };
}

/** Every ipset the policies' peers need (created on every node before the rules are loaded). */
export function policyIpsets(spec: ScenarioSpec): FelixIpset[] {
  const sets = new Map<string, FelixIpset>();
  for (const p of spec.networkPolicies?.items ?? []) {
    for (const rule of [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])]) {
      for (const peer of [...(rule.from ?? []), ...(rule.to ?? [])]) {
        const set = peerSet(spec, peer.podSelector);
        sets.set(set.name, set);
      }
    }
  }
  return [...sets.values()];
}

function ruleLines(spec: ScenarioSpec, p: NetworkPolicyObject, direction: Direction, chain: string, rule: PolicyRuleObject, index: number): string[] {
  const peers = direction === 'ingress' ? rule.from ?? [] : rule.to ?? [];
  if (peers.length > 1 || (rule.ports?.length ?? 0) > 1) throw new Error('felix-policy: the lab renders one peer and one port per rule');
  const peer = peers[0];
  const port = rule.ports?.[0];
  const comment = `-m comment --comment "Policy ${felixName(p)} ${direction}"`;
  const set = peer ? ` -m set --match-set ${peerSet(spec, peer.podSelector).name} ${direction === 'ingress' ? 'src' : 'dst'}` : '';
  const proto = port ? `-p ${port.protocol.toLowerCase()} ` : '';
  const ports = port ? ` -m multiport --dports ${port.port}` : '';
  return [
    `-A ${chain} ${proto}${c(felixHash(`${chain}:${index}:rule`, 16))} ${comment}${set}${ports} -j MARK --set-xmark 0x10000/0x10000`,
    `-A ${chain} ${c(felixHash(`${chain}:${index}:return`, 16))} -m mark --mark 0x10000/0x10000 -j RETURN`,
  ];
}

/** The policy chains (declarations and rules) for every policy and direction it has. */
export function policyChains(spec: ScenarioSpec): { declarations: string[]; rules: string[] } {
  const declarations: string[] = [];
  const rules: string[] = [];
  for (const p of spec.networkPolicies?.items ?? []) {
    for (const direction of types(p)) {
      const chain = policyChain(p, direction);
      declarations.push(`:${chain} - [0:0]`);
      const list = (direction === 'ingress' ? p.spec.ingress : p.spec.egress) ?? [];
      // No rules: felix still writes the chain, with one rule that only names the policy.
      if (list.length === 0) rules.push(`-A ${chain} ${c(felixHash(`${chain}:empty`, 16))} -m comment --comment "Policy ${felixName(p)} ${direction}"`);
      list.forEach((rule, i) => rules.push(...ruleLines(spec, p, direction, chain, rule, i)));
    }
  }
  return { declarations, rules };
}
