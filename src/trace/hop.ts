// The hop loop: moves one packet through the cluster in the kernel's order and
// records a hop for every device where tcpdump would see it.
//
//   local-out : route → OUTPUT (raw, mangle, nat, filter) → re-route if DNAT → POSTROUTING → transmit
//   arrive    : a frame reaches a device (hop); a bridge port hands it to its bridge
//   ip-in     : PREROUTING (raw, mangle, nat) → route → INPUT → deliver / decapsulate
//                                                  └→ FORWARD → POSTROUTING → transmit
//   transmit  : neighbour → (bridge port | veth peer | VXLAN/IPIP encapsulation | underlay peer)
//
// Each stage is a short method calling the pure evaluators (netfilter, routing,
// neighbour, bridge, overlay) and returning the next stage.
import type { NetInterface, NetNamespace } from '../topology/model.ts';
import type { Disposition, DropStep, Hop, IcmpAnswer, MissingDump, OuterHeader, Packet, SocketError, Step } from './model.ts';
import { NODE_DUMPS, needsAt, notDumped } from './needs.ts';
import { interfaceRole } from '../topology/roles.ts';
import { HopRecorder } from './record.ts';
import type { Chooser } from './chooser.ts';
import type { Cluster } from './cluster.ts';
import { bridgeOfPort, interfaceOf, isBridge } from './cluster.ts';
import { headerOf, newConntrack, withHeader as withHeaderOf, type Flow } from './flow.ts';
import { evaluateHook, type Hook, type HookVerdict } from './netfilter.ts';
import { addressType, lookupRoute, selectSource, selectSourceOn, type RouteDecision } from './routing.ts';
import { resolveNeighbour } from './neighbour.ts';
import { bridgeDecide } from './bridge.ts';
import { findReceiver, ipipEncapsulate, vxlanEncapsulate, vxlanSettings, type Encapsulation } from './overlay.ts';
import { ipsetMembers } from './ipsets.ts';
import { checkSize, egressMtu, fragmented, VXLAN_IPV4_OVERHEAD, type MtuLimit } from './mtu.ts';
import { CONNECTED, DELIVERED, errnoOfIcmp, icmpAnswer, icmpWords, socketErrorWords } from './verdict.ts';
import { ipvsPick, ipvsServiceFor } from './ipvs.ts';
import { appendAll } from '../util/append.ts';
import { endpointPick } from './endpoint-pick.ts';

/**
 * Where a walk begins: a packet made by a namespace (local), a frame arriving on a device (arrive),
 * or a packet already routed and leaving by a device towards a next hop (leave: the explainer's
 * "last seen on the sender's flannel.1").
 */
export type Start =
  | { kind: 'local'; ns: NetNamespace }
  | { kind: 'arrive'; ns: NetNamespace; iface: string }
  | { kind: 'leave'; ns: NetNamespace; iface: string; nextHop: string; forwarded: boolean };

export interface WalkOptions {
  /** NEW (the default) for a connection's first packet; ESTABLISHED for a later one or a reply. */
  conntrack?: 'NEW' | 'ESTABLISHED';
  /** The outer header of a packet that starts encapsulated (seen on an underlay device). */
  outer?: OuterHeader;
}

export interface WalkResult {
  hops: Hop[];
  disposition: Disposition;
  reason: string;
  clientSees: string;
  answer?: IcmpAnswer;
  socketError?: SocketError;
  endpoint?: string;
  needs?: MissingDump[];
}

/** How a path ends, besides its disposition and reason: what the client gets back. */
interface Ending {
  clientSees: string;
  answer?: IcmpAnswer;
  socketError?: SocketError;
}

type Stage =
  | { kind: 'local-out'; ns: NetNamespace }
  | { kind: 'arrive'; ns: NetNamespace; iface: string }
  | { kind: 'ip-in'; ns: NetNamespace; iface: string; preroutingDone?: boolean }
  | { kind: 'transmit'; ns: NetNamespace; iface: string | undefined; nextHop: string; forwarded: boolean; limit?: MtuLimit }
  | { kind: 'end' };

const MAX_STAGES = 200;
/** NUD_CONNECTED: the neighbour states in which the kernel uses an entry's cached header without resolving. */
const CONNECTED_STATES = new Set(['REACHABLE', 'PERMANENT', 'NOARP']);
/** ip_vs_local_request4's hook priority (NF_IP_PRI_NAT_DST + 1). */
const IPVS_LOCAL_OUT = -99;
const NAT_NOTE = 'only the first packet of a connection crosses the nat table: conntrack remembers this rewrite and applies it to every later packet (and the reverse to replies)';

export function walk(cluster: Cluster, start: Start, packet: Packet, chooser: Chooser, options: WalkOptions = {}): WalkResult {
  const walker = new Walker(cluster, chooser, packet, options);
  let stage = walker.begin(start);
  for (let i = 0; stage.kind !== 'end'; i++) {
    if (i >= MAX_STAGES) stage = walker.end('loop', `the packet went through more than ${MAX_STAGES} stages; podpath stopped following it`, 'no answer');
    else if (stage.kind === 'local-out') stage = walker.localOut(stage.ns);
    else if (stage.kind === 'arrive') stage = walker.arrive(stage.ns, stage.iface);
    else if (stage.kind === 'ip-in') stage = walker.ipIn(stage.ns, stage.iface, stage.preroutingDone ?? false);
    else stage = walker.transmit(stage.ns, stage.iface, stage.nextHop, stage.forwarded, stage.limit);
  }
  return walker.result();
}

class Walker {
  private readonly recorder = new HopRecorder();
  private flow: Flow;
  private namespace: NetNamespace | undefined;
  private l2dst: string | undefined;
  /** The inner frame's destination MAC while encapsulated in VXLAN (the sender's neighbour entry). */
  private innerMac: string | undefined;
  /** The bridge port the packet entered this namespace by (br_netfilter's physdev-in), if any. */
  private physIn: string | undefined;
  /** Set while br_netfilter hands a frame from port to port. */
  private physOut: string | undefined;
  private readonly visited = new Set<string>();
  private ending: (Omit<WalkResult, 'hops' | 'disposition'> & { disposition: Disposition }) | undefined;
  private endpoint: string | undefined;
  /** Facts the path rests on that no dump showed (partial dumps), named in its reason. */
  private readonly assumptions: string[] = [];
  /** The first DNAT on the path: an ICMP error coming back through that node is rewritten by its conntrack. */
  private dnat: { node: string; dst: string } | undefined;

