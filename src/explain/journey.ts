// Lines up the captures of one connection's first packet as hops of one journey
// (the same SYN seen at pod eth0, veth, cni0, flannel.1, eth0 on both nodes is one
// packet travelling, not retransmissions), and sets them beside the model: the
// tracer's path when one is given, else the captured interfaces that lie on the
// path between the client's node and the endpoint's node in kernel order. Where
// the packet stops being seen, the dumps of the node it was last seen on name
// the likely cause (diagnose.ts).
import type { ClusterNode, Topology } from '../topology/model.ts';
import type { TracePath, TraceResult } from '../trace/model.ts';
import type { ConnectionWithFlows } from './connections.ts';
import { checkForward, checkNextHop, checkOverlay, checkReceiver, checkRoute, lookupRoute } from './diagnose.ts';
import type { FiveTuple, PacketFacts } from './facts.ts';
import type { CaptureInfo, Cause, Journey, ModelHop, Sighting } from './model.ts';
import { type AddressBook, serviceName, servicesFor } from './names.ts';

export interface TraceRequest {
  /** Pod name, node name or address of the client. */
  from: string;
  /** 'ip:port/proto' the client asked for. */
  to: string;
  /** The client's source port as captured, so the modelled packet is the captured one. */
  sport?: number;
}

export type TraceFunction = (topology: Topology, request: TraceRequest) => TraceResult | undefined | Promise<TraceResult | undefined>;

export interface JourneyContext {
  topology: Topology;
  names: AddressBook;
  captures: CaptureInfo[];
  trace?: TraceFunction;
}

function isPureSyn(p: PacketFacts): boolean {
  return !!p.tcp && p.tcp.flags.syn && !p.tcp.flags.ack;
}

/** The first packet of the connection in each capture that saw it, with how often it was sent there. */
function sightingsOf(cw: ConnectionWithFlows, captures: CaptureInfo[]): { sightings: Sighting[]; firstPacket: string } {
  const isn = cw.connection.tcp?.isn;
  const sightings: Sighting[] = [];
  let firstPacket = cw.connection.proto.toUpperCase();
  for (const { flow, packets, distinct } of cw.flows) {
    let matches: PacketFacts[];
    if (isn !== undefined) {
      matches = distinct.filter((p) => isPureSyn(p) && p.tcp!.seq === isn);
      firstPacket = 'SYN';
    } else {
      const first = packets.find((p) => p.tuple?.src === flow.client.ip && p.tuple?.sport === flow.client.port) ?? packets[0];
      matches = first ? [first] : [];
      if (first?.icmp) firstPacket = 'ICMP';
      else if (first?.tcp) firstPacket = 'first TCP packet seen';
    }
    const p = matches[0];
    if (!p?.tuple) continue;
    const info = captures[p.capture];
    const s: Sighting = {
      capture: p.capture,
      file: info?.file ?? '',
      frame: p.frame,
      time: p.time,
      packet: p.tuple,
      repeats: matches.length - 1,
    };
    if (info?.at) s.at = info.at;
    if (info?.interface) s.interface = info.interface;
    if (p.outer) s.outer = p.outer;
    sightings.push(s);
  }
  return { sightings, firstPacket };
}

interface PathEnds {
  clientPod?: string;
  clientNode?: string;
  serverPod?: string;
  serverNode?: string;
  /** The packet crosses the overlay: the client node routes it into a VXLAN/IPIP device, or the CNI's mode says it should. */
  overlay: boolean;
}

function nodeNamed(topology: Topology, name: string | undefined): ClusterNode | undefined {
  return name === undefined ? undefined : topology.nodes.find((n) => n.name === name);
}

function nodeOfLocation(topology: Topology, at: string | undefined): ClusterNode | undefined {
  if (at === undefined) return undefined;
  const node = nodeNamed(topology, at);
  if (node) return node;
  const pod = topology.pods.find((p) => p.name === at);
  return nodeNamed(topology, pod?.node);
}

/**
 * Kernel order of the captured points on a path, for one side: pod eth0, host veth,
 * bridge, VXLAN device, underlay; then the reverse on the receiving node.
 * Undefined when the location is not on this connection's path.
 */
