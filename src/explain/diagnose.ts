// Names the likely cause when a packet stops between two captured points. The kernel's part
// is the tracer's: it follows the packet from where it was last seen (trace/from.ts: the same
// hop loop, routing, netfilter and nftables hooks, neighbour and FDB lookups as `podpath
// trace`), and the ending it finds on that node is mapped here to a cause, in words that name
// the dump line. One expectation is the CNI's rather than the kernel's and is checked here
// too: another node's pod subnet has a route of its own (the overlay device, or the peer node
// as gateway); a default route that happens to match is the CNI's route missing.
import type { ClusterNode, Topology } from '../topology/model.ts';
import type { FiveTuple, OuterFacts } from './facts.ts';
import type { Cause } from './model.ts';
import { isVxlanDevice } from '../topology/roles.ts';
import type { Disposition, NeighbourStep, NetfilterStep, OuterHeader, Packet, RouteStep, Step, TracePath } from '../trace/model.ts';
import { traceFrom } from '../trace/from.ts';
import { formatRoute, lookupRoute } from '../trace/routing.ts';
import { cidrContains, prefixLengthOf } from '../util/address.ts';

/** Where a capture last saw the packet. */
export interface LastSeen {
  at: string;
  interface: string;
  packet: FiveTuple;
  outer?: OuterFacts;
  /** A datagram's IP total length and DF bit as captured there (absent for TCP and for fragments). */
  length?: number;
  df?: boolean;
}

/**
 * The cause on `node` (the node where the packet was last seen, or the node of the pod where it
 * was): the tracer's ending there, unless the CNI's route for another node's pod subnet is missing.
 * `endpoint` ('ip:port') picks kube-proxy's branch when the captures show which endpoint was chosen.
 */
export function causeOnNode(topology: Topology, node: ClusterNode, seen: LastSeen, conntrack: 'new' | 'established', endpoint?: string): Cause | undefined {
  const path = tracedPath(topology, node, seen, conntrack, endpoint);
  const ending = path ? endingOn(path, node, seen.at) : undefined;
  if (ending && isRouteFailure(ending.path.disposition)) return withAnswer(routeCause(node, seen.packet, ending), ending);
  const cause = missingPodRoute(topology, node, seen.packet.dst, ending) ?? (ending ? causeOfEnding(topology, node, seen.packet, conntrack, ending) : undefined);
  return cause && ending ? withAnswer(cause, ending) : cause;
}

/** The ICMP error the tracer's ending sends the client, beside the cause (the explainer checks it against the one captured). */
function withAnswer(cause: Cause, ending: Ending): Cause {
  if (ending.path.answer) cause.answer = ending.path.answer;
  return cause;
}

function tracedPath(topology: Topology, node: ClusterNode, seen: LastSeen, conntrack: 'new' | 'established', endpoint: string | undefined): TracePath | undefined {
  const packet = tracePacket(seen.packet);
  if (!packet) return undefined;
  if (seen.length !== undefined && packet.proto !== 'tcp') {
    packet.length = seen.length;
    packet.df = seen.df ?? false;
  }
  const outer = seen.outer ? traceOuter(seen.outer) : undefined;
  if (seen.outer && !outer) return undefined;
  let paths: TracePath[];
  try {
    paths = traceFrom(topology, { at: seen.at, interface: seen.interface, packet, conntrack, ...(outer ? { outer } : {}) }).paths;
  } catch {
    // A place the topology does not know (a capture placed by hand on a node without dumps).
    return undefined;
  }
  const chosen = endpoint === undefined ? [] : paths.filter((p) => p.endpoint === endpoint);
  const candidates = chosen.length > 0 ? chosen : paths;
  return candidates.find((p) => endingOn(p, node, seen.at) !== undefined) ?? candidates[0];
}

function tracePacket(t: FiveTuple): Packet | undefined {
  if (t.proto === 'other') return undefined;
  const packet: Packet = { src: t.src, dst: t.dst, proto: t.proto };
  if (t.sport !== undefined) packet.sport = t.sport;
  if (t.dport !== undefined) packet.dport = t.dport;
  return packet;
}

function traceOuter(o: OuterFacts): OuterHeader | undefined {
  if (o.encapsulation !== 'vxlan' && o.encapsulation !== 'ipip') return undefined;
  const outer: OuterHeader = { src: o.src, dst: o.dst, encapsulation: o.encapsulation };
  if (o.sport !== undefined) outer.sport = o.sport;
  if (o.dport !== undefined) outer.dport = o.dport;
  if (o.vni !== undefined) outer.vni = o.vni;
  return outer;
}

/** A path's failing end on this node: its steps there, in order. Undefined when it ends elsewhere or succeeds. */
interface Ending {
  path: TracePath;
  /** Every step the path took on this node (and in the pod it was seen in), in order. */
  steps: Step[];
}