  private readonly ctState: 'NEW' | 'ESTABLISHED';

  constructor(private readonly cluster: Cluster, private readonly chooser: Chooser, packet: Packet, options: WalkOptions) {
    this.ctState = options.conntrack ?? 'NEW';
    this.flow = { packet, mark: 0, ct: this.conntrack(options.outer ?? packet), ttl: 64, ...(packet.length === undefined ? {} : { size: packet.length }) };
    if (options.outer) this.flow.outer = options.outer;
  }

  begin(start: Start): Stage {
    switch (start.kind) {
      case 'local':
        return { kind: 'local-out', ns: start.ns };
      case 'arrive':
        return { kind: 'arrive', ns: start.ns, iface: start.iface };
      case 'leave':
        this.enterNamespace(start.ns);
        // A bridge port's frame was switched there, not routed: it goes on to what sits behind the port.
        if (bridgeOfPort(start.ns, start.iface)) return this.leaveBridge(start.ns, start.iface);
        return { kind: 'transmit', ns: start.ns, iface: start.iface, nextHop: start.nextHop, forwarded: start.forwarded };
      default: {
        const unknown: never = start;
        return unknown;
      }
    }
  }

  /** A namespace's conntrack entry for the packet, in the state this walk is about. */
  private conntrack(packet: { dst: string; dport?: number }): Flow['ct'] {
    return newConntrack(packet, this.ctState);
  }

  result(): WalkResult {
    const ending: Omit<WalkResult, 'hops'> = this.ending ?? { disposition: 'unknown' as const, reason: 'the trace stopped without an ending', clientSees: 'unknown' };
    const result: WalkResult = { hops: this.recorder.hops, ...ending };
    if (this.assumptions.length > 0) result.reason = `${ending.reason} (this path rests on assumptions, as those dumps were not given: ${this.assumptions.join('; ')})`;
    if (this.endpoint) result.endpoint = this.endpoint;
    return result;
  }

  // ---- stages ----

  localOut(ns: NetNamespace): Stage {
    this.enterNamespace(ns);
    let route = this.route(ns);
    if (route.result !== 'forward' && route.result !== 'local') return this.routeFailure(route, false);
    if (!this.flow.packet.src && route.preferredSource) this.flow = { ...this.flow, packet: { ...this.flow.packet, src: route.preferredSource } };
    const limit = route.result === 'forward' && route.outIface ? egressMtu(ns, route.outIface, route.route) : undefined;
    if (limit && !this.flow.outer) {
      const tooBig = this.localSizeCheck(ns, route.outIface!, limit);
      if (tooBig) return tooBig;
    }
    if (limit && this.flow.outer) this.outerSizeNote(route.outIface!, limit);
    const before = headerOf(this.flow).dst;
    // A locally made connection to an IPVS virtual service: ip_vs_local_request4 takes it at LOCAL_OUT
    // priority NF_IP_PRI_NAT_DST + 1 (-99), after nat OUTPUT, before filter OUTPUT.
    const service = route.result === 'local' && !this.flow.ct.ipvs ? ipvsServiceFor(ns, headerOf(this.flow)) : undefined;
    const out = this.hook(ns, 'OUTPUT', undefined, route.outIface, route.nextHop, service ? IPVS_LOCAL_OUT : undefined);
    if (out) return out;
    if (service && headerOf(this.flow).dst === before) {
      const failed = this.ipvsTake(ns, 'LOCAL_OUT');
      if (failed) return failed;
      route = this.route(ns);
      if (route.result !== 'forward' && route.result !== 'local') return this.routeFailure(route, false);
      const rest = this.hook(ns, 'OUTPUT', undefined, route.outIface, route.nextHop, undefined, IPVS_LOCAL_OUT);
      if (rest) return rest;
    } else if (headerOf(this.flow).dst !== before) {
      // DNAT in OUTPUT changed the destination: the kernel routes the packet again (ip_route_me_harder).
      route = this.route(ns);
      if (route.result !== 'forward' && route.result !== 'local') return this.routeFailure(route, false);
    }
    const post = this.hook(ns, 'POSTROUTING', undefined, route.outIface, route.nextHop);
    if (post) return post;
    if (route.result === 'local') {
      this.hop(ns, 'lo', 'out');
      return this.deliverLocally(ns, 'lo');
    }
    return { kind: 'transmit', ns, iface: route.outIface, nextHop: route.nextHop!, forwarded: false, ...(limit ? { limit } : {}) };
  }

  arrive(ns: NetNamespace, iface: string): Stage {
    const key = `${ns.name}|${iface}|${JSON.stringify(this.flow.packet)}|${JSON.stringify(this.flow.outer ?? null)}`;
    if (this.visited.has(key)) {
      this.hop(ns, iface, 'in');
      this.enterNamespace(ns);
      return this.end('loop', `the packet came back to ${ns.name} ${iface} unchanged: a forwarding loop`, 'no answer (or icmp time exceeded)');
    }
    this.visited.add(key);
    this.hop(ns, iface, 'in');
    this.enterNamespace(ns);
    const bridge = bridgeOfPort(ns, iface);
    if (!bridge) return { kind: 'ip-in', ns, iface };
    this.physIn = iface;
    return ns.kind === 'node' ? this.bridgeIngress(ns, bridge) : this.bridgeDecision(ns, bridge);
  }