function rank(topology: Topology, ends: PathEnds, at: string, iface: string): number | undefined {
  if (iface === 'any') return undefined;
  if (ends.clientPod && at === ends.clientPod) return 0;
  if (ends.serverPod && at === ends.serverPod) return 100;
  const node = nodeNamed(topology, at);
  if (!node) return undefined;
  const intf = node.netns.interfaces.find((i) => i.name === iface);
  const clientPod = topology.pods.find((p) => p.name === ends.clientPod);
  const serverPod = topology.pods.find((p) => p.name === ends.serverPod);
  const onClientNode = node.name === ends.clientNode;
  const onServerNode = node.name === ends.serverNode;
  const sameNode = onClientNode && onServerNode;
  if (clientPod?.hostInterface === iface && onClientNode) return 11;
  if (serverPod?.hostInterface === iface && onServerNode) return 98;
  const bridgeOf = (pod: typeof clientPod): string | undefined =>
    pod?.hostInterface ? node.netns.interfaces.find((i) => i.name === pod.hostInterface)?.master : undefined;
  const isUnderlay = !!intf && intf.addresses.some((a) => node.addresses.includes(a.address));
  const isOverlay = !!intf && (intf.kind === 'vxlan' || !!intf.vxlan || intf.kind === 'ipip');
  if (onClientNode && bridgeOf(clientPod) === iface) return 12;
  if (onServerNode && bridgeOf(serverPod) === iface) return sameNode ? 13 : 97;
  if (sameNode) return undefined; // no overlay or underlay between two pods of one node
  if (onClientNode && isOverlay) return ends.overlay ? 13 : undefined;
  if (onClientNode && isUnderlay) return 14;
  if (onServerNode && isUnderlay) return 95;
  if (onServerNode && isOverlay) return ends.overlay ? 96 : undefined;
  return undefined;
}

function endsOf(cw: ConnectionWithFlows, sightings: Sighting[], names: AddressBook, topology: Topology): PathEnds {
  const ends: PathEnds = { overlay: false };
  const client = names.name(cw.connection.client.ip);
  if (client.kind === 'pod') ends.clientPod = client.name;
  if (client.node) ends.clientNode = client.node;
  // The server after DNAT: the endpoint the service chose, as the latest capture shows it.
  const last = [...sightings].reverse().find((s) => s.packet.dst !== cw.connection.server.ip) ?? sightings[sightings.length - 1];
  const serverIp = cw.connection.service?.endpoint?.ip ?? last?.packet.dst ?? cw.connection.server.ip;
  const server = names.name(serverIp);
  if (server.kind === 'pod') ends.serverPod = server.name;
  if (server.node) ends.serverNode = server.node;
  // A NodePort is DNATed on the node it is sent to: until then the packet heads for that node's address.
  const clientNode = nodeNamed(topology, ends.clientNode);
  const towards = cw.connection.service?.via === 'node-port' ? cw.connection.server.ip : serverIp;
  const route = clientNode ? lookupRoute(clientNode, towards) : undefined;
  const routedIntoOverlay = !!route?.dev && !!clientNode?.netns.interfaces.some((i) => i.name === route.dev && (i.kind === 'vxlan' || !!i.vxlan || i.kind === 'ipip'));
  const intended =
    (topology.cni.mode === 'vxlan' || topology.cni.mode === 'ipip') &&
    cw.connection.service?.via !== 'node-port' &&
    (server.kind === 'pod' || server.kind === 'pod-subnet') &&
    ends.clientNode !== undefined &&
    ends.serverNode !== undefined &&
    ends.clientNode !== ends.serverNode &&
    (client.kind === 'pod' || client.kind === 'node');
  ends.overlay = routedIntoOverlay || intended;
  return ends;
}

function sortSightings(sightings: Sighting[], topology: Topology, ends: PathEnds): void {
  const r = (s: Sighting): number => (s.at && s.interface ? (rank(topology, ends, s.at, s.interface) ?? 50) : 50);
  sightings.sort((a, b) => a.time - b.time || r(a) - r(b) || a.capture - b.capture);
}

function tupleText(t: FiveTuple): string {
  const s = t.sport === undefined ? t.src : `${t.src}:${t.sport}`;
  const d = t.dport === undefined ? t.dst : `${t.dst}:${t.dport}`;
  return `${s} → ${d}`;
}

