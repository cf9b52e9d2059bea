// The trace model: a small, closed vocabulary (after Batfish's Trace/Hop/Step).
// A trace answers "where does this packet go and why does it stop there".
// Everything is plain data so `--json` prints it as it is.

export type Protocol = 'tcp' | 'udp' | 'icmp' | 'sctp';

export interface Packet {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  proto: Protocol;
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

/** A netfilter rule or policy that decided something (a jump, an accept, a drop …). */
export interface NetfilterStep extends StepBase {
  type: 'netfilter';
  table: string;
  chain: string;
  /** The rule's line as the dump has it; for a policy: `:FORWARD DROP`. */
  rule: string;
  /** 'jump' | 'goto' | 'return' | 'accept' | 'drop' | 'reject' | 'mark' | 'policy-accept' | 'policy-drop' | 'continue' | 'log' */
  action: string;
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

export interface RouteStep extends StepBase {
  type: 'route';
  /** Routing table used ('main', 'local', …). */
  table: string;
  /** The chosen route as `ip route` prints it, or undefined when none matched. */
  chosen?: string;
  /** Other routes that matched but lost to a longer prefix or a lower metric. */
  losers: string[];
  /** 'local' (deliver to this namespace), 'forward', 'blackhole', 'unreachable', 'prohibit', 'none' */
  result: string;
  outInterface?: string;
  nextHop?: string;
}

export interface NeighbourStep extends StepBase {
  type: 'neighbour';
  ip: string;
  interface: string;
  mac?: string;
  /** 'found' | 'proxy-arp' | 'assumed' | 'missing' | 'failed' | 'unknown' (not dumped, and no dump says who answers) */
  result: string;
}

export interface BridgeStep extends StepBase {
  type: 'bridge';
  bridge: string;
  mac: string;
  /** The port the frame leaves by, when known. */
  port?: string;
  /** 'forward' | 'flood' | 'local' */
  result: string;
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
  disposition: Disposition;
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
  | NoteStep;

export type Disposition =
  | 'delivered'
  | 'rejected'
  | 'dropped'
  | 'no-route'
  | 'blackhole'
  | 'unreachable'
  | 'prohibited'
  | 'neighbour-missing'
  | 'fdb-missing'
  | 'no-endpoints'
  | 'loop'
  | 'unknown';

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
  hops: Hop[];
}

export interface TraceQuery {
  from: string;
  to: string;
  packet: Packet;
}

export interface TraceResult {
  query: TraceQuery;
  paths: TracePath[];
  /** Warnings from the inputs that this trace depended on. */
  warnings: string[];
}