  /**
   * A frame entering a node's bridge port. Kubernetes needs net.bridge.bridge-nf-call-iptables=1,
   * so br_netfilter runs iptables PREROUTING here, with the bridge as the input device, before
   * the bridge device (and tcpdump on it) sees the frame; the IP layer then skips PREROUTING
   * (ip_sabotage_in). That is why a capture on cni0 already shows kube-proxy's DNAT.
   */
  private bridgeIngress(ns: NetNamespace, bridge: string): Stage {
    const callIptables = ns.sysctls?.['net.bridge.bridge-nf-call-iptables'];
    if (callIptables === undefined) {
      this.note(`${ns.name}: podpath assumes net.bridge.bridge-nf-call-iptables=1 (Kubernetes requires it; the sysctl was not dumped), so iptables PREROUTING runs as the frame enters ${bridge}`);
    } else if (callIptables.trim() === '0') {
      return this.bridgeWithoutIptables(ns, bridge);
    }
    const dnatBefore = this.flow.ct.dnat;
    const pre = this.hook(ns, 'PREROUTING', bridge, undefined, undefined);
    if (pre) return pre;
    const decision = bridgeDecide(ns, bridge, this.l2dst, this.cluster.podOnBridge(ns, bridge, headerOf(this.flow).dst)?.hostInterface);
    this.add([decision.step]);
    if (decision.result !== 'local') return this.bridgeForward(ns, bridge, decision.port);
    if (!dnatBefore && this.flow.ct.dnat) {
      // br_nf_pre_routing_finish: after DNAT the kernel routes the new destination; when the route
      // leads back out of the same bridge, the frame is bridged to the endpoint's port instead of
      // routed (bridged_dnat): sent through the bridge device, FORWARD and POSTROUTING run with the
      // bridge as both devices, and the TTL is not decremented.
      const header = headerOf(this.flow);
      const route = lookupRoute({ ns, dst: header.dst, src: header.src, iif: bridge, mark: this.flow.mark });
      if (route.result === 'forward' && route.outIface === bridge) {
        this.add([route.step]);
        return this.bridgedDnat(ns, bridge, route);
      }
    }
    this.hop(ns, bridge, 'in');
    return { kind: 'ip-in', ns, iface: bridge, preroutingDone: true };
  }

  /**
   * br_nf_pre_routing_finish_bridge: the frame needs the endpoint's MAC from the host's neighbour
   * entry. When that entry is REACHABLE or PERMANENT (NUD_CONNECTED, its header cached), the bridge
   * forwards the frame to the endpoint's port at once (the port sees it first; cni0's copy comes
   * after, and only because a capture on cni0 makes it promiscuous). Otherwise the frame goes out
   * through the bridge device (neigh_resolve_output → br_dev_xmit): cni0 sees it first, then the
   * port. With no answer to ARP it waits in the neighbour queue and never reaches cni0.
   */
  private bridgedDnat(ns: NetNamespace, bridge: string, route: RouteDecision): Stage {
    const nextHop = route.nextHop!;
    const neighbour = resolveNeighbour(this.cluster, ns, bridge, nextHop);
    if (!neighbour.mac) {
      this.add([neighbour.step]);
      return this.neighbourFailure(ns, bridge, nextHop, true);
    }
    const entry = ns.neighbours.find((n) => n.ip === nextHop && n.dev === bridge && n.mac);
    const state = entry?.state.join(' ') || 'not in the dumps';
    const fast = entry !== undefined && entry.state.some((s) => CONNECTED_STATES.has(s));
    const fallback = this.cluster.podOnBridge(ns, bridge, nextHop)?.hostInterface;
    const decision = bridgeDecide(ns, bridge, neighbour.mac, fallback);
    if (!fast) {
      this.hop(ns, bridge, 'out');
      this.add([neighbour.step]);
      this.note(`${ns.name}'s neighbour entry for ${nextHop} on ${bridge} is ${state}, not REACHABLE or PERMANENT: br_netfilter sends the frame through the bridge device (neigh_resolve_output), so ${bridge} sees it before the port`);
      this.add([decision.step]);
      return this.bridgeForward(ns, bridge, decision.port);
    }
    this.add([neighbour.step]);
    this.note(`${ns.name}'s neighbour entry for ${nextHop} on ${bridge} is ${state}: br_netfilter's fast path hands the frame straight to the port (br_handle_frame_finish), so the port sees it before ${bridge}; had the entry been learned from this very packet (${ns.name} ARPing for ${nextHop} as it passed), the frame would have gone through ${bridge} first`);
    this.add([decision.step]);
    this.physOut = decision.port;
    const forward = this.hook(ns, 'FORWARD', bridge, bridge, undefined);
    const post = forward ?? this.hook(ns, 'POSTROUTING', bridge, bridge, undefined);
    this.physOut = undefined;
    if (forward ?? post) return (forward ?? post)!;
    if (!decision.port) return this.leaveBridge(ns, decision.port);
    this.hop(ns, decision.port, 'out');
    const peer = this.cluster.linkPeer(ns, decision.port);
    this.hop(ns, bridge, 'in');
    this.note(`a copy of the frame reaches ${bridge} after the port only because a capture there puts ${bridge} in promiscuous mode (br_handle_frame_finish passes it up); ${ns.name} routes that copy back into FORWARD, where conntrack finds it INVALID and drops it; without a capture there is no copy`);
    if (!peer) return this.end('unknown', `no pod in the dumps sits behind ${ns.name}'s ${decision.port}; that pod's dumps (or kubectl get pods -o wide) would settle it`, 'unknown');
    return { kind: 'arrive', ns: peer.ns, iface: peer.iface };
  }

  /** br_netfilter: a frame bridged from port to port crosses FORWARD and POSTROUTING (devices: the bridge). */
  /**
   * net.bridge.bridge-nf-call-iptables = 0 (as dumped): br_netfilter does not hand bridged IPv4
   * frames to iptables (br_nf_pre_routing returns NF_ACCEPT when brnf_call_iptables is off), so
   * a frame bridged from port to port meets no PREROUTING, FORWARD or POSTROUTING at all; a frame
   * for the bridge's own MAC goes up to IP on the bridge device, where PREROUTING runs as for any
   * routed packet (no physdev, no bridged DNAT).
   */
  private bridgeWithoutIptables(ns: NetNamespace, bridge: string): Stage {
    this.note(`${ns.name}: net.bridge.bridge-nf-call-iptables = 0 in its sysctl dump: a frame bridged on ${bridge} skips iptables (only frames for ${bridge}'s own MAC go up to IP and its hooks)`);
    const decision = bridgeDecide(ns, bridge, this.l2dst, this.cluster.podOnBridge(ns, bridge, headerOf(this.flow).dst)?.hostInterface);
    this.add([decision.step]);
    if (decision.result !== 'local') return this.leaveBridge(ns, decision.port);
    this.hop(ns, bridge, 'in');
    return { kind: 'ip-in', ns, iface: bridge };
  }

  private bridgeForward(ns: NetNamespace, bridge: string, port: string | undefined): Stage {
    this.physOut = port;
    const forward = this.hook(ns, 'FORWARD', bridge, bridge, undefined);
    const post = forward ?? this.hook(ns, 'POSTROUTING', bridge, bridge, undefined);
    this.physOut = undefined;
    return forward ?? post ?? this.leaveBridge(ns, port);
  }

