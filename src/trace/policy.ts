// NetworkPolicy beside a traced path: which policies select the source pod (egress) and the
// destination pod (ingress), what they decide by Kubernetes' rules (src/trace/policy-select.ts),
// and what the kernel's rules did with the same packet.
//
// Who enforces: NetworkPolicy is an API object; the CNI's agent turns it into rules. felix
// (Calico, and Canal = Flannel + felix) writes, per workload interface, in filter FORWARD:
//
//   cali-from-wl-dispatch -i caliX -g cali-fw-caliX          (from the pod: egress)
//   cali-to-wl-dispatch   -o caliX -g cali-tw-caliX          (to the pod: ingress)
//   cali-tw-caliX:  … "Start of tier default" MARK 0x0/0x20000
//                   -m mark --mark 0x0/0x20000 -j cali-pi-_<hash>   one per selecting policy
//                   "Return if policy accepted" (mark 0x10000) RETURN
//                   "End of tier default. Drop if no policies passed packet" DROP
//                   -j cali-pri-kns.<ns> … "Drop if no profiles matched" DROP
//   cali-pi-_<hash>: -m comment --comment "Policy <ns>/knp.default.<name> ingress" … MARK 0x10000
//
// (a pod no policy selects has no tier section: its profile accepts). The tracer already walks
// those chains as the kernel does; this file reads the walk back — the endpoint chain, the policy
// chains and the policy each names in its comment, how the tier ended — and says whether it is
// what the policies as given decide. Flannel alone has no agent: the policy has no effect.
import type { ClusterNode, NetNamespace, Pod, Topology } from '../topology/model.ts';
import type { NetworkPolicy } from '../topology/policy/model.ts';
import type { FelixVerdict, Hop, NetfilterStep, PathPolicy, PolicyDecision, PolicyEnforcement, PolicyJudgement, SelectingPolicy, TracePath } from './model.ts';
import { NEED_COMMAND, policySelects, ruleAllows, type Match, type MatchContext, type PolicyNeed, type PolicyPeerEnd } from './policy-select.ts';

type Direction = 'ingress' | 'egress';

