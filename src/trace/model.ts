// The trace model: a small, closed vocabulary (after Batfish's Trace/Hop/Step).
// A trace answers "where does this packet go and why does it stop there".
// Everything is plain data so `--json` prints it as it is.
import type { Warning } from '../util/warning.ts';

export type Protocol = 'tcp' | 'udp' | 'icmp' | 'sctp';

export interface Packet {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  proto: Protocol;
  /**
   * IP total length in bytes (header included), when the query gave one (`--size`). Once the
   * datagram is fragmented: the length of its first fragment, the one that carries the ports.
   */
  length?: number;
  /** The DF bit (`--df`/`--no-df`); with a size, the default is DF set, as Linux sets it (PMTU discovery). */
  df?: boolean;
  /** How many fragments the datagram travels in on this device (only once fragmented). */
  fragments?: number;
}

/** The outer header while the packet travels encapsulated. */
export interface OuterHeader {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** VXLAN network identifier; absent for IP-in-IP. */
  vni?: number;
  /** 'vxlan' or 'ipip'. */
  encapsulation: 'vxlan' | 'ipip';
}

export interface FieldDiff {
  field: 'src' | 'dst' | 'sport' | 'dport';
  old: string | number | undefined;
  new: string | number | undefined;
}

/** Where a dump fact came from (file and line), for every step that used one. */
export interface StepSource {
  file: string;
  line: number;
}

interface StepBase {
  /** One line of plain explanation, for people learning how the path works. */
  explanation: string;
  source?: StepSource;
}

export interface EnterInterfaceStep extends StepBase {
  type: 'enter-interface';
  interface: string;
}

export interface ExitInterfaceStep extends StepBase {
  type: 'exit-interface';
  interface: string;
}

/**
 * What a matched netfilter rule (or a chain's end) did to the walk:
 * - jump / goto: on to the user chain named by `target`
 * - return: a RETURN rule popped back to the calling chain (or, in a built-in chain, to its policy)
 * - end-of-chain: a user chain ran out of rules without a verdict; the walk returns to its caller
 * - accept / drop / reject: the table's verdict for this hook
 * - policy-accept / policy-drop: no rule of a built-in chain decided; its policy did
 * - mark: MARK or CONNMARK changed the packet's or the connection's mark
 * - untrack: NOTRACK (or CT --notrack) took the connection out of conntrack
 * - log: a target that does not change where the packet goes (LOG, NFLOG, TCPMSS …)
 * - continue: a rule without a target, or a target podpath does not model (assumed to continue)
 */
export type NetfilterAction =
  | 'jump'
  | 'goto'
  | 'return'
  | 'end-of-chain'
  | 'accept'
  | 'drop'
  | 'reject'
  | 'policy-accept'
  | 'policy-drop'
  | 'mark'
  | 'untrack'
  | 'log'
  | 'continue';

/** A netfilter rule or policy that decided something (a jump, an accept, a drop …). */
export interface NetfilterStep extends StepBase {
  type: 'netfilter';
  table: string;
  chain: string;
  /** The rule's line as the dump has it; for a policy `:FORWARD DROP`; for an end-of-chain `(end of CHAIN)`. Prose for people: code reads `action` and `target`. */
  rule: string;
  action: NetfilterAction;
  /** The rule's `-j`/`-g` target ('KUBE-SVC-…', 'ACCEPT', 'MARK' …); a policy's verdict ('ACCEPT' or 'DROP'); absent for end-of-chain and target-less rules. */
  target?: string;
  /** For statistic matches: the chance this rule is taken when reached. */
  probability?: number;
}

/** A NAT rule that rewrote the packet (DNAT, SNAT, MASQUERADE). */
export interface NatStep extends StepBase {
  type: 'nat';
  table: string;
  chain: string;
  rule: string;
  action: 'dnat' | 'snat' | 'masquerade';
  diffs: FieldDiff[];
}

/**
 * The routing decision: local (deliver to this namespace), forward (leave by a device),
 * blackhole / unreachable / prohibit (a route or rule of that type ends the packet), none (no
 * route contains the destination), unknown (the namespace's routes were not dumped).
 */
export type RouteResult = 'local' | 'forward' | 'blackhole' | 'unreachable' | 'prohibit' | 'none' | 'unknown';

export interface RouteStep extends StepBase {
  type: 'route';
  /** Routing table used ('main', 'local', …). */
  table: string;
  /** The chosen route as `ip route` prints it, or undefined when none matched. */
  chosen?: string;
  /** Other routes that matched but lost to a longer prefix or a lower metric. */
  losers: string[];
  result: RouteResult;
  outInterface?: string;
  nextHop?: string;
}