  private bridgeDecision(ns: NetNamespace, bridge: string): Stage {
    const decision = bridgeDecide(ns, bridge, this.l2dst, this.cluster.podOnBridge(ns, bridge, headerOf(this.flow).dst)?.hostInterface);
    this.add([decision.step]);
    if (decision.result === 'local') {
      this.hop(ns, bridge, 'in');
      return { kind: 'ip-in', ns, iface: bridge };
    }
    return this.leaveBridge(ns, decision.port);
  }

  ipIn(ns: NetNamespace, iface: string, preroutingDone: boolean): Stage {
    if (!preroutingDone) {
      const pre = this.hook(ns, 'PREROUTING', iface, undefined, undefined);
      if (pre) return pre;
    }
    const outer = this.flow.outer;
    if (outer && ns.kind === 'node' && !ns.dumps.includes('addr') && this.cluster.node(ns.name)?.addresses.includes(outer.dst)) {
      // Without `ip addr` there is no local table to find the node's own address in; the topology knows it.
      this.note(`${ns.name}'s \`ip addr\` was not given; ${outer.dst} is its underlay address (as the topology knows it), so the tunnelled packet is for ${ns.name} itself`);
      const input = this.hook(ns, 'INPUT', iface, undefined, undefined);
      if (input) return input;
      return this.deliverLocally(ns, iface);
    }
    const route = this.route(ns, iface);
    if (route.result === 'local' && ipvsServiceFor(ns, headerOf(this.flow))) {
      // IPVS takes the packet at LOCAL_IN priority 98: iptables mangle and filter INPUT run first, nat INPUT never.
      const input = this.hook(ns, 'INPUT', iface, undefined, undefined, 98);
      if (input) return input;
      return this.ipvs(ns);
    }
    if (route.result === 'local') {
      const input = this.hook(ns, 'INPUT', iface, undefined, undefined);
      if (input) return input;
      return this.deliverLocally(ns, iface);
    }
    if (route.result !== 'forward') return this.routeFailure(route, true);
    if (ns.kind === 'pod') {
      return this.end('dropped', `${ns.name} received a packet for ${headerOf(this.flow).dst}, which is not its address, and pods do not forward (net.ipv4.ip_forward=0)`, 'no answer');
    }
    this.flow = { ...this.flow, ttl: this.flow.ttl - 1 };
    if (this.flow.ttl <= 0) return this.end('loop', `the TTL ran out on ${ns.name}: a routing loop`, 'icmp time exceeded');
    // ip_forward checks the size against the egress MTU before the FORWARD hook runs.
    const limit = route.outIface ? egressMtu(ns, route.outIface, route.route) : undefined;
    const tooBig = limit ? this.forwardSizeCheck(ns, iface, route.outIface!, limit) : undefined;
    if (tooBig) return tooBig;
    const forward = this.hook(ns, 'FORWARD', iface, route.outIface, route.nextHop);
    if (forward) return forward;
    const post = this.hook(ns, 'POSTROUTING', iface, route.outIface, route.nextHop);
    if (post) return post;
    return { kind: 'transmit', ns, iface: route.outIface, nextHop: route.nextHop!, forwarded: true, ...(limit ? { limit } : {}) };
  }

  /** Leaving by a device: which kind of device decides how the frame gets to the next namespace. */
  transmit(ns: NetNamespace, iface: string | undefined, nextHop: string, forwarded: boolean, limit?: MtuLimit): Stage {
    if (iface !== undefined && limit && !this.flow.outer) this.fragmentForEgress(iface, limit);
    if (iface === undefined) {
      return this.insufficient(`${ns.name}'s route to ${headerOf(this.flow).dst} names no device, and the gateway ${nextHop} is not on any connected route in the dumps`, needsAt(ns.name, ['ip route', 'ip addr']));
    }
    const device = interfaceOf(ns, iface);
    if (!device) return this.transmitUndumped(ns, iface, nextHop);
    const vxlan = vxlanSettings(this.cluster.topology, ns, device);
    if (vxlan) return this.transmitVxlan(ns, device, vxlan, nextHop, forwarded);
    if (interfaceRole(device, ns.kind) === 'ipip') return this.transmitIpip(ns, device, nextHop);
    if (isBridge(ns, iface)) return this.transmitBridge(ns, iface, nextHop, forwarded);
    return this.transmitLink(ns, iface, nextHop, forwarded);
  }

  /** A route names a device the namespace's dumps do not show. */
  private transmitUndumped(ns: NetNamespace, iface: string, nextHop: string): Stage {
    const owner = this.cluster.nodeOwning(nextHop);
    if (this.flow.outer && owner && owner.node.netns !== ns) {
      // The route itself shows the underlay device exists; the node at the other end is known.
      this.note(`${ns.name}'s ${iface} is not in its \`ip addr\`/\`ip link\` dumps, but its route names it; the tunnelled packet leaves by it to ${owner.node.name} (${nextHop})`);
      this.hop(ns, iface, 'out');
      return { kind: 'arrive', ns: owner.node.netns, iface: owner.iface };
    }
    const absent = ['addr', 'link'].filter((kind) => !ns.dumps.includes(kind));
    if (absent.length > 0) {
      const names = absent.map((kind) => (kind === 'addr' ? '`ip addr`' : '`ip -d link`')).join(' and ');
      return this.insufficient(`${ns.name}'s route sends the packet out of ${iface}, but ${ns.name}'s ${names} ${absent.length > 1 ? 'were' : 'was'} not given; ${ns.name}'s dumps (\`ip addr\`, \`ip -d link\`, \`ip neigh\`, \`bridge fdb show\`, \`iptables-save\`) would settle what happens there`, notDumped(ns, ['ip addr', 'ip -d link', 'ip neigh', 'bridge fdb show', 'iptables-save']));
    }
    return this.insufficient(`${ns.name}'s route sends the packet out of ${iface}, which its \`ip addr\`/\`ip -d link\` dumps do not show`, needsAt(ns.name, ['ip -d link']));
  }

