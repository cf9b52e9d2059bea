// Tracing from a place where a capture saw the packet, rather than from a query's client:
// the explainer's question "the packet was last seen on worker-1 flannel.1; where does the
// kernel take it from there, and where does it stop?". The same hop loop as traceQuery
// (hop.ts) answers it, so the explainer keeps no kernel logic of its own.
//
// Which way the packet crosses the device is read from the routes: a packet whose route
// leaves by that device (or, on a bridge port, by its bridge towards the pod behind the port)
// is on its way out, and the walk starts at transmit; any other is arriving there, and when
// the device is a veth whose peer routes the packet into it, the walk starts at that peer.
import type { NetNamespace, Topology } from '../topology/model.ts';
import type { OuterHeader, Packet, TraceResult } from './model.ts';
import { UsageError } from '../errors.ts';
import { Cluster, bridgeOfPort } from './cluster.ts';
import { enumerateBranches } from './chooser.ts';
import { createTrace } from './factory.ts';
import { walk, type Start } from './hop.ts';
import { lookupRoute } from './routing.ts';
import { formatEndpoint } from './flow.ts';
import { toTracePath } from './trace.ts';

export interface TraceFromRequest {
  /** A node's or a pod's name, as the topology has it. */
  at: string;
  interface: string;
  /** The packet as the capture shows it there (the inner packet when encapsulated). */
  packet: Packet;
  /** Its outer header, when the capture shows it encapsulated. */
  outer?: OuterHeader;
  /** new: a connection's first packet; established: a later one, or a reply (nat does not run). */
  conntrack: 'new' | 'established';
}

export function traceFrom(topology: Topology, request: TraceFromRequest): TraceResult {
  const cluster = new Cluster(topology);
  const ns = namespaceAt(cluster, request.at);
  const start = startAt(cluster, ns, request.interface, request.outer?.dst ?? request.packet.dst);
  const options = { conntrack: request.conntrack === 'new' ? ('NEW' as const) : ('ESTABLISHED' as const), ...(request.outer ? { outer: request.outer } : {}) };
  const { results, truncated } = enumerateBranches((chooser) => walk(cluster, start, { ...request.packet }, chooser, options));
  const paths = results.map(({ result, probability }) => toTracePath(result, probability));
  const warnings = truncated ? [{ file: 'trace', line: 0, message: `more than ${results.length} branches: only the first ${results.length} are shown` }] : [];
  const p = request.packet;
  const query = { from: `${request.at} ${request.interface}`, to: formatEndpoint(p.dst, p.dport), packet: p };
  return createTrace(query, paths, warnings, { partial: truncated });
}

function namespaceAt(cluster: Cluster, at: string): NetNamespace {
  const node = cluster.node(at);
  if (node) return node.netns;
  const pod = cluster.pod(at);
  if (pod) return cluster.podNamespace(pod);
  throw new UsageError(`${at}: no node or pod of that name in the dumps`);
}

function startAt(cluster: Cluster, ns: NetNamespace, iface: string, dst: string): Start {
  const route = lookupRoute({ ns, dst, mark: 0 });
  const forwarded = ns.kind === 'node';
  if (route.result === 'forward' && route.nextHop !== undefined && route.outIface === iface) return { kind: 'leave', ns, iface, nextHop: route.nextHop, forwarded };
  const bridge = bridgeOfPort(ns, iface);
  if (bridge && route.result === 'forward' && route.outIface === bridge && cluster.linkPeer(ns, iface)?.ns.interfaces.some((i) => i.addresses.some((a) => a.address === dst))) {
    return { kind: 'leave', ns, iface, nextHop: dst, forwarded };
  }
  // Arriving from a veth peer (a pod's packet on its host-side veth): the walk starts as the peer
  // sends it, so the frame carries the MAC the peer's neighbour entry gives (a bridge reads it).
  const peer = cluster.linkPeer(ns, iface);
  if (peer) {
    const there = lookupRoute({ ns: peer.ns, dst, mark: 0 });
    if (there.result === 'forward' && there.outIface === peer.iface && there.nextHop !== undefined) {
      return { kind: 'leave', ns: peer.ns, iface: peer.iface, nextHop: there.nextHop, forwarded: peer.ns.kind === 'node' };
    }
  }
  return { kind: 'arrive', ns, iface };
}
