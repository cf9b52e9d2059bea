// Kubernetes NetworkPolicy (networking.k8s.io/v1) as podpath models it: the fields that decide
// which pods a policy selects and which peers and ports its rules allow. Plain data, JSON-safe.
// The semantics (k8s.io/docs/concepts/services-networking/network-policies):
//   - a policy selects the pods of its own namespace that match spec.podSelector ({} = all);
//   - policyTypes says for which directions it isolates them; when absent it is Ingress, plus
//     Egress if the policy has an egress section;
//   - a pod selected for a direction by at least one policy is isolated for it: only what some
//     rule of some selecting policy allows passes (rules add up, there is no deny rule);
//   - a rule allows a peer when any of its from/to entries matches (none = every peer) and the
//     port when any of its ports matches (none = every port); replies are always allowed.
/** Where a policy or rule came from (the same shape as the topology's SourceRef; kept here so the model files do not import each other). */
export interface SourceRef {
  file: string;
  line: number;
}

export type PolicyType = 'Ingress' | 'Egress';

/** matchExpressions' operators (metav1.LabelSelectorOperator). */
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface SelectorExpression {
  key: string;
  operator: SelectorOperator;
  values: string[];
}

/** A metav1.LabelSelector; both parts empty selects everything. */
export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: SelectorExpression[];
}

export interface IpBlock {
  cidr: string;
  except: string[];
}

/**
 * One entry of a rule's from/to list. podSelector alone: pods of the policy's namespace;
 * namespaceSelector alone: every pod of the matching namespaces; both: the matching pods of
 * the matching namespaces; ipBlock: addresses (meant for outside the cluster).
 */
export type PolicyPeer =
  | { kind: 'pods'; podSelector: LabelSelector; namespaceSelector?: LabelSelector }
  | { kind: 'namespaces'; namespaceSelector: LabelSelector }
  | { kind: 'ip-block'; ipBlock: IpBlock };

export type PolicyProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface PolicyPort {
  protocol: PolicyProtocol;
  /** A number, or a named container port (which only the pod spec resolves); absent: every port. */
  port?: number | string;
  /** With a numeric port: the range port..endPort. */
  endPort?: number;
}

export interface PolicyRule {
  /** from (ingress) or to (egress); empty: every peer. */
  peers: PolicyPeer[];
  /** empty: every port. */
  ports: PolicyPort[];
  source: SourceRef;
}

export interface NetworkPolicy {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  /** After the default (Ingress, plus Egress when egress rules are given). */
  policyTypes: PolicyType[];
  /** True when policyTypes came from the default, not the object. */
  policyTypesDefaulted: boolean;
  ingress: PolicyRule[];
  egress: PolicyRule[];
  source: SourceRef;
}