  /** A VXLAN device: the neighbour entry gives the peer VTEP's MAC, the FDB its underlay address (vxlan_xmit). */
  private transmitVxlan(ns: NetNamespace, device: NetInterface, vxlan: NonNullable<ReturnType<typeof vxlanSettings>>, nextHop: string, forwarded: boolean): Stage {
    const iface = device.name;
    const neighbour = resolveNeighbour(this.cluster, ns, iface, nextHop);
    this.add([neighbour.step]);
    if (neighbour.insufficient) return this.insufficient(neighbour.insufficient.reason, neighbour.insufficient.needs);
    if (!neighbour.mac && !neighbour.peer) return this.neighbourFailure(ns, iface, nextHop, forwarded);
    if (neighbour.assumption) this.assumptions.push(neighbour.assumption);
    this.hop(ns, iface, 'out');
    const encapsulation = vxlanEncapsulate({
      topology: this.cluster.topology, ns, device, settings: vxlan,
      ...(neighbour.mac ? { innerDstMac: neighbour.mac } : {}),
      ...(neighbour.peer ? { peer: neighbour.peer } : {}),
      nextHop,
      sourceFor: (remote) => this.sourceTowards(ns, remote),
    });
    this.innerMac = neighbour.mac;
    this.add(encapsulation.steps);
    appendAll(this.assumptions, encapsulation.assumptions);
    if (!encapsulation.outer) return this.encapsulationFailure(encapsulation.failure!);
    return this.encapsulated(ns, encapsulation.outer);
  }

  /** An IP-in-IP device: no link layer, the route's gateway is the remote end. */
  private transmitIpip(ns: NetNamespace, device: NetInterface, nextHop: string): Stage {
    this.hop(ns, device.name, 'out');
    const encapsulation = ipipEncapsulate(ns, device, nextHop, (remote) => this.sourceTowards(ns, remote));
    this.add(encapsulation.steps);
    if (!encapsulation.outer) return this.encapsulationFailure(encapsulation.failure!);
    return this.encapsulated(ns, encapsulation.outer);
  }

  /** Routed out of a bridge device (cni0): ARP, then the bridge's FDB picks the port. */
  private transmitBridge(ns: NetNamespace, iface: string, nextHop: string, forwarded: boolean): Stage {
    const neighbour = resolveNeighbour(this.cluster, ns, iface, nextHop);
    if (!neighbour.mac) {
      this.add([neighbour.step]);
      if (neighbour.insufficient) return this.insufficient(neighbour.insufficient.reason, neighbour.insufficient.needs);
      // Nobody on the bridge answers ARP: the packet waits in the neighbour queue and never reaches cni0.
      return this.neighbourFailure(ns, iface, nextHop, forwarded);
    }
    this.hop(ns, iface, 'out');
    this.add([neighbour.step]);
    const fallback = this.cluster.podOnBridge(ns, iface, nextHop)?.hostInterface;
    const decision = bridgeDecide(ns, iface, neighbour.mac, fallback);
    this.add([decision.step]);
    return this.leaveBridge(ns, decision.port);
  }

  /** Any other device (veth, underlay NIC): ARP, then whatever sits at the other end of the link. */
  private transmitLink(ns: NetNamespace, iface: string, nextHop: string, forwarded: boolean): Stage {
    const neighbour = resolveNeighbour(this.cluster, ns, iface, nextHop);
    if (neighbour.result === 'failed') {
      // The packet waits for ARP and never reaches the device: tcpdump there sees only ARP requests.
      this.add([neighbour.step]);
      return this.neighbourFailure(ns, iface, nextHop, forwarded);
    }
    this.hop(ns, iface, 'out');
    this.add([neighbour.step]);
    this.l2dst = neighbour.mac;
    const peer = this.cluster.linkPeer(ns, iface);
    if (peer) return { kind: 'arrive', ns: peer.ns, iface: peer.iface };
    const owner = this.cluster.nodeOwning(nextHop);
    if (owner && owner.node.netns !== ns) return { kind: 'arrive', ns: owner.node.netns, iface: owner.iface };
    return this.beyondTheDumps(ns, iface, nextHop);
  }

  /** Sent to a machine no dump shows: out of the cluster, or a part of it whose dumps are missing. */
  private beyondTheDumps(ns: NetNamespace, iface: string, nextHop: string): Stage {
    const dumps = '(`ip addr`, `ip -d link`, `ip route`, `ip neigh`, `bridge fdb show`, `iptables-save`)';
    if (this.flow.outer) {
      return this.insufficient(`${ns.name} sends the tunnelled packet to the node at ${this.flow.outer.dst}, whose dumps were not given; the dumps of the node at ${this.flow.outer.dst} ${dumps} would settle it`, needsAt(`the node at ${this.flow.outer.dst}`, NODE_DUMPS));
    }
    const pod = ns.kind === 'pod' ? this.cluster.podOf(ns) ?? this.cluster.pod(ns.name) : undefined;
    if (ns.kind === 'pod' && (pod === undefined || this.cluster.node(pod.node) === undefined)) {
      // A pod whose node no dump shows: its interface leads into that node (a veth, or the node's
      // own link), not straight out of the cluster, whatever the destination. (A pod on a node in
      // the dumps, out of a macvlan or SR-IOV net1, does leave here.)
      const node = pod?.node ? `node ${pod.node}` : `the node ${ns.name} runs on`;
      return this.insufficient(`${ns.name} sends the packet out of ${iface} to ${nextHop}, into ${node}, whose dumps were not given; the dumps of ${node} ${dumps} would settle it`, needsAt(pod?.node || `${ns.name}'s node`, NODE_DUMPS));
    }
    const dst = headerOf(this.flow).dst;
    if (!this.cluster.holdsAddress(dst)) return this.exitCluster(ns, iface, nextHop);
    return this.insufficient(`${ns.name} sends the packet out of ${iface} towards ${nextHop}, which no node or pod in the dumps holds; what happens beyond is outside the dumps (the dumps of the machine at ${nextHop} ${dumps} would settle it)`, needsAt(`the machine at ${nextHop}`, NODE_DUMPS));
  }

  // ---- helpers for the stages ----

  private encapsulated(ns: NetNamespace, outer: NonNullable<Flow['outer']>): Stage {
    // The outer packet is a new, locally generated packet of this node with its own conntrack entry.
    // Its routing and netfilter steps belong to the hop where it is first seen (the underlay device).
    this.flow = { ...this.flow, outer, ct: this.conntrack(outer) };
    this.recorder.holdForNextHop();
    return { kind: 'local-out', ns };
  }

