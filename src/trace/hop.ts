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
import type { NetNamespace } from '../topology/model.ts';
import type { Disposition, DropStep, Hop, MissingDump, Packet, Step } from './model.ts';
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
import { ipvsPick, ipvsServiceFor } from './ipvs.ts';
import { appendAll } from '../util/append.ts';

export type Start =
  | { kind: 'local'; ns: NetNamespace }
  | { kind: 'arrive'; ns: NetNamespace; iface: string };

export interface WalkResult {
  hops: Hop[];
  disposition: Disposition;
  reason: string;
  clientSees: string;
  endpoint?: string;
  needs?: MissingDump[];
}

type Stage =
  | { kind: 'local-out'; ns: NetNamespace }
  | { kind: 'arrive'; ns: NetNamespace; iface: string }
  | { kind: 'ip-in'; ns: NetNamespace; iface: string; preroutingDone?: boolean }
  | { kind: 'transmit'; ns: NetNamespace; iface: string | undefined; nextHop: string; forwarded: boolean }
  | { kind: 'end' };

const MAX_STAGES = 200;
const NAT_NOTE = 'only the first packet of a connection crosses the nat table: conntrack remembers this rewrite and applies it to every later packet (and the reverse to replies)';

export function walk(cluster: Cluster, start: Start, packet: Packet, chooser: Chooser): WalkResult {
  const walker = new Walker(cluster, chooser, packet);
  let stage: Stage = start.kind === 'local' ? { kind: 'local-out', ns: start.ns } : { kind: 'arrive', ns: start.ns, iface: start.iface };
  for (let i = 0; stage.kind !== 'end'; i++) {
    if (i >= MAX_STAGES) stage = walker.end('loop', `the packet went through more than ${MAX_STAGES} stages; podpath stopped following it`, 'no answer');
    else if (stage.kind === 'local-out') stage = walker.localOut(stage.ns);
    else if (stage.kind === 'arrive') stage = walker.arrive(stage.ns, stage.iface);
    else if (stage.kind === 'ip-in') stage = walker.ipIn(stage.ns, stage.iface, stage.preroutingDone ?? false);
    else stage = walker.transmit(stage.ns, stage.iface, stage.nextHop, stage.forwarded);
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

  constructor(private readonly cluster: Cluster, private readonly chooser: Chooser, packet: Packet) {
    this.flow = { packet, mark: 0, ct: newConntrack(packet), ttl: 64 };
  }

  result(): WalkResult {
    const ending = this.ending ?? { disposition: 'unknown' as const, reason: 'the trace stopped without an ending', clientSees: 'unknown' };
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
    const before = headerOf(this.flow).dst;
    const out = this.hook(ns, 'OUTPUT', undefined, route.outIface, route.nextHop);
    if (out) return out;
    if (headerOf(this.flow).dst !== before) {
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
    return { kind: 'transmit', ns, iface: route.outIface, nextHop: route.nextHop!, forwarded: false };
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
    this.note(`${ns.name}: podpath assumes net.bridge.bridge-nf-call-iptables=1 (Kubernetes requires it), so iptables PREROUTING runs as the frame enters ${bridge}`);
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

  private bridgedDnat(ns: NetNamespace, bridge: string, route: RouteDecision): Stage {
    this.hop(ns, bridge, 'out');
    const neighbour = resolveNeighbour(this.cluster, ns, bridge, route.nextHop!);
    this.add([neighbour.step]);
    if (!neighbour.mac) return this.neighbourFailure(ns, bridge, route.nextHop!, true);
    const fallback = this.cluster.podOnBridge(ns, bridge, route.nextHop!)?.hostInterface;
    const decision = bridgeDecide(ns, bridge, neighbour.mac, fallback);
    this.add([decision.step]);
    return this.bridgeForward(ns, bridge, decision.port);
  }

  /** br_netfilter: a frame bridged from port to port crosses FORWARD and POSTROUTING (devices: the bridge). */
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
    const forward = this.hook(ns, 'FORWARD', iface, route.outIface, route.nextHop);
    if (forward) return forward;
    const post = this.hook(ns, 'POSTROUTING', iface, route.outIface, route.nextHop);
    if (post) return post;
    return { kind: 'transmit', ns, iface: route.outIface, nextHop: route.nextHop!, forwarded: true };
  }

  transmit(ns: NetNamespace, iface: string | undefined, nextHop: string, forwarded: boolean): Stage {
    if (iface === undefined) {
      return this.insufficient(`${ns.name}'s route to ${headerOf(this.flow).dst} names no device, and the gateway ${nextHop} is not on any connected route in the dumps`, needsAt(ns.name, ['ip route', 'ip addr']));
    }
    const device = interfaceOf(ns, iface);
    if (!device) {
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
    const vxlan = vxlanSettings(this.cluster.topology, ns, device);
    if (vxlan) {
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
    if (interfaceRole(device, ns.kind) === 'ipip') {
      this.hop(ns, iface, 'out');
      const encapsulation = ipipEncapsulate(ns, device, nextHop, (remote) => this.sourceTowards(ns, remote));
      this.add(encapsulation.steps);
      if (!encapsulation.outer) return this.encapsulationFailure(encapsulation.failure!);
      return this.encapsulated(ns, encapsulation.outer);
    }
    const neighbour = resolveNeighbour(this.cluster, ns, iface, nextHop);
    if (isBridge(ns, iface)) {
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
    const dumps = '(`ip addr`, `ip -d link`, `ip route`, `ip neigh`, `bridge fdb show`, `iptables-save`)';
    if (this.flow.outer) {
      return this.insufficient(`${ns.name} sends the tunnelled packet to the node at ${this.flow.outer.dst}, whose dumps were not given; the dumps of the node at ${this.flow.outer.dst} ${dumps} would settle it`, needsAt(`the node at ${this.flow.outer.dst}`, NODE_DUMPS));
    }
    const dst = headerOf(this.flow).dst;
    if (!this.cluster.holdsAddress(dst)) return this.exitCluster(ns, iface, nextHop);
    return this.insufficient(`${ns.name} sends the packet out of ${iface} towards ${nextHop}, which no node or pod in the dumps holds; what happens beyond is outside the dumps (the dumps of the machine at ${nextHop} ${dumps} would settle it)`, needsAt(`the machine at ${nextHop}`, NODE_DUMPS));
  }

  // ---- helpers for the stages ----

  private encapsulated(ns: NetNamespace, outer: NonNullable<Flow['outer']>): Stage {
    // The outer packet is a new, locally generated packet of this node with its own conntrack entry.
    // Its routing and netfilter steps belong to the hop where it is first seen (the underlay device).
    this.flow = { ...this.flow, outer, ct: newConntrack(outer) };
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
      this.flow = { ...inner, ct: newConntrack(inner.packet) };
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
    this.ending = { disposition: 'delivered', reason: `delivered to ${where}${port}${iface === 'lo' ? ' through lo' : ''}`, clientSees: 'connected' };
    return { kind: 'end' };
  }

  /** IPVS picks a real server (Masq: DNAT) and sends the packet on through LOCAL_OUT and POSTROUTING. */
  private ipvs(ns: NetNamespace): Stage {
    const service = ipvsServiceFor(ns, headerOf(this.flow))!;
    const name = `${service.protocol.toUpperCase()} ${service.address}:${service.port}`;
    const pick = ipvsPick(service, headerOf(this.flow), (p) => this.chooser.choose(p));
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
    return { kind: 'local-out', ns };
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
    // drops it and (ipv4_link_failure) sends the client ICMP host unreachable; once the entry is
    // FAILED, later packets get that answer at once. A client that gives up within 3 s sees nothing.
    return this.end(
      'neighbour-missing',
      `${ns.name} cannot resolve the next hop ${nextHop} on ${iface}: ARP gets no answer (\`ip neigh\`), so the packet is never sent${forwarded ? `; after about 3 s of ARP probes (at once when the entry is already FAILED) ${ns.name} answers the client with icmp host unreachable` : ''}`,
      forwarded ? 'icmp host unreachable' : 'no route to host (EHOSTUNREACH)',
    );
  }

  private sourceTowards(ns: NetNamespace, remote: string): string | undefined {
    const decision = lookupRoute({ ns, dst: remote, mark: this.flow.mark });
    return decision.preferredSource ?? (decision.outIface ? selectSource(ns, decision.outIface, remote) : undefined);
  }

  /** Runs one netfilter hook; returns the ending stage when the packet is dropped or rejected. */
  private hook(ns: NetNamespace, hook: Hook, inIface: string | undefined, outIface: string | undefined, nextHop: string | undefined, beforePriority?: number): Stage | undefined {
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
    };
    if (inIface) input.inIface = inIface;
    if (outIface) input.outIface = outIface;
    if (beforePriority !== undefined) input.beforePriority = beforePriority;
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
      this.flow = { ...this.flow, mark: 0, ct: newConntrack(headerOf(this.flow)) };
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

  end(disposition: DropStep['disposition'], reason: string, clientSees: string): Stage {
    this.recorder.finish({ type: 'drop', disposition, explanation: reason }, this.namespace?.name ?? 'source', this.flow);
    this.ending = { disposition, reason, clientSees };
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