function modelFromDumps(ctx: JourneyContext, ends: PathEnds, sightings: Sighting[]): ModelHop[] {
  const hops: { hop: ModelHop; rank: number }[] = [];
  ctx.captures.forEach((c, index) => {
    if (!c.at || !c.interface) return;
    const r = rank(ctx.topology, ends, c.at, c.interface);
    if (r === undefined) return;
    const seen = sightings.find((s) => s.capture === index);
    const hop: ModelHop = { at: c.at, interface: c.interface, check: seen ? 'seen' : 'missing', differences: [] };
    if (seen) {
      hop.frame = seen.frame;
      hop.capture = index;
    }
    hops.push({ hop, rank: r });
  });
  hops.sort((a, b) => a.rank - b.rank);
  return hops.map((h) => h.hop);
}

function modelFromTrace(ctx: JourneyContext, path: TracePath, sightings: Sighting[]): ModelHop[] {
  return path.hops.map((h) => {
    const captureIndex = ctx.captures.findIndex((c) => c.at === h.at && c.interface === h.interface);
    const seen = sightings.find((s) => s.at === h.at && s.interface === h.interface);
    const hop: ModelHop = {
      at: h.at,
      interface: h.interface,
      packet: { src: h.packet.src, dst: h.packet.dst, proto: h.packet.proto === 'sctp' ? 'other' : h.packet.proto, ...(h.packet.sport !== undefined ? { sport: h.packet.sport } : {}), ...(h.packet.dport !== undefined ? { dport: h.packet.dport } : {}) },
      check: seen ? 'seen' : captureIndex >= 0 ? 'missing' : 'no-capture',
      differences: [],
    };
    if (h.outer) hop.outer = { ...h.outer };
    if (seen) {
      hop.frame = seen.frame;
      hop.capture = seen.capture;
      const want = h.packet;
      const got = seen.packet;
      // Source ports after MASQUERADE --random-fully are the kernel's choice: only addresses and the destination port are compared.
      if (want.src !== got.src) hop.differences.push(`source ${got.src}, model ${want.src}`);
      if (want.dst !== got.dst) hop.differences.push(`destination ${got.dst}, model ${want.dst}`);
      if (want.dport !== undefined && want.dport !== got.dport) hop.differences.push(`destination port ${got.dport ?? '-'}, model ${want.dport}`);
      if (h.outer && !seen.outer) hop.differences.push(`seen without the ${h.outer.encapsulation} header the model puts on it`);
      if (!h.outer && seen.outer) hop.differences.push(`seen encapsulated (${seen.outer.src} → ${seen.outer.dst}), the model has no tunnel here`);
      if (h.outer && seen.outer) {
        if (h.outer.src !== seen.outer.src || h.outer.dst !== seen.outer.dst) hop.differences.push(`outer ${seen.outer.src} → ${seen.outer.dst}, model ${h.outer.src} → ${h.outer.dst}`);
        if (h.outer.vni !== undefined && h.outer.vni !== seen.outer.vni) hop.differences.push(`VNI ${seen.outer.vni ?? '-'}, model ${h.outer.vni}`);
        if (h.outer.dport !== undefined && h.outer.dport !== seen.outer.dport) hop.differences.push(`UDP port ${seen.outer.dport ?? '-'}, model ${h.outer.dport}`);
      }
    }
    return hop;
  });
}

function choosePath(result: TraceResult, sightings: Sighting[]): TracePath | undefined {
  const dsts = new Set(sightings.map((s) => `${s.packet.dst}:${s.packet.dport ?? ''}`));
  return result.paths.find((p) => p.endpoint !== undefined && dsts.has(p.endpoint)) ?? (result.paths.length === 1 ? result.paths[0] : undefined) ?? result.paths[0];
}