  private leaveBridge(ns: NetNamespace, port: string | undefined): Stage {
    if (!port) return this.insufficient(`the bridge on ${ns.name} does not know which port leads to ${headerOf(this.flow).dst}; \`bridge fdb show\` and the pods' dumps would settle it`, [...needsAt(ns.name, ['bridge fdb show']), ...needsAt('the cluster', ['kubectl get pods -o wide'])]);
    this.hop(ns, port, 'out');
    const peer = this.cluster.linkPeer(ns, port);
    if (!peer) return this.insufficient(`no pod in the dumps sits behind ${ns.name}'s ${port}; that pod's dumps (or kubectl get pods -o wide) would settle it`, [...needsAt(`the pod behind ${ns.name}'s ${port}`, ['ip addr']), ...needsAt('the cluster', ['kubectl get pods -o wide'])]);
    return { kind: 'arrive', ns: peer.ns, iface: peer.iface };
  }

  private deliverLocally(ns: NetNamespace, iface: string): Stage {
    const outer = this.flow.outer;
    if (outer) {
      const receiver = findReceiver(ns, outer, this.cluster.topology);
      if ('failure' in receiver) return this.end('dropped', receiver.failure, 'no answer');
      this.add([receiver.step]);
      if (receiver.assumption) this.assumptions.push(receiver.assumption);
      // Decapsulation scrubs conntrack (iptunnel_pull_header); the inner packet is NEW here.
      const { outer: _removed, ...inner } = this.flow;
      this.flow = { ...inner, ct: this.conntrack(inner.packet) };
      this.l2dst = undefined;
      this.hop(ns, receiver.device.name, 'in');
      const innerMac = this.innerMac;
      this.innerMac = undefined;
      const deviceMac = receiver.device.mac;
      if (outer.encapsulation === 'vxlan' && innerMac && deviceMac && innerMac.toLowerCase() !== deviceMac.toLowerCase()) {
        // The inner frame is addressed to another MAC: the stack marks it PACKET_OTHERHOST and ip_rcv drops it.
        return this.end('dropped', `the inner frame is addressed to ${innerMac} (the sender's neighbour entry), but ${ns.name}'s ${receiver.device.name} has MAC ${deviceMac}, so ${ns.name} drops it as not its own: the sender's neighbour and FDB entries are stale`, 'no answer');
      }
      return { kind: 'ip-in', ns, iface: receiver.device.name };
    }
    const packet = this.flow.packet;
    if (ipvsServiceFor(ns, headerOf(this.flow))) return this.ipvs(ns);
    if (ns.netfilter?.ipvs && ns.interfaces.some((i) => i.name === 'kube-ipvs0' && i.addresses.some((a) => a.address === packet.dst))) {
      // The IPVS table was dumped and has no virtual service for this port: the node's own stack gets it.
      return this.end('rejected', `${packet.dst} is bound to ${ns.name}'s kube-ipvs0, but its IPVS table (\`ipvsadm -Ln\`) has no virtual service for ${packet.proto.toUpperCase()} ${packet.dst}:${packet.dport ?? ''}; nothing listens there, so ${ns.name} answers with a reset`, 'connection reset');
    }
    if (ns.interfaces.some((i) => i.name === 'kube-ipvs0' && i.addresses.some((a) => a.address === packet.dst))) {
      // kube-proxy's IPVS mode binds service addresses to the dummy kube-ipvs0; the IPVS table, not iptables, picks the endpoint.
      return this.insufficient(`${packet.dst} is bound to ${ns.name}'s kube-ipvs0: kube-proxy runs in IPVS mode, and the IPVS table (\`ipvsadm -Ln\` on ${ns.name}) that picks the endpoint is not in the dumps`, needsAt(ns.name, ['ipvsadm -Ln']));
    }
    const pod = this.cluster.podOf(ns);
    const where = pod ? `${pod.name} (${packet.dst})` : `${ns.name}'s own stack (${packet.dst})`;
    const port = packet.dport !== undefined ? ` port ${packet.dport}/${packet.proto}` : '';
    const step: Step = { type: 'deliver', to: pod?.name ?? ns.name, explanation: `delivered to ${where}${port}` };
    if (packet.dport !== undefined) step.port = packet.dport;
    this.add([step]);
    this.ending = { disposition: 'delivered', reason: `delivered to ${where}${port}${iface === 'lo' ? ' through lo' : ''}`, clientSees: packet.proto === 'tcp' ? CONNECTED : DELIVERED };
    return { kind: 'end' };
  }

  /** IPVS at LOCAL_IN picks a real server (Masq: DNAT) and sends the packet on through LOCAL_OUT and POSTROUTING. */
  private ipvs(ns: NetNamespace): Stage {
    return this.ipvsTake(ns, 'LOCAL_IN') ?? { kind: 'local-out', ns };
  }

  /** IPVS's pick and DNAT; the ending stage when it cannot forward. */
  private ipvsTake(ns: NetNamespace, at: 'LOCAL_IN' | 'LOCAL_OUT'): Stage | undefined {
    const service = ipvsServiceFor(ns, headerOf(this.flow))!;
    const name = `${service.protocol.toUpperCase()} ${service.address}:${service.port}`;
    const pick = ipvsPick(service, headerOf(this.flow), (p) => this.chooser.choose(p), at);
    if (!pick) {
      // ip_vs_leave: no destination to schedule to → ICMP port unreachable.
      return this.end('no-endpoints', `IPVS virtual service ${name} on ${ns.name} has no real server with a weight above 0 (\`ipvsadm -Ln\`), so IPVS answers icmp port unreachable`, 'icmp port unreachable');
    }
    if (pick.server.forward !== 'masq') {
      return this.end('unknown', `IPVS virtual service ${name} forwards to ${pick.server.address}:${pick.server.port} by ${pick.server.forward}; podpath models Masq (NAT) forwarding only, which is what kube-proxy writes`, 'unknown');
    }
    this.add([pick.step, ...pick.notes]);
    this.flow = { ...withHeaderOf(this.flow, pick.header), ct: { ...this.flow.ct, dnat: true, ipvs: true } };
    this.endpoint ??= `${pick.server.address}:${pick.server.port}`;
    return undefined;
  }

  private route(ns: NetNamespace, iif?: string): RouteDecision {
    const header = headerOf(this.flow);
    const query: Parameters<typeof lookupRoute>[0] = { ns, dst: header.dst, mark: this.flow.mark };
    if (header.src) query.src = header.src;
    if (iif) query.iif = iif;
    const decision = lookupRoute(query);
    this.add([decision.step]);
    return decision;
  }

