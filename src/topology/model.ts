// The cluster's network as podpath understands it. Built by src/topology/build
// from parsed dump records; read by the tracer, the explainer and the UI, which
// never look at dump text themselves. Everything here is plain data (JSON-safe).

import type { NetworkPolicy } from './policy/model.ts';

/** Where a fact came from, so every step of a trace can point at its dump line. */
export interface SourceRef {
  file: string;
  /** 1-based line in that file (in a transcript: the line in the transcript). */
  line: number;
}

export type { Warning } from '../util/warning.ts';
import type { Warning } from '../util/warning.ts';

export interface InterfaceAddress {
  family: 4 | 6;
  address: string;
  prefixLength: number;
  scope?: string;
  broadcast?: string;
  peer?: string;
}

export interface VxlanInfo {
  vni: number;
  /** UDP destination port (`dstport`); the kernel default is 8472 when iproute2 omits it. */
  port: number;
  local?: string;
  /** Underlay device (`dev eth0`). */
  device?: string;
  learning: boolean;
}

export interface IpipInfo {
  local?: string;
  remote?: string;
}

/** What an interface is to pod networking: decided once in the build, asked through topology/roles.ts. */
export type InterfaceRole = 'underlay' | 'bridge' | 'pod-veth' | 'vxlan' | 'ipip' | 'loopback' | 'docker-bridge' | 'other';

export interface NetInterface {
  /** ifindex inside its own network namespace. */
  index: number;
  name: string;
  /** 'veth' | 'bridge' | 'vxlan' | 'ipip' | 'loopback' | 'ether' | 'dummy' | … as `ip -d link` says. */
  kind?: string;
  mtu?: number;
  mac?: string;
  state?: string;
  flags: string[];
  /** Bridge (or other master) this interface is enslaved to. */
  master?: string;
  /** `@ifN`: ifindex of the peer, in the namespace given by linkNetnsId. */
  peerIndex?: number;
  linkNetnsId?: number;
  /** `link-netns NAME`: the peer's namespace by name (named netns, e.g. `ip netns add`). */
  linkNetns?: string;
  addresses: InterfaceAddress[];
  vxlan?: VxlanInfo;
  ipip?: IpipInfo;
  /** Set by the build (topology/roles.ts): read it through roleOf. */
  role?: InterfaceRole;
  /** Kernel sysctl-like facts when known (e.g. proxy_arp on Calico's cali*). */
  proxyArp?: boolean;
  source?: SourceRef;
}

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'multicast' | 'anycast';

export interface NextHop {
  via?: string;
  dev?: string;
  weight?: number;
  onlink: boolean;
}

export interface Route {
  /** 'main', 'local', or the table's name/number as the dump spells it. */
  table: string;
  type: RouteType;
  /** 'default' or a prefix in CIDR form ('192.168.2.0/24', '10.0.0.1/32'). */
  dst: string;
  family: 4 | 6;
  via?: string;
  dev?: string;
  src?: string;
  proto?: string;
  scope?: string;
  metric?: number;
  /** The route's `mtu` attribute (RTAX_MTU), which overrides the device's MTU for this destination. */
  mtu?: number;
  onlink: boolean;
  linkdown?: boolean;
  /** Multipath routes: several next hops. */
  nexthops?: NextHop[];
  source: SourceRef;
}

export interface RoutingRule {
  priority: number;
  table: string;
  from?: string;
  to?: string;
  fwmark?: string;
  iif?: string;
  oif?: string;
  not?: boolean;
  action?: string;
  source: SourceRef;
}

export interface Neighbour {
  ip: string;
  dev: string;
  mac?: string;
  /** e.g. ['PERMANENT'], ['REACHABLE'], ['STALE'], ['FAILED'] */
  state: string[];
  router?: boolean;
  source: SourceRef;
}

export interface FdbEntry {
  mac: string;
  dev: string;
  /** VXLAN remote (underlay IP) for `dst` entries. */
  dst?: string;
  master?: string;
  vlan?: number;
  self: boolean;
  permanent: boolean;
  state?: string;
  source: SourceRef;
}

export interface Bridge {
  name: string;
  id?: string;
  stp?: boolean;
  ports: string[];
}

// ---- netfilter (iptables-save) ----