/** The likely cause on the node where the packet was last seen, checked in the kernel's order. */
function diagnose(ctx: JourneyContext, cw: ConnectionWithFlows, last: Sighting): Cause | undefined {
  const topology = ctx.topology;
  const node = nodeOfLocation(topology, last.at);
  if (!node) return undefined;
  const packet = last.packet;
  const lastIsPod = !nodeNamed(topology, last.at ?? '');
  const intf = node.netns.interfaces.find((i) => i.name === last.interface);
  const isOverlayDevice = (name: string | undefined): boolean => !!node.netns.interfaces.find((i) => i.name === name && (i.kind === 'vxlan' || !!i.vxlan));
  const lastIsOverlay = isOverlayDevice(intf?.name);
  const lastIsUnderlay = !!intf && intf.addresses.some((a) => node.addresses.includes(a.address));
  // Arrived on the underlay of the receiving node, never decapsulated.
  if (lastIsUnderlay && last.outer && node.addresses.includes(last.outer.dst)) {
    const receiver = checkReceiver(topology, node, last.outer);
    if (receiver) return receiver;
  }
  const route = lookupRoute(node, packet.dst);
  const routeIsOverlay = isOverlayDevice(route?.dev);
  let cause: Cause | undefined;
  if (lastIsOverlay && routeIsOverlay) {
    // Seen on the sender's VXLAN device: routing and FORWARD let it through; the driver's lookups did not.
    cause = checkOverlay(topology, node, packet.dst);
  } else if (!(lastIsUnderlay && last.outer)) {
    const inInterface = lastIsPod ? topology.pods.find((p) => p.name === last.at)?.hostInterface : last.interface;
    const bridged = node.netns.interfaces.find((i) => i.name === inInterface)?.master;
    cause =
      checkRoute(topology, node, packet.dst) ??
      checkForward(topology, node, packet, bridged ?? inInterface) ??
      (routeIsOverlay ? checkOverlay(topology, node, packet.dst) : checkNextHop(node, packet.dst));
  }
  // A service without endpoints: kube-proxy has nothing to DNAT to, so the packet goes on to its cluster IP.
  const server = cw.connection.server;
  const empty = servicesFor(topology, server.ip, server.port, cw.connection.proto).find(({ service }) => service.endpoints.length === 0);
  if (empty && cause?.kind !== 'rejected' && cause?.kind !== 'forward-drop') {
    const wrapped: Cause = {
      kind: 'no-endpoints',
      node: cause?.node ?? node.name,
      text: `service ${serviceName(empty.service)} has no endpoints, so nothing DNATs ${server.ip}:${server.port ?? ''}${cause ? `; ${cause.text}` : ` and ${node.name} has no rule that rejects it`}`,
    };
    if (cause?.source) wrapped.source = cause.source;
    return wrapped;
  }
  return cause ?? unexplained(node, packet);
}

const CAUSE_OF_DISPOSITION: Record<string, Cause['kind']> = {
  'fdb-missing': 'fdb-missing',
  'neighbour-missing': 'neighbour-missing',
  'no-route': 'no-route',
  unreachable: 'no-route',
  blackhole: 'no-route',
  prohibited: 'no-route',
  dropped: 'forward-drop',
  rejected: 'rejected',
  'no-endpoints': 'no-endpoints',
};

/** When podpath's own checks find nothing, the tracer's reason for stopping (with its dump line). */
function traceCause(path: TracePath, last: Sighting): Cause {
  const end = path.hops[path.hops.length - 1];
  const drop = end?.steps.find((s) => s.type === 'drop' || (s.type === 'netfilter' && (s.action === 'drop' || s.action === 'reject' || s.action === 'policy-drop')));
  const cause: Cause = { kind: CAUSE_OF_DISPOSITION[path.disposition] ?? 'unknown', node: end?.at ?? last.at ?? '?', text: path.reason };
  if (drop?.source) cause.source = drop.source;
  return cause;
}

function unexplained(node: ClusterNode, packet: FiveTuple): Cause | undefined {
  const route = lookupRoute(node, packet.dst);
  return route ? undefined : { kind: 'unknown', node: node.name, text: `${node.name}'s dumps show no reason` };
}