  private routeFailure(route: RouteDecision, forwarded: boolean): Stage {
    const dst = headerOf(this.flow).dst;
    switch (route.result) {
      case 'unknown':
        return this.insufficient(route.step.explanation, needsAt(this.namespace?.name ?? 'the source', ['ip route']));
      case 'blackhole':
        return this.end('blackhole', `the blackhole route "${route.step.chosen}" discards the packet for ${dst}`, forwarded ? 'no answer' : 'invalid argument (EINVAL)');
      case 'unreachable':
        return this.end('unreachable', `the unreachable route "${route.step.chosen}" refuses ${dst}`, forwarded ? 'icmp host unreachable' : 'no route to host (EHOSTUNREACH)');
      case 'prohibit':
        return this.end('prohibited', `the prohibit route "${route.step.chosen}" refuses ${dst}`, forwarded ? 'icmp admin prohibited' : 'permission denied (EACCES)');
      default:
        return this.end('no-route', route.step.explanation, forwarded ? 'icmp net unreachable' : 'network is unreachable (ENETUNREACH)');
    }
  }

  private neighbourFailure(ns: NetNamespace, iface: string, nextHop: string, forwarded: boolean): Stage {
    // The packet waits in the neighbour queue. After 3 unanswered ARP probes, 1 s apart, the kernel
    // drops it and (ipv4_link_failure) sends the client ICMP host unreachable. A client that gives
    // up within 3 s sees nothing.
    const reason = `${ns.name} cannot resolve the next hop ${nextHop} on ${iface}: ARP gets no answer (\`ip neigh\`), so the packet waits in the neighbour queue and is never sent`;
    if (!forwarded) return this.end('neighbour-unresolved', `${reason}; after about 3 s of ARP probes the client's connect() fails`, socketErrorWords('EHOSTUNREACH'), { socketError: 'EHOSTUNREACH' });
    return this.icmpEnd('neighbour-unresolved', reason, ns, 'host-unreachable', { afterSeconds: 3 });
  }

  /**
   * Ends the path with an ICMP error sent back to the client by `ns`. Its source is the address
   * `ip route get <client>` picks on `ns` (for a pod's packet on its own node: cni0's 192.168.1.1;
   * on the far node: flannel.1's 192.168.2.0), unless the packet was DNATed on the way: conntrack
   * on the node that made the DNAT rewrites the error (nf_nat_icmp_reply_translation), so the
   * client gets it from the address it connected to, the service VIP (recorded in the lab's
   * arp-unanswered scenario, also when the DNAT node itself sends the error).
   */
  private icmpEnd(disposition: DropStep['disposition'], reason: string, ns: NetNamespace, kind: IcmpAnswer['kind'], extra: { mtu?: number; afterSeconds?: number } = {}): Stage {
    const client = headerOf(this.flow).src;
    const back = lookupRoute({ ns, dst: client, mark: 0 });
    const own = back.preferredSource ?? (back.outIface ? selectSource(ns, back.outIface, client) : undefined) ?? '?';
    const reversed = this.dnat;
    const answer = icmpAnswer(kind, reversed ? reversed.dst : own, ns.name, extra);
    const delay = extra.afterSeconds ? `after about ${extra.afterSeconds} s of ARP probes, ` : '';
    const via = reversed ? `; conntrack on ${reversed.node} reverses its DNAT in the error, so the client gets it from ${reversed.dst}` : '';
    const socketError = errnoOfIcmp(kind);
    return this.end(disposition, `${reason}; ${delay}${ns.name} answers the client with ${icmpWords(answer)} from ${own}${via} (its socket reports ${socketError})`, icmpWords(answer), { answer, socketError });
  }

  // ---- packet size (src/trace/mtu.ts) ----

  /** ip_append_data: a DF datagram above the route's MTU fails at send(); nothing leaves. */
  private localSizeCheck(ns: NetNamespace, iface: string, limit: MtuLimit): Stage | undefined {
    const check = checkSize(this.flow.packet, this.flow.size, limit);
    if (check.kind === 'unsized' || check.kind === 'fits') return undefined;
    if (limit.assumed) this.assumptions.push(`${ns.name}'s ${iface} MTU (${limit.mtu} assumed)`);
    if (check.kind === 'too-big') {
      return this.end('message-too-long', `the ${this.flow.packet.length}-byte datagram with DF is larger than ${limit.said}: ${ns.name}'s kernel refuses it at send() (ip_append_data) and nothing is sent`, socketErrorWords('EMSGSIZE'), { socketError: 'EMSGSIZE' });
    }
    this.note(`the ${this.flow.packet.length}-byte datagram without DF is larger than ${limit.said}: ${ns.name} sends it in ${check.count} fragments (the first ${check.first} bytes)`);
    return undefined;
  }

  /** ip_forward's MTU check, which comes before the FORWARD hook. */
  private forwardSizeCheck(ns: NetNamespace, inIface: string, outIface: string, limit: MtuLimit): Stage | undefined {
    const check = checkSize(this.flow.packet, this.flow.size, limit);
    if (check.kind !== 'too-big') return undefined;
    if (limit.assumed) this.assumptions.push(`${ns.name}'s ${outIface} MTU (${limit.mtu} assumed)`);
    const reason = `the ${this.flow.packet.length}-byte packet with DF is larger than ${limit.said}, so ${ns.name}'s ip_forward drops it before the FORWARD hook (it came in on ${inIface})`;
    return this.icmpEnd('fragmentation-needed', reason, ns, 'fragmentation-needed', { mtu: limit.mtu });
  }

  /** ip_fragment on the way out: a datagram without DF larger than the egress MTU leaves in fragments. */
  private fragmentForEgress(iface: string, limit: MtuLimit): void {
    const check = checkSize(this.flow.packet, this.flow.size, limit);
    if (check.kind !== 'fragment') return;
    this.flow = { ...this.flow, packet: fragmented(this.flow.packet, check) };
    this.note(`the ${this.flow.size}-byte datagram has no DF and is larger than ${limit.said}: it leaves ${iface} in ${check.count} fragments of at most ${check.first} bytes (ip_fragment; a node's conntrack reassembles them and cuts them again no larger)`);
  }