/** The policy verdicts for one path, or undefined when neither the inputs nor the path hold any policy. */
export function judgePolicies(topology: Topology, path: TracePath): PathPolicy | undefined {
  const enforcement = enforcementOf(topology);
  const first = path.hops[0];
  const last = path.hops[path.hops.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const proto = first.packet.proto;
  // Policies judge the packet after kube-proxy's DNAT (the endpoint, not the service VIP): felix's
  // chains run in FORWARD, after nat PREROUTING, and Kubernetes defines them on pod addresses.
  const endpoint = endpointOf(path);
  const sourceIp = first.packet.src;
  const sourcePod = podByIp(topology, sourceIp);
  const destinationPod = endpoint ? podByIp(topology, endpoint.ip) : undefined;
  const judgements: PolicyJudgement[] = [];
  const felixOut = sourcePod ? felixVerdict(topology, path, sourcePod, 'egress') : undefined;
  const felixIn = destinationPod ? felixVerdict(topology, path, destinationPod, 'ingress') : undefined;
  const given = topology.networkPolicies.length > 0;
  const felixSawPolicy = [felixOut, felixIn].some((f) => f !== undefined && f.policyChains.length > 0);
  if (!given && !felixSawPolicy) return undefined;

  if (sourcePod && endpoint) {
    const peer: PolicyPeerEnd = destinationPod ? { ip: endpoint.ip, pod: peerPod(destinationPod) } : { ip: endpoint.ip };
    // A named port in an egress rule is the destination's: its pod's container ports say the number.
    const context: MatchContext = { namespaces: topology.namespaces, destination: destinationPod ? { isPod: true, ports: destinationPod.containerPorts } : { isPod: false }, needs: new Set() };
    judgements.push(judge(topology, 'egress', sourcePod, peer, proto, endpoint.port, felixOut, given, context));
  }
  if (destinationPod && endpoint) {
    // The source as it arrives: after any SNAT on the way (a masqueraded packet comes from a node).
    const arriving = arrivalHop(path, destinationPod) ?? last;
    const src = arriving.packet.src;
    const fromPod = podByIp(topology, src);
    const peer: PolicyPeerEnd = fromPod ? { ip: src, pod: peerPod(fromPod) } : { ip: src };
    const fromOwnNode = fromPod === undefined && nodeOf(topology, destinationPod)?.addresses.includes(src) === true;
    const context: MatchContext = { namespaces: topology.namespaces, destination: { isPod: true, ports: destinationPod.containerPorts }, needs: new Set() };
    judgements.push(judge(topology, 'ingress', destinationPod, peer, proto, endpoint.port, felixIn, given, context, fromOwnNode));
  }
  if (judgements.length === 0) return undefined;
  return { enforcement, summary: summarise(enforcement, judgements, given, path), judgements };
}

/** felix's chains on any node mean felix enforces (Calico or Canal); Flannel alone enforces nothing. */
export function enforcementOf(topology: Topology): PolicyEnforcement {
  const felix = topology.nodes.some((n) => Object.keys(n.netns.netfilter?.tables['filter']?.chains ?? {}).some((c) => c.startsWith('cali-')));
  if (felix) return 'felix';
  if (topology.cni.plugin === 'flannel') return 'not-enforced';
  return 'unknown';
}

function endpointOf(path: TracePath): { ip: string; port: number | undefined } | undefined {
  if (path.endpoint !== undefined) {
    const at = path.endpoint.lastIndexOf(':');
    return { ip: path.endpoint.slice(0, at), port: Number(path.endpoint.slice(at + 1)) };
  }
  const last = path.hops[path.hops.length - 1];
  return last ? { ip: last.packet.dst, port: last.packet.dport } : undefined;
}

function podByIp(topology: Topology, ip: string): Pod | undefined {
  if (topology.nodes.some((n) => n.addresses.includes(ip))) return undefined; // hostNetwork: the node's own address
  return topology.pods.find((p) => p.ip === ip && !p.unnamed) ?? topology.pods.find((p) => p.ip === ip);
}

/** A pod whose namespace the dumps do not give is taken to be in default, as `kubectl apply` would put it. */
const namespaceOf = (pod: Pod): string => pod.namespace ?? 'default';
const podLabel = (pod: Pod): string => `${namespaceOf(pod)}/${pod.name}`;
const peerPod = (pod: Pod): NonNullable<PolicyPeerEnd['pod']> => ({ name: pod.name, namespace: namespaceOf(pod), labels: pod.labels });
const nodeOf = (topology: Topology, pod: Pod): ClusterNode | undefined => topology.nodes.find((n) => n.name === pod.node);

function arrivalHop(path: TracePath, pod: Pod): Hop | undefined {
  return path.hops.find((h) => h.at === pod.name) ?? [...path.hops].reverse().find((h) => h.at === pod.node && h.interface === pod.hostInterface);
}

function judge(
  topology: Topology, direction: Direction, pod: Pod, peer: PolicyPeerEnd, proto: string, port: number | undefined,
  felix: FelixVerdict | undefined, given: boolean, context: MatchContext, fromOwnNode = false,
): PolicyJudgement {
  const type = direction === 'ingress' ? 'Ingress' : 'Egress';
  const subject = { namespace: namespaceOf(pod), labels: pod.labels };
  const selecting: { policy: NetworkPolicy; selects: Match }[] = [];
  for (const policy of topology.networkPolicies) {
    const selects = policySelects(policy, type, subject, context);
    if (selects !== 'no') selecting.push({ policy, selects });
  }
  const peerText = peer.pod ? `${peer.ip} (${peer.pod.namespace}/${peer.pod.name})` : peer.ip;
  const portText = `${proto}/${port ?? '?'}`;
  const policies: SelectingPolicy[] = selecting.map(({ policy, selects }) => selectingPolicy(policy, direction, peer, proto, port, selects, context));
  let decision: PolicyDecision;
  let explanation: string;
  const certain = selecting.filter((s) => s.selects === 'yes');
  if (!given) {
    decision = 'unknown';
    explanation = `the policies felix enforces here are not in the inputs (add \`kubectl get networkpolicy -A -o yaml\`)`;
  } else if (fromOwnNode) {
    // "traffic to and from the node where a Pod is running is always allowed" (Kubernetes docs).
    decision = 'allowed';
    explanation = `the packet comes from ${pod.node}, the pod's own node: Kubernetes always allows a pod's own node to reach it`;
  } else if (selecting.length === 0) {
    decision = 'not-isolated';
    explanation = `no policy selects ${podLabel(pod)} for ${direction}, so it is not isolated: every ${direction === 'ingress' ? 'source' : 'destination'} is allowed`;
  } else if (policies.some((p) => p.result === 'allows' && selecting.find((s) => `${s.policy.namespace}/${s.policy.name}` === p.policy)?.selects === 'yes')) {
    const by = policies.find((p) => p.result === 'allows')!;
    decision = 'allowed';
    explanation = `${podLabel(pod)} is isolated for ${direction} and ${by.policy} allows ${peerText} on ${portText}`;
  } else if (certain.length > 0 && policies.every((p) => p.result === 'allows-nothing')) {
    decision = 'denied';
    explanation = `${podLabel(pod)} is isolated for ${direction} by ${certain.map((s) => `${s.policy.namespace}/${s.policy.name}`).join(', ')} and no rule of ${selecting.length > 1 ? 'any of them' : 'it'} allows ${peerText} on ${portText}`;
  } else {
    decision = 'unknown';
    explanation = `whether ${podLabel(pod)} may ${direction === 'ingress' ? 'receive' : 'send'} this depends on ${missingInputs(context.needs)}`;
  }
  const judgement: PolicyJudgement = { direction, pod: podLabel(pod), peer: peerText, port: portText, decision, policies, explanation };
  if (felix) {
    const agreement = given && decision !== 'unknown' ? agrees(felix, decision) : undefined;
    judgement.felix = agreement === undefined ? felix : { ...felix, agrees: agreement };
  }
  return judgement;
}

const NEED_WORDS: Record<PolicyNeed, string> = {
  'pod-labels': 'pod labels',
  'namespace-labels': 'namespace labels',
  'container-ports': "the destination pod's container ports (a named port)",
};

/** "namespace labels the inputs do not give (add `kubectl get ns --show-labels`)". */
function missingInputs(needs: Set<PolicyNeed> | undefined): string {
  const list = [...(needs ?? [])];
  if (list.length === 0) return 'what the inputs do not say';
  return `${list.map((n) => NEED_WORDS[n]).join(' and ')} the inputs do not give (add ${list.map((n) => `\`${NEED_COMMAND[n]}\``).join(' and ')})`;
}

function selectingPolicy(policy: NetworkPolicy, direction: Direction, peer: PolicyPeerEnd, proto: string, port: number | undefined, selects: Match, context: MatchContext): SelectingPolicy {
  const name = `${policy.namespace}/${policy.name}`;
  const rules = direction === 'ingress' ? policy.ingress : policy.egress;
  const source = { file: policy.source.file, line: policy.source.line };
  const selectorNote = selects === 'unknown' ? ` (whether it selects the pod depends on pod labels the inputs do not give: add \`${NEED_COMMAND['pod-labels']}\`)` : '';
  if (rules.length === 0) return { policy: name, source, result: 'allows-nothing', why: `it has no ${direction} rules: it allows nothing${selectorNote}` };
  let unknown = false;
  for (const [i, rule] of rules.entries()) {
    const allows = ruleAllows(rule, policy.namespace, peer, proto, port, context);
    if (allows === 'yes') return { policy: name, source: { file: rule.source.file, line: rule.source.line }, result: 'allows', rule: i + 1, why: `its ${direction} rule ${i + 1} allows ${describeRule(rule.peers.length, rule.ports.length)}${selectorNote}` };
    if (allows === 'unknown') unknown = true;
  }
  if (unknown) return { policy: name, source, result: 'unknown', why: `a rule of it may allow this, depending on ${missingInputs(context.needs)}${selectorNote}` };
  return { policy: name, source, result: 'allows-nothing', why: `none of its ${rules.length} ${direction} rule${rules.length > 1 ? 's' : ''} matches this ${direction === 'ingress' ? 'source' : 'destination'} and port${selectorNote}` };
}