export async function buildJourney(cw: ConnectionWithFlows, ctx: JourneyContext): Promise<Journey> {
  const { topology, names } = ctx;
  const { sightings, firstPacket } = sightingsOf(cw, ctx.captures);
  const ends = endsOf(cw, sightings, names, topology);
  sortSightings(sightings, topology, ends);
  const journey: Journey = { connection: cw.connection.id, firstPacket, sightings, verdict: 'no-model', text: [] };
  if (topology.nodes.length === 0 || sightings.length === 0) return journey;

  let traced: TraceResult | undefined;
  if (ctx.trace) {
    const from = ends.clientPod ?? ends.clientNode ?? cw.connection.client.ip;
    const s = cw.connection.server;
    try {
      const request: TraceRequest = { from, to: `${s.ip}${s.port !== undefined ? `:${s.port}` : ''}/${cw.connection.proto}` };
      if (cw.connection.client.port !== undefined) request.sport = cw.connection.client.port;
      traced = await ctx.trace(topology, request);
    } catch (error) {
      journey.text.push(`the tracer could not model this connection: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const path = traced ? choosePath(traced, sightings) : undefined;
  // Where the packet physically went: the captured interfaces on its path, in kernel order.
  const onPath = modelFromDumps(ctx, ends, sightings);
  const hops = path ? modelFromTrace(ctx, path, sightings) : onPath;
  if (hops.length === 0 && onPath.length === 0) return journey;
  journey.model = { source: path ? 'trace' : 'dumps', hops };
  if (path) {
    journey.model.disposition = path.disposition;
    journey.model.reason = path.reason;
  }
  const lastSeen = (list: ModelHop[]): number => list.reduce((last, h, i) => (h.check === 'seen' ? i : last), -1);
  if (lastSeen(hops) < 0 && lastSeen(onPath) < 0) {
    // No capture was taken at a known place on this path (file names not `<at>__<iface>.pcap`).
    journey.text.push('no capture is known to be taken on this path: name captures <node or pod>__<interface>.pcap to line them up with the model');
    return journey;
  }
  const lastOnPath = lastSeen(onPath);
  const missingAfter = onPath.find((h, i) => h.check === 'missing' && i > lastOnPath);
  const lastModelSeen = lastSeen(hops);
  const skipped = hops.filter((h, i) => h.check === 'missing' && i < lastModelSeen);
  const differing = hops.filter((h) => h.differences.length > 0);
  const lastSighting = sightings[sightings.length - 1]!;
  const reachedServer = !!ends.serverPod && sightings.some((s) => s.at === ends.serverPod);
  const modelStops = !!path && path.disposition !== 'delivered';

  if (missingAfter || (modelStops && !reachedServer)) {
    journey.verdict = 'lost';
    journey.lostAfter = { ...(lastSighting.at ? { at: lastSighting.at } : {}), ...(lastSighting.interface ? { interface: lastSighting.interface } : {}) };
    if (missingAfter) journey.missingAt = { at: missingAfter.at, interface: missingAfter.interface };
    if (path) {
      // The trace stops where the captures stop: the dumps foresee this loss.
      const end = path.hops[path.hops.length - 1];
      journey.predicted = modelStops && !!end && end.at === lastSighting.at && end.interface === lastSighting.interface;
    }
  } else if (skipped.length > 0 || differing.length > 0 || (modelStops && reachedServer)) {
    journey.verdict = 'disagrees';
  } else {
    journey.verdict = 'agrees';
  }
  const where = (at: string | undefined, iface: string | undefined): string => `${at ?? '?'} ${iface ?? '?'}`;
  if (journey.verdict === 'agrees') {
    journey.text.push(`the ${firstPacket} was seen at every captured hop the ${path ? 'trace predicts' : 'dumps predict'}, in order`);
  }
  if (modelStops && reachedServer) journey.text.push(`the trace ends ${path.disposition} but the captures show the packet reach ${ends.serverPod ?? '?'}`);
  for (const h of skipped) journey.text.push(`the ${firstPacket} was never seen on ${where(h.at, h.interface)}, although it was seen further on: it took another way than the model's`);
  for (const h of differing) journey.text.push(`at ${where(h.at, h.interface)}: ${h.differences.join('; ')}`);
  if (journey.verdict === 'lost') {
    const next = journey.missingAt ? ` and never on ${where(journey.missingAt.at, journey.missingAt.interface)}` : ', nowhere further';
    journey.text.push(`the ${firstPacket} was last seen on ${where(lastSighting.at, lastSighting.interface)} (${tupleText(lastSighting.packet)})${next}`);
    if (path) {
      journey.text.push(
        journey.predicted
          ? `the trace stops there too (${path.disposition}): the dumps foresee this loss`
          : `the trace ${path.disposition === 'delivered' ? 'expects it delivered' : `stops elsewhere (${path.disposition})`}: the dumps do not explain where the captures lose it`,
      );
    }
  }
  if (journey.verdict === 'lost' || journey.verdict === 'disagrees') {
    const cause = diagnose(ctx, cw, lastSighting) ?? (modelStops ? traceCause(path, lastSighting) : undefined);
    if (cause) {
      journey.cause = cause;
      journey.text.push(`likely cause: ${cause.text}${cause.source ? ` (${cause.source.file}:${cause.source.line})` : ''}`);
    }
  }
  return journey;
}