/** One option of a rule, tagged with the match module that owns it. */
export interface RuleOption {
  /** 'basic' for -s -d -i -o -p -f; otherwise the `-m` module ('tcp', 'comment', 'statistic', 'mark', …). */
  module: string;
  /** Long option name without dashes, e.g. 's', 'dport', 'probability', 'comment'. */
  option: string;
  values: string[];
  negated: boolean;
}

export interface RuleTarget {
  /** 'ACCEPT', 'DROP', 'DNAT', 'MARK', 'KUBE-SVC-…' (a user chain), … */
  name: string;
  /** -g instead of -j */
  goto: boolean;
  options: RuleOption[];
}

export interface Counters {
  packets: number;
  bytes: number;
}

export interface NfRule {
  table: string;
  chain: string;
  /** 1-based position in its chain. */
  index: number;
  /** The rule as the dump has it (`-A KUBE-SVC-… -m statistic …`), counters stripped. */
  text: string;
  options: RuleOption[];
  target?: RuleTarget;
  counters?: Counters;
  source: SourceRef;
}

export interface NfChain {
  name: string;
  builtin: boolean;
  /** Built-in chains only: ACCEPT or DROP. */
  policy?: string;
  counters?: Counters;
  rules: NfRule[];
}

export interface NfTable {
  name: string;
  chains: Record<string, NfChain>;
}

export interface Netfilter {
  tables: Record<string, NfTable>;
  /** ip sets where a dump gave them (`ipset list` / `ipset save`); absent sets are unknown. */
  ipsets?: Record<string, IpSet>;
  /** nf_tables tables from `nft list ruleset` (or `nft -j`), in the ruleset's order (the order they were created). */
  nft?: NftTable[];
  /** `ipvsadm -Ln` / `-Sn`: the IPVS virtual services, when dumped. */
  ipvs?: IpvsService[];
}

/** One ip set from `ipset list` or `ipset save`. */
export interface IpSet {
  name: string;
  /** 'hash:ip', 'hash:net', 'hash:ip,port', 'bitmap:port', 'list:set' …: the method, then one word per dimension. */
  type: string;
  /** Members as ipset prints them ('10.96.0.10,udp:53', '10.0.0.0/8', '30080', another set's name), options dropped. */
  members: string[];
  /** Members added with `nomatch` (hash:net): excluded from a matching wider member. */
  nomatch?: string[];
  source: SourceRef;
}

// ---- nf_tables (nft list ruleset) ----
// A closed vocabulary of the expressions the tracer evaluates; the text and the
// JSON parser (src/topology/parse/nft/) both produce it. A rule is evaluated
// left to right as the kernel does: a match that fails ends the rule, a
// statement acts, a verdict ends it.

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

/** Something a rule reads from the packet or its context. */
export type NftOperand =
  | { kind: 'payload'; protocol: string; field: string }
  | { kind: 'meta'; key: string }
  | { kind: 'ct'; key: string }
  | { kind: 'fib'; flags: string[]; result: string }
  | { kind: 'numgen'; mode: 'random' | 'inc'; mod: number; offset: number }
  | { kind: 'concat'; parts: NftOperand[] }
  | { kind: 'binop'; op: '&' | '|' | '^'; left: NftOperand; right: number }
  | { kind: 'value'; value: string };

/** The right side of a match: literal values (one, or an anonymous set's), or a named set. */
export type NftRight =
  | { kind: 'values'; values: string[][] }
  | { kind: 'set'; name: string };

export type NftVerdict =
  | { kind: 'accept' | 'drop' | 'return' | 'continue' }
  | { kind: 'jump' | 'goto'; target: string };

export type NftExpr =
  | { kind: 'match'; left: NftOperand; op: '==' | '!=' | '<' | '>' | '<=' | '>='; right: NftRight }
  | { kind: 'vmap'; key: NftOperand; map: NftRight | { kind: 'elements'; elements: NftElement[] } }
  | { kind: 'verdict'; verdict: NftVerdict }
  | { kind: 'reject'; with?: string }
  | { kind: 'nat'; type: 'dnat' | 'snat' | 'masquerade' | 'redirect'; addr?: string; port?: number; flags: string[] }
  | { kind: 'mangle'; key: NftOperand; value: NftOperand }
  | { kind: 'notrack' }
  /** A statement that does not change where the packet goes (counter, log, limit, set update, nftrace). */
  | { kind: 'passive'; what: string }
  /** What podpath could not read; the rule is assumed not to match (and the trace says so). */
  | { kind: 'unknown'; text: string };