function describeRule(peers: number, ports: number): string {
  const who = peers === 0 ? 'every peer' : 'this peer';
  const which = ports === 0 ? 'on every port' : 'on this port';
  return `${who} ${which}`;
}

function agrees(felix: FelixVerdict, decision: PolicyDecision): boolean | undefined {
  if (felix.verdict === 'not-reached') return undefined;
  return felix.verdict === decision;
}

const FELIX_POLICY_COMMENT = /--comment "(?:Policy|KubernetesNetworkPolicy|StagedKubernetesNetworkPolicy) ([^"\s]+) (?:ingress|egress)"/;

/** felix's name for a Kubernetes policy is `<ns>/knp.default.<name>` (tier default); Kubernetes calls it `<ns>/<name>`. */
export function kubernetesPolicyName(felixName: string): string {
  return felixName.replace(/^([^/]+)\/knp\.default\./, '$1/');
}

/** The Kubernetes policy a felix policy chain enforces, from the comment felix writes on its rules. */
function policyOfChain(ns: NetNamespace | undefined, chain: string): string | undefined {
  const rules = ns?.netfilter?.tables['filter']?.chains[chain]?.rules ?? [];
  for (const rule of rules) {
    const m = FELIX_POLICY_COMMENT.exec(rule.text);
    if (m) return kubernetesPolicyName(m[1]!);
  }
  return undefined;
}

