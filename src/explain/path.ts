// The path a connection's first packet takes through the captured interfaces, in the
// kernel's order, and the model hops set beside the sightings: the tracer's path when
// there is one, else the captured interfaces the dumps put between the client's node and
// the endpoint's node.
import type { ClusterNode, Topology } from '../topology/model.ts';
import type { TracePath, TraceResult } from '../trace/model.ts';
import type { ConnectionWithFlows } from './connections.ts';
import { lookupRoute } from '../trace/routing.ts';
import type { JourneyContext } from './journey-context.ts';
import type { ModelHop, Sighting } from './model.ts';
import type { AddressBook } from './names.ts';
import { isTunnelDevice, roleOfName } from '../topology/roles.ts';

export interface PathEnds {
  clientPod?: string;
  clientNode?: string;
  serverPod?: string;
  serverNode?: string;
  /** The packet crosses the overlay: the client node routes it into a VXLAN/IPIP device, or the CNI's mode says it should. */
  overlay: boolean;
}

export function nodeNamed(topology: Topology, name: string | undefined): ClusterNode | undefined {
  return name === undefined ? undefined : topology.nodes.find((n) => n.name === name);
}

export function nodeOfLocation(topology: Topology, at: string | undefined): ClusterNode | undefined {
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
  // A device the dumps do not list (a partial paste) counts as the underlay when it is the VXLAN
  // devices' `dev` or named like a NIC.
  const isUnderlay = intf
    ? intf.addresses.some((a) => node.addresses.includes(a.address))
    : topology.vteps.length > 0 && (node.netns.interfaces.some((i) => i.vxlan?.device === iface) || roleOfName(iface) === 'underlay');
  const isOverlay = !!intf && isTunnelDevice(node.netns, iface);
  if (onClientNode && bridgeOf(clientPod) === iface) return 12;
  if (onServerNode && bridgeOf(serverPod) === iface) return sameNode ? 13 : 97;
  if (sameNode) return undefined; // no overlay or underlay between two pods of one node
  if (onClientNode && isOverlay) return ends.overlay ? 13 : undefined;
  if (onClientNode && isUnderlay) return 14;
  if (onServerNode && isUnderlay) return 95;
  if (onServerNode && isOverlay) return ends.overlay ? 96 : undefined;
  return undefined;
}

export function endsOf(cw: ConnectionWithFlows, sightings: Sighting[], names: AddressBook, topology: Topology): PathEnds {
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
  const out = clientNode ? lookupRoute({ ns: clientNode.netns, dst: towards, mark: 0 }).outIface : undefined;
  const routedIntoOverlay = !!clientNode && !!out && clientNode.netns.interfaces.some((i) => i.name === out) && isTunnelDevice(clientNode.netns, out);
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

/**
 * Orders the sightings along the packet's way. On one node every capture reads the same kernel
 * clock, so time decides (the kernel order breaks ties within a microsecond). Between two
 * nodes the clocks may be skewed by more than the hop takes, so the path's order decides when
 * both places are on it.
 */
export function sortSightings(sightings: Sighting[], topology: Topology, ends: PathEnds): void {
  const r = (s: Sighting): number | undefined => (s.at && s.interface ? rank(topology, ends, s.at, s.interface) : undefined);
  const node = (s: Sighting): string | undefined => nodeOfLocation(topology, s.at)?.name;
  sightings.sort((a, b) => {
    const ra = r(a);
    const rb = r(b);
    const na = node(a);
    const nb = node(b);
    if (ra !== undefined && rb !== undefined && na !== undefined && nb !== undefined && na !== nb) return ra - rb;
    return a.time - b.time || (ra ?? 50) - (rb ?? 50) || a.capture - b.capture;
  });
}

export function modelFromDumps(ctx: JourneyContext, ends: PathEnds, sightings: Sighting[]): ModelHop[] {
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
    // One place captured twice (its own capture and a `-i any` part): one hop, seen if either saw it.
    const same = hops.find((h) => h.hop.at === c.at && h.hop.interface === c.interface);
    if (same) {
      if (same.hop.check !== 'seen' && seen) same.hop = hop;
      return;
    }
    hops.push({ hop, rank: r });
  });
  hops.sort((a, b) => a.rank - b.rank);
  return hops.map((h) => h.hop);
}

export function modelFromTrace(ctx: JourneyContext, path: TracePath, sightings: Sighting[]): ModelHop[] {
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

export function choosePath(result: TraceResult, sightings: Sighting[]): TracePath | undefined {
  const dsts = new Set(sightings.map((s) => `${s.packet.dst}:${s.packet.dport ?? ''}`));
  return result.paths.find((p) => p.endpoint !== undefined && dsts.has(p.endpoint)) ?? (result.paths.length === 1 ? result.paths[0] : undefined) ?? result.paths[0];
}