function endingOn(path: TracePath, node: ClusterNode, seenAt: string): Ending | undefined {
  if (path.disposition === 'delivered' || path.disposition === 'exits-cluster') return undefined;
  const end = path.hops[path.hops.length - 1];
  if (!end || (end.at !== node.name && end.at !== seenAt)) return undefined;
  return { path, steps: path.hops.filter((h) => h.at === node.name || h.at === seenAt).flatMap((h) => h.steps) };
}

function isRouteFailure(d: Disposition): boolean {
  return d === 'no-route' || d === 'unreachable' || d === 'blackhole' || d === 'prohibited';
}

function lastOf<T extends Step['type']>(steps: Step[], type: T): Extract<Step, { type: T }> | undefined {
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i]!.type === type) return steps[i] as Extract<Step, { type: T }>;
  return undefined;
}

/** The destination a route step looked up: the packet as it was in that step's hop (after any DNAT before it). */
function routedDst(ending: Ending, route: RouteStep): string {
  const hop = ending.path.hops.find((h) => h.steps.includes(route));
  let dst = hop?.outer?.dst ?? hop?.packet.dst ?? '?';
  for (const s of hop?.steps ?? []) {
    if (s === route) break;
    if (s.type === 'nat') for (const d of s.diffs) if (d.field === 'dst' && d.new !== undefined) dst = String(d.new);
  }
  return dst;
}

function routeCause(node: ClusterNode, packet: FiveTuple, ending: Ending): Cause {
  const route = lastOf(ending.steps, 'route');
  const dst = route ? routedDst(ending, route) : packet.dst;
  const cause: Cause = route?.chosen
    ? { kind: 'no-route', node: node.name, text: `${node.name} routes ${dst} by \`${route.chosen}\`: the kernel drops it` }
    : { kind: 'no-route', node: node.name, text: `${node.name} has no route to ${dst}: the kernel drops it (network unreachable)` };
  if (route?.source) cause.source = route.source;
  return cause;
}

/** The node whose pod subnet holds `ip`. */
function podSubnetOwner(topology: Topology, ip: string): { node: ClusterNode; cidr: string } | undefined {
  for (const node of topology.nodes) {
    const cidr = node.podCIDRs.find((c) => cidrContains(c, ip));
    if (cidr) return { node, cidr };
  }
  const pod = topology.pods.find((p) => p.ip === ip);
  const node = pod && topology.nodes.find((n) => n.name === pod.node);
  return node ? { node, cidr: `${ip}/32` } : undefined;
}

/**
 * A pod on another node reached only by a default or underlay route, in a CNI mode that writes a
 * route per node (VXLAN, host-gw, BGP, IPIP): the CNI's route is missing. The tracer's route
 * lookup says which route the kernel takes; its ending says what becomes of the packet then.
 */
function missingPodRoute(topology: Topology, node: ClusterNode, dst: string, ending: Ending | undefined): Cause | undefined {
  const mode = topology.cni.mode;
  if (mode !== 'vxlan' && mode !== 'host-gw' && mode !== 'bgp' && mode !== 'ipip') return undefined;
  const owner = podSubnetOwner(topology, dst);
  if (!owner || owner.node.name === node.name) return undefined;
  const route = lookupRoute({ ns: node.netns, dst, mark: 0 }).route;
  if (!route) return undefined;
  const viaPeer = route.via !== undefined && owner.node.addresses.includes(route.via);
  if (isVxlanDevice(node.netns, route.dev) || viaPeer || prefixLengthOf(route.dst) >= prefixLengthOf(owner.cidr)) return undefined;
  const stuck = ending?.path.disposition === 'neighbour-unresolved' ? unresolvedNeighbour(node, ending) : undefined;
  const fate = stuck
    ? `, whose next hop ${stuck.step.ip} is ${stuck.state.includes('INCOMPLETE') ? 'INCOMPLETE' : 'FAILED'} in \`ip neigh\` (the kernel gives up on ARP and answers ICMP host unreachable)`
    : ', so the packet leaves outside the overlay';
  const cause: Cause = {
    kind: 'no-route',
    node: node.name,
    text: `${node.name} has no route to ${owner.node.name}'s pod subnet ${owner.cidr}: ${dst} only matches \`${formatRoute(route)}\`${fate}`,
  };
  if (route.source) cause.source = route.source;
  return cause;
}

/** The neighbour lookup that failed, with the states `ip neigh` shows for it (empty when it has no entry). */
function unresolvedNeighbour(node: ClusterNode, ending: Ending): { step: NeighbourStep; state: string[]; source?: { file: string; line: number } } | undefined {
  const step = lastOf(ending.steps, 'neighbour');
  if (!step) return undefined;
  const entry = node.netns.neighbours.find((n) => n.ip === step.ip && n.dev === step.interface);
  return { step, state: entry?.state ?? [], ...(entry ? { source: entry.source } : {}) };
}

