// NetworkPolicy's matching rules, three-valued: a selector, peer or port either matches, does
// not, or cannot be decided from the inputs (a pod's labels not given; a namespace label other
// than kubernetes.io/metadata.name without `kubectl get ns --show-labels`; a named port without
// the destination pod's container ports from `kubectl get pods -o json`). What was missing is
// noted in `needs`, so the verdict can name the command that settles it. Kubernetes' own semantics
// (k8s.io/apimachinery labels.Selector, networking/v1 NetworkPolicyPeer):
//   - matchLabels and matchExpressions are ANDed; an empty selector matches everything;
//   - NotIn and DoesNotExist match an object without the key;
//   - every namespace carries kubernetes.io/metadata.name=<its name> (Kubernetes ≥ 1.21);
//   - a named port (`port: http`) is looked up in the destination pod's containers' ports
//     (name and protocol); a pod without a port of that name, or a destination that is not a
//     pod, matches nothing.
import { cidrContains } from '../util/address.ts';
import type { LabelSelector, NetworkPolicy, PolicyPeer, PolicyPort, PolicyRule } from '../topology/policy/model.ts';
import type { NamespaceLabels, Pod } from '../topology/model.ts';

/** An input whose absence left a match unknown. */
export type PolicyNeed = 'pod-labels' | 'namespace-labels' | 'container-ports';

/** The kubectl command that gives each missing input. */
export const NEED_COMMAND: Record<PolicyNeed, string> = {
  'pod-labels': 'kubectl get pods -A -o wide --show-labels',
  'namespace-labels': 'kubectl get ns --show-labels',
  'container-ports': 'kubectl get pods -A -o json',
};

/** What the inputs know beyond the packet: namespaces' labels and the destination's ports. */
export interface MatchContext {
  /** `kubectl get ns`'s namespaces with their labels; undefined when not given. */
  namespaces?: NamespaceLabels[] | undefined;
  /** The destination: a pod (its container ports undefined when not given) or not a pod. */
  destination?: { isPod: false } | { isPod: true; ports: Pod['containerPorts'] };
  /** Filled with the inputs whose absence left something unknown. */
  needs?: Set<PolicyNeed>;
}

export type Match = 'yes' | 'no' | 'unknown';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function and(a: Match, b: Match): Match {
  if (a === 'no' || b === 'no') return 'no';
  return a === 'unknown' || b === 'unknown' ? 'unknown' : 'yes';
}

function or(a: Match, b: Match): Match {
  if (a === 'yes' || b === 'yes') return 'yes';
  return a === 'unknown' || b === 'unknown' ? 'unknown' : 'no';
}

export const anyOf = (matches: Match[]): Match => matches.reduce(or, 'no');
const allOf = (matches: Match[]): Match => matches.reduce(and, 'yes');

export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels).length === 0 && selector.matchExpressions.length === 0;
}

/**
 * Whether a selector matches an object's labels; `known` says which keys the dumps know the
 * value (or absence) of: all of them for a pod listed with --show-labels, only
 * kubernetes.io/metadata.name for a namespace.
 */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined, known: (key: string) => boolean = () => labels !== undefined): Match {
  const value = (key: string): string | undefined => (labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined);
  const checks: Match[] = [];
  for (const [key, wanted] of Object.entries(selector.matchLabels)) {
    checks.push(known(key) ? (value(key) === wanted ? 'yes' : 'no') : 'unknown');
  }
  for (const e of selector.matchExpressions) {
    if (!known(e.key)) {
      checks.push('unknown');
      continue;
    }
    const v = value(e.key);
    switch (e.operator) {
      case 'In':
        checks.push(v !== undefined && e.values.includes(v) ? 'yes' : 'no');
        break;
      case 'NotIn':
        checks.push(v === undefined || !e.values.includes(v) ? 'yes' : 'no');
        break;
      case 'Exists':
        checks.push(v !== undefined ? 'yes' : 'no');
        break;
      case 'DoesNotExist':
        checks.push(v === undefined ? 'yes' : 'no');
        break;
      default: {
        const _: never = e.operator;
        return _;
      }
    }
  }
  return allOf(checks);
}

