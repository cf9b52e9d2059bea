// What a lab scenario is made of. The values here are the lab's own configuration
// (names, addresses, MACs, ifindexes taken from the user's dumps where they exist);
// everything that *happened* is measured later from captures and traces.

export type CniPlugin = 'flannel' | 'calico';
export type CniMode = 'vxlan' | 'host-gw' | 'bgp';

export interface NodeSpec {
  name: string;
  /** Underlay address on eth0, without prefix length (the underlay is a /24). */
  underlay: string;
  underlayMac: string;
  /** Pod subnet (Flannel lease) or IPAM block (Calico /26). */
  podCIDR: string;
  /** VTEP MAC of flannel.1 / vxlan.calico (vxlan modes). */
  vtepMac?: string;
  /** cni0 bridge MAC (Flannel). */
  bridgeMac?: string;
  docker0Mac?: string;
}

export interface PodSpec {
  name: string;
  node: string;
  ip: string;
  mac: string;
  /** The host side of the pod's veth (veth… for Flannel, cali… for Calico). */
  hostInterface: string;
  hostMac?: string;
  hostIfindex: number;
  /** TCP port a server listens on inside the pod. */
  serves?: number;
  /** UDP port an echo server listens on inside the pod (test/lab/lib/udp-echo.py). */
  servesUdp?: number;
  /** MTU of the pod's veth pair, both ends (default: the CNI's 1450); 1500 is the misconfigured pod of the MTU scenario. */
  mtu?: number;
  /** The pod's labels (namespace default), what NetworkPolicy selectors match; written to kubectl-get-pods.txt. */
  labels?: Record<string, string>;
}

/**
 * NetworkPolicy objects (networking.k8s.io/v1, as a user writes them) and the form the sample
 * holds them in: `kubectl get networkpolicy -A -o yaml` or `-o json` (a List). On Calico the lab
 * writes felix's chains for them (test/lab/lib/felix-policy.ts); on Flannel nothing enforces them.
 */
export interface PolicySpec {
  output: 'yaml' | 'json';
  items: NetworkPolicyObject[];
}

export interface NetworkPolicyObject {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: PolicyRuleObject[];
    egress?: PolicyRuleObject[];
  };
}

export interface PolicyRuleObject {
  from?: { podSelector: { matchLabels?: Record<string, string> } }[];
  to?: { podSelector: { matchLabels?: Record<string, string> } }[];
  ports?: { protocol: 'TCP' | 'UDP'; port: number }[];
}

export interface EndpointSpec {
  ip: string;
  port: number;
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  portName: string;
  clusterIP: string;
  port: number;
  protocol: 'tcp';
  nodePort?: number;
  endpoints: EndpointSpec[];
}

export interface ConnectionSpec {
  id: string;
  /** A pod name or a node name (host network). */
  from: string;
  /** ip:port the client connects to. */
  to: string;
  /** namespace/name:portName when `to` is a service address. */
  service?: string;
  /** Fixed client source port so the first SYN can be found in every capture. */
  sport: number;
  /** 'tcp' (curl, the default) or 'udp' (test/lab/lib/udp-probe.py: one datagram, then wait for the echo). */
  proto?: 'tcp' | 'udp';
  /** UDP only: the datagram's IP total length in bytes (payload = size − 28). */
  size?: number;
  /** UDP only: set DF (IP_PMTUDISC_DO) or not (IP_PMTUDISC_DONT, the kernel may fragment). */
  df?: boolean;
}

/** Something done to the lab after it is built and its servers run, before the captures start. */
export type Preparation =
  /** An extra route (`ip route add …` on a node), e.g. one with an `mtu` attribute. */
  | { kind: 'route'; node: string; route: string[] }
  /** A datagram from a node, so its neighbour entry for the address is REACHABLE (and its header cache filled). */
  | { kind: 'contact'; node: string; to: string }
  /** A neighbour entry written in a given state (`ip neigh replace … nud STATE`). */
  | { kind: 'neigh'; node: string; ip: string; dev: string; mac: string; state: 'stale' | 'permanent' | 'reachable' };

export interface Fault {
  kind: 'fdb-missing' | 'forward-drop' | 'no-route';
  /** The node where the fault is made. */
  node: string;
}

export interface ScenarioSpec {
  name: string;
  /** Short tag used in namespace names (pl-sf-w1). */
  tag: string;
  cni: { plugin: CniPlugin; mode: CniMode };
  clusterCIDR: string;
  gateway: string;
  nodes: NodeSpec[];
  pods: PodSpec[];
  services: ServiceSpec[];
  connections: ConnectionSpec[];
  fault?: Fault;
  prepare?: Preparation[];
  /** curl --max-time (default 2 s); also the window in which a reply counts as seen by the client. */
  clientTimeoutSeconds?: number;
  /** kube-proxy's mode: iptables (the default) or nftables (its rules in `table ip kube-proxy`, loaded with `nft -f`). */
  kubeProxyMode?: 'iptables' | 'nftables';
  /** NetworkPolicy objects in the cluster (Calico: enforced by felix's chains; Flannel: not enforced). */
  networkPolicies?: PolicySpec;
  /** Node whose `tcpdump -i any` capture is recorded. */
  anyCaptureNode: string;
  description: string;
}

/** VXLAN parameters each plugin uses (flannel pkg/backend/vxlan; calico felix vxlan_mgr). */
export const VXLAN = {
  flannel: { device: 'flannel.1', vni: 1, port: 8472 },
  calico: { device: 'vxlan.calico', vni: 4096, port: 4789 },
} as const;