/** What felix's cali-tw-/cali-fw- chain of the pod's interface did on this path. */
function felixVerdict(topology: Topology, path: TracePath, pod: Pod, direction: Direction): FelixVerdict | undefined {
  if (pod.hostInterface === undefined) return undefined;
  const node = nodeOf(topology, pod);
  if (!node || !Object.keys(node.netns.netfilter?.tables['filter']?.chains ?? {}).some((c) => c.startsWith('cali-'))) return undefined;
  const endpointChain = `${direction === 'ingress' ? 'cali-tw-' : 'cali-fw-'}${pod.hostInterface}`;
  const steps = path.hops.filter((h) => h.at === node.name).flatMap((h) => h.steps).filter((s): s is NetfilterStep => s.type === 'netfilter' && s.table === 'filter');
  const inChain = steps.filter((s) => s.chain === endpointChain);
  if (inChain.length === 0) return { node: node.name, endpointChain, policyChains: [], verdict: 'not-reached' };
  const policyChains = inChain
    .filter((s) => (s.action === 'jump' || s.action === 'goto') && s.target !== undefined && /^cali-p[io]-/.test(s.target))
    .map((s) => {
      const policy = policyOfChain(node.netns, s.target!);
      return policy === undefined ? { chain: s.target! } : { chain: s.target!, policy };
    });
  const tierDrop = inChain.find((s) => s.action === 'drop' && /End of tier|Drop if no policies passed packet/.test(s.rule));
  const policyReturn = inChain.find((s) => s.action === 'return' && /Return if policy accepted/.test(s.rule));
  const verdict: FelixVerdict = { node: node.name, endpointChain, policyChains, verdict: 'not-isolated' };
  if (tierDrop) {
    verdict.verdict = 'denied';
    verdict.rule = tierDrop.rule;
  } else if (policyReturn) {
    verdict.verdict = 'allowed';
    verdict.rule = policyReturn.rule;
  } else {
    const last = inChain[inChain.length - 1]!;
    verdict.rule = last.rule;
  }
  return verdict;
}

function summarise(enforcement: PolicyEnforcement, judgements: PolicyJudgement[], given: boolean, path: TracePath): string {
  const denied = judgements.filter((j) => j.decision === 'denied');
  const said = denied.length > 0
    ? `NetworkPolicy denies this: ${denied.map((j) => `${j.direction} of ${j.pod}`).join(' and ')}`
    : judgements.some((j) => j.decision === 'unknown')
      ? 'what NetworkPolicy decides is not known from the inputs'
      : `NetworkPolicy allows this (${judgements.map((j) => `${j.direction} of ${j.pod}: ${j.decision}`).join('; ')})`;
  switch (enforcement) {
    case 'not-enforced': {
      const selected = judgements.some((j) => j.policies.length > 0);
      return selected
        ? `${said}; but Flannel alone does not enforce NetworkPolicy (no policy engine's chains on any node): the policy has no effect on this path`
        : `${said}; Flannel alone does not enforce NetworkPolicy anyway (no policy engine's chains on any node)`;
    }
    case 'felix': {
      if (!given) return 'felix enforces NetworkPolicy on this path (its policy chains are in the dumps); the policies themselves are not in the inputs';
      const disagreeing = judgements.filter((j) => j.felix?.agrees === false);
      if (disagreeing.length > 0) {
        return `${said}; but felix's chains in the dumps disagree (${disagreeing.map((j) => `${j.felix!.endpointChain}: ${j.felix!.verdict}`).join('; ')}): the dumps may be older or newer than the policies, or felix has not programmed them`;
      }
      const checked = judgements.filter((j) => j.felix?.agrees === true).map((j) => j.felix!.endpointChain);
      return checked.length > 0 ? `${said}; felix enforces it (${checked.join(', ')} agree)` : `${said}; felix enforces NetworkPolicy here${path.disposition === 'delivered' ? '' : ' (the packet did not reach the chains that would judge it)'}`;
    }
    case 'unknown':
      return `${said}; whether the CNI enforces it is not known from the dumps (no felix chains; Cilium and other eBPF engines leave no iptables rules)`;
    default: {
      const _: never = enforcement;
      return _;
    }
  }
}