/**
 * found: `ip neigh` has a usable entry; failed: its entry is FAILED or INCOMPLETE (ARP got no
 * answer); proxy-arp: a host-side veth answers for an address nobody holds (Calico);
 * assumed: no entry, but the dumps show who holds the address and would answer;
 * missing: no entry in a dumped table and nobody in the dumps to answer (a fault);
 * unknown: the table was not dumped and no dump says who holds the address (never a fault).
 */
export type NeighbourResult = 'found' | 'failed' | 'proxy-arp' | 'assumed' | 'missing' | 'unknown';

export interface NeighbourStep extends StepBase {
  type: 'neighbour';
  ip: string;
  interface: string;
  mac?: string;
  result: NeighbourResult;
}

/** local: the frame is for the bridge itself (up to the IP stack); forward: the FDB names the port; flood: no FDB entry. */
export type BridgeResult = 'local' | 'forward' | 'flood';

export interface BridgeStep extends StepBase {
  type: 'bridge';
  bridge: string;
  mac: string;
  /** The port the frame leaves by, when known. */
  port?: string;
  result: BridgeResult;
}

export interface EncapsulateStep extends StepBase {
  type: 'encapsulate';
  device: string;
  vni?: number;
  localVtep: string;
  remoteVtep: string;
  outer: OuterHeader;
}

export interface DecapsulateStep extends StepBase {
  type: 'decapsulate';
  device: string;
  vni?: number;
  outer: OuterHeader;
}

export interface DeliverStep extends StepBase {
  type: 'deliver';
  /** Pod or node name that receives the packet. */
  to: string;
  port?: number;
}

export interface DropStep extends StepBase {
  type: 'drop';
  disposition: Exclude<Disposition, 'delivered' | 'exits-cluster'>;
  /** For 'insufficient-info': the dumps that would settle what happens next. */
  needs?: MissingDump[];
}

/** The packet leaves the cluster: routed out of a node towards a next hop that is no node or pod, for a destination outside every pod, node and service address. */
export interface ExitClusterStep extends StepBase {
  type: 'exit-cluster';
  interface: string;
  nextHop: string;
}

/** Something podpath had to assume or could not know. */
export interface NoteStep extends StepBase {
  type: 'note';
}

export type Step =
  | EnterInterfaceStep
  | ExitInterfaceStep
  | NetfilterStep
  | NatStep
  | RouteStep
  | NeighbourStep
  | BridgeStep
  | EncapsulateStep
  | DecapsulateStep
  | DeliverStep
  | DropStep
  | ExitClusterStep
  | NoteStep;

/** The step types that end a path: exactly one, the last step of its last hop. */
export type EndingStep = DeliverStep | DropStep | ExitClusterStep;

/**
 * How a path ends. delivered and exits-cluster are successes (the exit status is 0 when every
 * path ends in one); insufficient-info means the dumps ran out before the packet's fate was
 * known (the path names the dumps that would settle it); unknown is a case podpath does not
 * model. Every other value is a loss the dumps explain.
 */
export type Disposition =
  | 'delivered'
  | 'exits-cluster'
  | 'insufficient-info'
  | 'rejected'
  | 'dropped'
  | 'no-route'
  | 'blackhole'
  | 'unreachable'
  | 'prohibited'
  | 'neighbour-unresolved'
  | 'fdb-missing'
  | 'fragmentation-needed'
  | 'message-too-long'
  | 'no-endpoints'
  | 'loop'
  | 'unknown';

/** A dump, as the command that prints it: what an insufficient-info ending asks for. */
export type DumpCommand =
  | 'ip addr'
  | 'ip -d link'
  | 'ip route'
  | 'ip rule'
  | 'ip neigh'
  | 'bridge fdb show'
  | 'iptables-save'
  | 'ipset list'
  | 'ipvsadm -Ln'
  | 'kubectl get pods -o wide';

/** One dump that would settle an insufficient-info ending: which command, on which node or pod (or the machine at an address). */
export interface MissingDump {
  at: string;
  command: DumpCommand;
}

/** One device where tcpdump would see the packet. */
export interface Hop {
  /** Pod name inside a pod, node name on a node. */
  at: string;
  /** Device name as the dumps spell it. */
  interface: string;
  /** The packet as seen on this device (after the changes of earlier hops). */
  packet: Packet;
  outer?: OuterHeader;
  steps: Step[];
}