/**
 * A namespace as a selector sees it: its labels when `kubectl get ns` listed it (with its name
 * label, which the API server sets on every namespace), else only the name label.
 */
export function namespaceMatches(selector: LabelSelector, namespace: string, context: MatchContext = {}): Match {
  const listed = context.namespaces?.find((n) => n.name === namespace);
  if (listed) return selectorMatches(selector, { ...listed.labels, [NAMESPACE_NAME_LABEL]: namespace });
  const match = selectorMatches(selector, { [NAMESPACE_NAME_LABEL]: namespace }, (key) => key === NAMESPACE_NAME_LABEL);
  if (match === 'unknown') context.needs?.add('namespace-labels');
  return match;
}

/** selectorMatches on a pod's labels, noting when they were not given. */
function podLabelsMatch(selector: LabelSelector, labels: Record<string, string> | undefined, context: MatchContext): Match {
  const match = selectorMatches(selector, labels);
  if (match === 'unknown') context.needs?.add('pod-labels');
  return match;
}

/** The other end of the connection, as a policy's peers see it. */
export interface PolicyPeerEnd {
  ip: string;
  /** When the address is a pod's: its namespace and labels (undefined when not given). */
  pod?: { name: string; namespace: string; labels: Record<string, string> | undefined };
}

/** Does one from/to entry of a policy in `policyNamespace` match the peer? */
export function peerMatches(peer: PolicyPeer, policyNamespace: string, end: PolicyPeerEnd, context: MatchContext = {}): Match {
  switch (peer.kind) {
    case 'ip-block': {
      const inside = cidrContains(peer.ipBlock.cidr, end.ip) && !peer.ipBlock.except.some((e) => cidrContains(e, end.ip));
      return inside ? 'yes' : 'no';
    }
    case 'pods': {
      if (end.pod === undefined) return 'no';
      const namespace = peer.namespaceSelector === undefined ? (end.pod.namespace === policyNamespace ? 'yes' : 'no') : namespaceMatches(peer.namespaceSelector, end.pod.namespace, context);
      return namespace === 'no' ? 'no' : and(namespace, podLabelsMatch(peer.podSelector, end.pod.labels, context));
    }
    case 'namespaces':
      return end.pod === undefined ? 'no' : namespaceMatches(peer.namespaceSelector, end.pod.namespace, context);
    default: {
      const _: never = peer;
      return _;
    }
  }
}

export function portMatches(port: PolicyPort, proto: string, dport: number | undefined, context: MatchContext = {}): Match {
  if (port.protocol.toLowerCase() !== proto) return 'no';
  if (port.port === undefined) return 'yes';
  if (typeof port.port === 'string') {
    // A named port: only the destination pod's containers say which number it is.
    const destination = context.destination;
    if (destination?.isPod === false) return 'no';
    if (destination === undefined || destination.ports === undefined || dport === undefined) {
      context.needs?.add('container-ports');
      return 'unknown';
    }
    const named = destination.ports.find((p) => p.name === port.port && p.protocol === proto);
    return named !== undefined && named.port === dport ? 'yes' : 'no';
  }
  if (dport === undefined) return 'unknown';
  return dport >= port.port && dport <= (port.endPort ?? port.port) ? 'yes' : 'no';
}

/** A rule allows when one of its peers matches (none listed: every peer) and one of its ports does (none: every port). */
export function ruleAllows(rule: PolicyRule, policyNamespace: string, end: PolicyPeerEnd, proto: string, dport: number | undefined, context: MatchContext = {}): Match {
  const peers = rule.peers.length === 0 ? 'yes' : anyOf(rule.peers.map((p) => peerMatches(p, policyNamespace, end, context)));
  const ports = rule.ports.length === 0 ? 'yes' : anyOf(rule.ports.map((p) => portMatches(p, proto, dport, context)));
  return and(peers, ports);
}

/** Whether the policy selects a pod (its own namespace only) for a direction. */
export function policySelects(policy: NetworkPolicy, direction: 'Ingress' | 'Egress', pod: { namespace: string; labels: Record<string, string> | undefined }, context: MatchContext = {}): Match {
  if (!policy.policyTypes.includes(direction) || policy.namespace !== pod.namespace) return 'no';
  return podLabelsMatch(policy.podSelector, pod.labels, context);
}
