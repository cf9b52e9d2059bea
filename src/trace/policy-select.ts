// NetworkPolicy's matching rules, three-valued: a selector, peer or port either matches, does
// not, or cannot be decided from the dumps (a pod's labels not given, a namespace label other
// than kubernetes.io/metadata.name, a named port). Kubernetes' own semantics
// (k8s.io/apimachinery labels.Selector, networking/v1 NetworkPolicyPeer):
//   - matchLabels and matchExpressions are ANDed; an empty selector matches everything;
//   - NotIn and DoesNotExist match an object without the key;
//   - every namespace carries kubernetes.io/metadata.name=<its name> (Kubernetes ≥ 1.21).
import { cidrContains } from '../util/address.ts';
import type { LabelSelector, NetworkPolicy, PolicyPeer, PolicyPort, PolicyRule } from '../topology/policy/model.ts';

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

/** A namespace as a selector sees it: only its name label is known from the dumps. */
export function namespaceMatches(selector: LabelSelector, namespace: string): Match {
  return selectorMatches(selector, { [NAMESPACE_NAME_LABEL]: namespace }, (key) => key === NAMESPACE_NAME_LABEL);
}

/** The other end of the connection, as a policy's peers see it. */
export interface PolicyPeerEnd {
  ip: string;
  /** When the address is a pod's: its namespace and labels (undefined when not given). */
  pod?: { name: string; namespace: string; labels: Record<string, string> | undefined };
}

/** Does one from/to entry of a policy in `policyNamespace` match the peer? */
export function peerMatches(peer: PolicyPeer, policyNamespace: string, end: PolicyPeerEnd): Match {
  switch (peer.kind) {
    case 'ip-block': {
      const inside = cidrContains(peer.ipBlock.cidr, end.ip) && !peer.ipBlock.except.some((e) => cidrContains(e, end.ip));
      return inside ? 'yes' : 'no';
    }
    case 'pods': {
      if (end.pod === undefined) return 'no';
      const namespace = peer.namespaceSelector === undefined ? (end.pod.namespace === policyNamespace ? 'yes' : 'no') : namespaceMatches(peer.namespaceSelector, end.pod.namespace);
      return and(namespace, selectorMatches(peer.podSelector, end.pod.labels));
    }
    case 'namespaces':
      return end.pod === undefined ? 'no' : namespaceMatches(peer.namespaceSelector, end.pod.namespace);
    default: {
      const _: never = peer;
      return _;
    }
  }
}

export function portMatches(port: PolicyPort, proto: string, dport: number | undefined): Match {
  if (port.protocol.toLowerCase() !== proto) return 'no';
  if (port.port === undefined) return 'yes';
  if (typeof port.port === 'string') return 'unknown'; // a named port: only the pod's container spec says which number
  if (dport === undefined) return 'unknown';
  return dport >= port.port && dport <= (port.endPort ?? port.port) ? 'yes' : 'no';
}

/** A rule allows when one of its peers matches (none listed: every peer) and one of its ports does (none: every port). */
export function ruleAllows(rule: PolicyRule, policyNamespace: string, end: PolicyPeerEnd, proto: string, dport: number | undefined): Match {
  const peers = rule.peers.length === 0 ? 'yes' : anyOf(rule.peers.map((p) => peerMatches(p, policyNamespace, end)));
  const ports = rule.ports.length === 0 ? 'yes' : anyOf(rule.ports.map((p) => portMatches(p, proto, dport)));
  return and(peers, ports);
}

/** Whether the policy selects a pod (its own namespace only) for a direction. */
export function policySelects(policy: NetworkPolicy, direction: 'Ingress' | 'Egress', pod: { namespace: string; labels: Record<string, string> | undefined }): Match {
  if (!policy.policyTypes.includes(direction) || policy.namespace !== pod.namespace) return 'no';
  return selectorMatches(policy.podSelector, pod.labels);
}