export interface TracePath {
  /** 'ip:port' of the endpoint this branch follows; undefined when no DNAT happened. */
  endpoint?: string;
  probability: number;
  disposition: Disposition;
  /** One sentence: why the path ended so, naming the rule, route or entry. */
  reason: string;
  /** What the client would see: 'connected', 'icmp port unreachable', 'no answer', … (added by the tracer). */
  clientSees?: string;
  /** The ICMP error the client receives for this path, when one is sent back (src/trace/icmp.ts). */
  answer?: IcmpAnswer;
  /** The error the client's socket reports (a connected socket gets ICMP errors as errno). */
  socketError?: SocketError;
  /** For 'insufficient-info': the dumps that would settle the path (the same as its drop step's). */
  needs?: MissingDump[];
  hops: Hop[];
  /** What NetworkPolicy says about this path and who enforces it (src/trace/policy.ts); absent when no policy is in the inputs or on the path. */
  policy?: PathPolicy;
}

/**
 * Who turns NetworkPolicy into kernel rules on these nodes: felix (Calico, also Canal: its
 * cali- chains are in the dumps), nobody (Flannel alone has no policy engine), or unknown.
 */
export type PolicyEnforcement = 'felix' | 'not-enforced' | 'unknown';

/**
 * The Kubernetes answer for one direction: not-isolated (no policy selects the pod for it, so
 * everything passes), allowed (a rule of a selecting policy allows the peer and port), denied
 * (selected, and no rule allows it), unknown (a selector or port needs what the dumps lack).
 */
export type PolicyDecision = 'not-isolated' | 'allowed' | 'denied' | 'unknown';

/** One policy that selects the judged pod for the direction, and what its rules say. */
export interface SelectingPolicy {
  /** namespace/name */
  policy: string;
  source: StepSource;
  /** allows: one of its rules allows this peer and port; allows-nothing: none does; unknown: could not tell. */
  result: 'allows' | 'allows-nothing' | 'unknown';
  /** The 1-based rule (of its ingress or egress list) that allows it. */
  rule?: number;
  /** One line: why (which peer and port matched, or why none did). */
  why: string;
}

/**
 * What felix's chains did with this packet for one direction, read from the path's own netfilter
 * steps: the workload's cali-tw-/cali-fw- chain, the policy chains (cali-pi-/cali-po-) it sent the
 * packet through and the policy each names, and how the tier ended. not-reached: the packet
 * never came to that chain (it was dropped before, or the pod is on a node without dumps).
 */
export interface FelixVerdict {
  node: string;
  endpointChain?: string;
  policyChains: { chain: string; policy?: string }[];
  verdict: 'allowed' | 'denied' | 'not-isolated' | 'not-reached';
  /** The rule that decided (Return if policy accepted, End of tier … Drop, the profile's). */
  rule?: string;
  /** Whether that is what the policies as given say (absent when their answer is unknown or no YAML was given). */
  agrees?: boolean;
}

export interface PolicyJudgement {
  direction: 'egress' | 'ingress';
  /** The judged pod, namespace/name. */
  pod: string;
  /** The peer as the policy sees it: its address, pod and port ('192.168.1.7 (default/pod1)', 'tcp/80'). */
  peer: string;
  port: string;
  decision: PolicyDecision;
  policies: SelectingPolicy[];
  felix?: FelixVerdict;
  explanation: string;
}

export interface PathPolicy {
  enforcement: PolicyEnforcement;
  /** One sentence: what the policies decide and whether the kernel's rules carry it out. */
  summary: string;
  judgements: PolicyJudgement[];
}

export type SocketError = 'EMSGSIZE' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'ECONNREFUSED' | 'ECONNRESET' | 'EACCES' | 'EINVAL' | 'EPERM';

/** ICMP destination-unreachable codes podpath's paths can end in (RFC 792, RFC 1812). */
export type IcmpUnreachable = 'net-unreachable' | 'host-unreachable' | 'port-unreachable' | 'fragmentation-needed' | 'admin-prohibited' | 'host-prohibited' | 'net-prohibited';

export interface IcmpAnswer {
  type: 3;
  code: number;
  kind: IcmpUnreachable;
  /** The source address of the ICMP error as the client receives it. */
  src: string;
  /** The namespace (node or pod) that sends it. */
  sentBy: string;
  /** Next-hop MTU (fragmentation needed). */
  mtu?: number;
  /** Seconds before it is sent: the neighbour's 3 ARP probes, 1 s apart. */
  afterSeconds?: number;
}

export interface TraceQuery {
  from: string;
  to: string;
  packet: Packet;
}

export interface TraceResult {
  query: TraceQuery;
  paths: TracePath[];
  /** Warnings from the inputs that this trace depended on (and the trace's own, file 'trace'). */
  warnings: Warning[];
}