  /** The outer packet of a tunnel: VXLAN adds 50 bytes on an IPv4 underlay. */
  private outerSizeNote(iface: string, limit: MtuLimit): void {
    const inner = this.flow.packet.length;
    if (inner === undefined || this.flow.outer?.encapsulation !== 'vxlan') return;
    const outer = inner + VXLAN_IPV4_OVERHEAD;
    this.note(outer <= limit.mtu
      ? `the VXLAN packet is ${outer} bytes (the inner ${inner} + 50 of outer IPv4, UDP, VXLAN and inner Ethernet headers): it fits ${limit.said}`
      : `the VXLAN packet is ${outer} bytes (the inner ${inner} + 50), larger than ${limit.said}: the underlay fragments it (VXLAN sets no DF on the outer header unless \`df set\`), and every node on the way reassembles`);
  }



  private sourceTowards(ns: NetNamespace, remote: string): string | undefined {
    const decision = lookupRoute({ ns, dst: remote, mark: this.flow.mark });
    return decision.preferredSource ?? (decision.outIface ? selectSource(ns, decision.outIface, remote) : undefined);
  }

  /** Runs one netfilter hook; returns the ending stage when the packet is dropped or rejected. */
  private hook(ns: NetNamespace, hook: Hook, inIface: string | undefined, outIface: string | undefined, nextHop: string | undefined, beforePriority?: number, fromPriority?: number): Stage | undefined {
    if (!ns.netfilter) {
      if (ns.kind === 'node' && !ns.dumps.includes('iptables')) this.note(`${ns.name}'s iptables-save is not in the dumps; podpath assumed it has no rules (every hook accepts)`);
      return undefined;
    }
    const input: Parameters<typeof evaluateHook>[0] = {
      ns, hook, flow: this.flow,
      choose: (p) => this.chooser.choose(p),
      addressType: (address, limit) => addressType(ns, address, limit),
      ipset: (name) => ipsetMembers(this.cluster, ns, name),
      ...(this.physIn ? { physdev: { in: this.physIn, ...(this.physOut ? { out: this.physOut } : {}), bridged: this.physOut !== undefined } } : {}),
      masqueradeSource: () => (outIface ? { outIface, ...selectSourceOn(ns, outIface, nextHop) } : undefined),
      endpointPick: (svcChain, sepChain) => endpointPick(this.cluster.topology.services, svcChain, sepChain),
    };
    if (inIface) input.inIface = inIface;
    if (outIface) input.outIface = outIface;
    if (beforePriority !== undefined) input.beforePriority = beforePriority;
    if (fromPriority !== undefined) input.fromPriority = fromPriority;
    if (hook === 'OUTPUT') input.redirectAddress = '127.0.0.1';
    else if (inIface) {
      const address = interfaceOf(ns, inIface)?.addresses.find((a) => a.family === 4)?.address;
      if (address) input.redirectAddress = address;
    }
    const result = evaluateHook(input);
    const hadDnat = this.flow.ct.dnat;
    this.flow = result.flow;
    this.add(result.steps);
    if (result.steps.some((s) => s.type === 'nat')) this.note(NAT_NOTE);
    if (!hadDnat && this.flow.ct.dnat && !this.endpoint) {
      const p = headerOf(this.flow);
      this.endpoint = p.dport === undefined ? p.dst : `${p.dst}:${p.dport}`;
      if (!this.flow.outer) this.dnat = { node: ns.name, dst: this.flow.ct.origDst };
    }
    return this.verdictStage(result.verdict, ns, hook);
  }

  private verdictStage(verdict: HookVerdict, ns: NetNamespace, hook: Hook): Stage | undefined {
    if (verdict.kind === 'accept') return undefined;
    if (verdict.kind === 'reject') return this.end('rejected', `${verdict.reason} (${ns.name} ${hook}: ${verdict.rule})`, verdict.clientSees);
    return this.end('dropped', `${verdict.reason} (${ns.name} ${hook}: ${verdict.rule})`, 'no answer');
  }

  // ---- recording ----

  private enterNamespace(ns: NetNamespace): void {
    if (this.namespace === ns) return;
    if (this.namespace !== undefined) {
      // Crossing a veth into another namespace scrubs the mark and conntrack (skb_scrub_packet, xnet).
      this.flow = { ...this.flow, mark: 0, ct: this.conntrack(headerOf(this.flow)) };
    }
    this.namespace = ns;
    this.physIn = undefined;
    const assumed = this.cluster.assumed.get(ns);
    if (assumed) this.note(assumed);
  }

  private hop(ns: NetNamespace, iface: string, direction: 'in' | 'out'): void {
    this.recorder.hop(ns.name, iface, direction, this.flow);
  }

  private add(steps: Step[]): void {
    this.recorder.add(steps);
  }

  private note(text: string): void {
    this.recorder.note(text);
  }

  end(disposition: DropStep['disposition'], reason: string, clientSees: string, more: Omit<Ending, 'clientSees'> = {}): Stage {
    this.recorder.finish({ type: 'drop', disposition, explanation: reason }, this.namespace?.name ?? 'source', this.flow);
    this.ending = { disposition, reason, clientSees, ...more };
    return { kind: 'end' };
  }

  /** The dumps ran out before the packet's fate was known: say which would settle it. */
  private insufficient(reason: string, needs: MissingDump[]): Stage {
    this.recorder.finish({ type: 'drop', disposition: 'insufficient-info', needs, explanation: reason }, this.namespace?.name ?? 'source', this.flow);
    this.ending = { disposition: 'insufficient-info', reason, clientSees: 'unknown', needs };
    return { kind: 'end' };
  }

  private encapsulationFailure(failure: NonNullable<Encapsulation['failure']>): Stage {
    return failure.disposition === 'insufficient-info' ? this.insufficient(failure.reason, failure.needs) : this.end(failure.disposition, failure.reason, 'no answer');
  }

  /** Routed out of the cluster: a next hop that is no node or pod, for an address no pod, node or service holds. A success. */
  private exitCluster(ns: NetNamespace, iface: string, nextHop: string): Stage {
    const dst = headerOf(this.flow).dst;
    const reason = `${ns.name} sends the packet out of ${iface} to ${nextHop}${nextHop === dst ? '' : ` towards ${dst}`}, which is outside the cluster: it leaves the cluster here (what happens beyond is not in the dumps)`;
    this.recorder.finish({ type: 'exit-cluster', interface: iface, nextHop, explanation: reason }, ns.name, this.flow);
    this.ending = { disposition: 'exits-cluster', reason, clientSees: 'whatever the outside destination answers' };
    return { kind: 'end' };
  }
}