export interface NftElement {
  /** One value per concatenated field (`172.30.0.44 . tcp . 80` → three). */
  key: string[];
  /** A map's value: a verdict for verdict maps, else the data's values. */
  verdict?: NftVerdict;
  data?: string[];
  comment?: string;
}

export interface NftSet {
  name: string;
  kind: 'set' | 'map';
  /** Key types, one per concatenated field (`ipv4_addr . inet_proto . inet_service`). */
  keyType: string[];
  /** A map's value type ('verdict', 'ipv4_addr' …). */
  valueType?: string;
  flags: string[];
  elements: NftElement[];
  /** Default element timeout in seconds (`timeout 3h`), for dynamic sets such as kube-proxy's affinity sets. */
  timeoutSeconds?: number;
  comment?: string;
  source: SourceRef;
}

export interface NftBaseChain {
  type: 'filter' | 'nat' | 'route';
  hook: string;
  /** Numeric priority (dstnat = -100, `dstnat - 10` = -110 …). */
  priority: number;
  policy: 'accept' | 'drop';
  device?: string;
}

export interface NftRule {
  family: NftFamily;
  table: string;
  chain: string;
  /** 1-based position in its chain. */
  index: number;
  /** The rule as `nft list ruleset` prints it (counters and handles left out). */
  text: string;
  exprs: NftExpr[];
  comment?: string;
  handle?: number;
  source: SourceRef;
}

export interface NftChain {
  name: string;
  base?: NftBaseChain;
  rules: NftRule[];
  comment?: string;
  source: SourceRef;
}

export interface NftTable {
  family: NftFamily;
  name: string;
  chains: Record<string, NftChain>;
  sets: Record<string, NftSet>;
  comment?: string;
  /** iptables-nft's own table ("managed by iptables-nft"): the same rules iptables-save shows. */
  iptablesNft?: boolean;
  source: SourceRef;
}

// ---- IPVS (ipvsadm -Ln / -Sn) ----

export interface IpvsRealServer {
  address: string;
  port: number;
  /** 'masq' (NAT), 'route' (direct routing), 'tunnel' (IP-in-IP), 'local'. */
  forward: 'masq' | 'route' | 'tunnel' | 'local';
  weight: number;
  source: SourceRef;
}

export interface IpvsService {
  protocol: 'tcp' | 'udp' | 'sctp';
  address: string;
  port: number;
  /** Scheduler: rr, wrr, lc, wlc, sh, dh, mh … */
  scheduler: string;
  persistentSeconds?: number;
  realServers: IpvsRealServer[];
  source: SourceRef;
}

// ---- one network namespace: a node's root namespace or a pod's ----

export interface NetNamespace {
  /** Node name, or pod name for a pod. */
  name: string;
  kind: 'node' | 'pod';
  interfaces: NetInterface[];
  routes: Route[];
  rules: RoutingRule[];
  neighbours: Neighbour[];
  fdb: FdbEntry[];
  bridges: Bridge[];
  netfilter?: Netfilter;
  /** Which kinds of dump were read for this namespace ('addr', 'link', 'route', 'neigh', 'fdb', 'brctl', 'iptables', 'rule', 'sysctl'). */
  dumps: string[];
  /** Kernel settings read from `sysctl`, `ip netconf` or /proc/sys (`net.ipv4.ip_forward`: '1', `net.ipv4.conf.cni0.forwarding`: '0' …); absent keys are unknown. */
  sysctls?: Record<string, string>;
}

// ---- the cluster ----

export interface ClusterNode {
  name: string;
  /** Underlay addresses (the node's own, not pod gateways or VTEP addresses). */
  addresses: string[];
  /** Pod CIDRs this node serves, as far as the routes show. */
  podCIDRs: string[];
  netns: NetNamespace;
}

export interface Pod {
  name: string;
  namespace?: string;
  node: string;
  ip: string;
  /** The node-side interface of the pod's veth pair (matched by @ifN indexes), when known. */
  hostInterface?: string;
  /** The pod-side interface (usually eth0). */
  podInterface?: string;
  mac?: string;
  /** The pod's own namespace, when its dumps were given. */
  netns?: NetNamespace;
  /** True when no name is known (seen only as a node's /32 route or bridge neighbour); `name` is then its IP. */
  unnamed?: boolean;
  /** The pod's labels (`kubectl get pods --show-labels` or `-o json`), when given: what NetworkPolicy selectors match. */
  labels?: Record<string, string>;
  /** Its containers' ports (`kubectl get pods -o json|yaml`), when given: what a named port (`port: http`) resolves to. */
  containerPorts?: { name?: string; port: number; protocol: 'tcp' | 'udp' | 'sctp' }[];
}