function causeOfEnding(topology: Topology, node: ClusterNode, packet: FiveTuple, conntrack: 'new' | 'established', ending: Ending): Cause | undefined {
  const disposition = ending.path.disposition;
  switch (disposition) {
    case 'dropped':
    case 'rejected':
      return netfilterCause(node, packet, conntrack, ending);
    case 'neighbour-unresolved':
      return neighbourCause(node, ending);
    case 'fdb-missing':
      return fdbCause(topology, node, ending);
    case 'fragmentation-needed':
    case 'message-too-long': {
      // The limit first, as the ICMP error names it (its next-hop MTU), then the tracer's why.
      const mtu = ending.path.answer?.mtu;
      return { kind: 'packet-too-big', node: node.name, text: `${mtu !== undefined ? `MTU ${mtu} on ${node.name}'s way out: ` : ''}${ending.path.reason}` };
    }
    case 'no-endpoints':
      return { kind: 'no-endpoints', node: node.name, text: ending.path.reason };
    case 'no-route':
    case 'unreachable':
    case 'blackhole':
    case 'prohibited':
      return routeCause(node, packet, ending);
    case 'loop':
    case 'insufficient-info':
    case 'unknown':
    case 'delivered':
    case 'exits-cluster':
      return undefined;
    default: {
      const unmapped: never = disposition;
      return unmapped;
    }
  }
}

/** The netfilter step that decided a drop or reject: its rule, or its chain's policy. */
function decidingRule(steps: Step[]): NetfilterStep | undefined {
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i]!;
    if (s.type === 'netfilter' && (s.action === 'drop' || s.action === 'reject' || s.action === 'policy-drop')) return s;
  }
  return undefined;
}

function netfilterCause(node: ClusterNode, packet: FiveTuple, conntrack: 'new' | 'established', ending: Ending): Cause | undefined {
  const rule = decidingRule(ending.steps);
  if (!rule) return receiveCause(node, ending);
  const flow = `${packet.src} → ${packet.dst}`;
  let cause: Cause;
  if (rule.action === 'policy-drop') {
    const missing = rule.chain === 'FORWARD' ? " (the CNI's accept rule for the pod network is missing)" : '';
    cause = { kind: 'forward-drop', node: node.name, text: `${node.name}'s ${rule.table} ${rule.chain} policy is DROP and no rule accepts ${conntrack === 'new' ? 'a new connection' : 'the reply'} ${flow}${missing}` };
  } else {
    const rejects = rule.action === 'reject';
    cause = { kind: rejects ? 'rejected' : 'forward-drop', node: node.name, text: `${node.name}'s ${rule.table} ${rule.chain} ${rejects ? 'rejects' : 'drops'} ${flow}: \`${rule.rule}\`` };
  }
  if (rule.source) cause.source = rule.source;
  return cause;
}

/** Dropped by no rule: on arrival still encapsulated, no VXLAN device serves its port and VNI. */
function receiveCause(node: ClusterNode, ending: Ending): Cause | undefined {
  const end = ending.path.hops[ending.path.hops.length - 1];
  if (end?.outer?.encapsulation !== 'vxlan') return undefined;
  return { kind: 'vxlan-port-mismatch', node: node.name, text: ending.path.reason };
}

function neighbourCause(node: ClusterNode, ending: Ending): Cause | undefined {
  const found = unresolvedNeighbour(node, ending);
  if (!found) return undefined;
  const { step, state } = found;
  const route = lastOf(ending.steps, 'route');
  const cause: Cause =
    state.length === 0
      ? { kind: 'neighbour-missing', node: node.name, text: `${node.name} has no neighbour entry for ${step.ip} on ${step.interface}${isVxlanDevice(node.netns, step.interface) ? " (the peer VTEP's MAC)" : ''}, which \`${route?.chosen ?? `dev ${step.interface}`}\` needs` }
      : { kind: 'neighbour-missing', node: node.name, text: `${node.name} ${route?.chosen ? `routes ${routedDst(ending, route)} by \`${route.chosen}\`` : `sends the packet out of ${step.interface}`}, and its next hop ${step.ip} is ${state.join(' ')} in \`ip neigh\` (it never answered ARP): the packet is dropped waiting for it` };
  const source = found.source ?? route?.source;
  if (source) cause.source = source;
  return cause;
}

function fdbCause(topology: Topology, node: ClusterNode, ending: Ending): Cause {
  const neighbour = lastOf(ending.steps, 'neighbour');
  const mac = neighbour?.mac?.toLowerCase();
  const dev = neighbour?.interface ?? '?';
  const peer = mac ? topology.vteps.find((v) => v.mac?.toLowerCase() === mac) : undefined;
  const remote = mac ? topology.vteps.flatMap((v) => v.remotes).find((r) => r.mac.toLowerCase() === mac) : undefined;
  const who = peer ? ` (${peer.node}'s ${peer.device}${peer.local ? `, ${peer.local}` : ''})` : remote?.node ? ` (${remote.node})` : '';
  const cause: Cause = {
    kind: 'fdb-missing',
    node: node.name,
    text: `${node.name}'s ${dev} has no FDB entry for VTEP MAC ${mac ?? '?'}${who}: \`bridge fdb show\` gives it no underlay destination, so the vxlan driver drops the frame`,
  };
  if (neighbour?.source) cause.source = neighbour.source;
  return cause;
}