/** A namespace as `kubectl get ns --show-labels` / `-o json` gives it: what a namespaceSelector matches. */
export interface NamespaceLabels {
  name: string;
  labels: Record<string, string>;
  source: { file: string; line?: number; pointer?: string };
}

export interface Endpoint {
  ip: string;
  port: number;
  /** The share of new connections this endpoint really gets (1/n for kube-proxy's chained 1/(n-i)). */
  probability: number;
  /** The probability written on its rule (`--probability`), absent on the last one. */
  ruleProbability?: number;
  sepChain?: string;
  /** Pod and node that hold this address, when the model knows them. */
  pod?: string;
  node?: string;
}

export interface Service {
  namespace: string;
  name: string;
  portName?: string;
  clusterIP?: string;
  port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  nodePorts: number[];
  externalIPs: string[];
  /** LoadBalancer ingress IPs kube-proxy captures ("… loadbalancer IP" rules), when any. */
  loadBalancerIPs?: string[];
  svcChain?: string;
  endpoints: Endpoint[];
  /** filter KUBE-SERVICES REJECT "has no endpoints" seen. */
  noEndpointsReject: boolean;
  sessionAffinitySeconds?: number;
  /** Nodes whose rules define this service. */
  seenOn: string[];
  /** True when the name came from recomputing kube-proxy's chain-name hash (no comments). */
  recoveredByHash?: boolean;
  /** spec.type from `kubectl get svc -o json|yaml` (ClusterIP, NodePort, LoadBalancer), when given. */
  type?: string;
  /** spec.ports[].targetPort from kubectl's JSON/YAML: a number, or a container port's name each endpoint pod resolves. */
  targetPort?: number | string;
}

export interface Vtep {
  node: string;
  device: string;
  vni: number;
  port: number;
  local?: string;
  /** The underlay device the VXLAN packets leave by (`dev eth0` in `ip -d link`), when dumped. */
  underlayDevice?: string;
  mac?: string;
  /** Remote VTEPs from the FDB (and neighbour table): MAC → underlay address. */
  remotes: {
    mac: string;
    dst: string;
    node?: string;
    innerIP?: string;
    /** Set when no FDB entry was dumped and the remote was worked out from a route to the peer's pod CIDR ('' mac when no neighbour entry either). */
    inferredFrom?: string;
  }[];
  /** Set when `ip -d link` was not dumped and the VNI/port are the CNI's defaults. */
  assumed?: boolean;
}

export type CniPlugin = 'flannel' | 'calico' | 'aws-vpc-cni' | 'unknown';
/** 'vpc': pods hold addresses of the node's ENIs in the VPC itself and are routed by it, with no overlay (AWS VPC CNI). */
export type CniMode = 'vxlan' | 'host-gw' | 'ipip' | 'bgp' | 'vpc' | 'unknown';

export interface CniDetection {
  plugin: CniPlugin;
  mode: CniMode;
  /** Human-readable reasons with their sources ("flannel.1: vxlan id 1 dstport 8472"). */
  evidence: string[];
}

export type KubeProxyMode = 'iptables' | 'nftables' | 'ipvs' | 'unknown';

export interface KubeProxyDetection {
  mode: KubeProxyMode;
  /** One line per node and sign ("worker-1: table ip kube-proxy (nft.txt:23) with map service-ips (4 elements), …"). */
  evidence: string[];
}

export interface Topology {
  nodes: ClusterNode[];
  pods: Pod[];
  services: Service[];
  vteps: Vtep[];
  cni: CniDetection;
  /** kube-proxy's mode as the nodes' rules show it. */
  kubeProxy?: KubeProxyDetection;
  /** NetworkPolicy objects (`kubectl get networkpolicy -A -o yaml|json`), as written; src/trace/policy.ts judges them. */
  networkPolicies: NetworkPolicy[];
  /** Namespace labels (`kubectl get ns --show-labels` / `-o json`), when given; NetworkPolicy namespaceSelectors match them. */
  namespaces?: NamespaceLabels[];
  warnings: Warning[];
}
