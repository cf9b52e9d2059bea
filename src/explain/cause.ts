// Names the likely cause of a lost packet from the dumps of the node where it was last
// seen (the checks are in diagnose.ts, in the kernel's order), falling back on the tracer's
// own reason for stopping.
import type { ClusterNode } from '../topology/model.ts';
import type { Disposition, TracePath } from '../trace/model.ts';
import type { ConnectionWithFlows } from './connections.ts';
import { checkForward, checkNextHop, checkOverlay, checkReceiver, checkRoute, lookupRoute } from './diagnose.ts';
import type { FiveTuple } from './facts.ts';
import type { JourneyContext } from './journey-context.ts';
import type { Cause, Sighting } from './model.ts';
import { serviceName, servicesFor } from './names.ts';
import { nodeNamed, nodeOfLocation } from './path.ts';
import { isVxlanDevice } from '../topology/roles.ts';

/** The likely cause on the node where the packet was last seen, checked in the kernel's order. */
export function diagnose(ctx: JourneyContext, cw: ConnectionWithFlows, last: Sighting): Cause | undefined {
  const topology = ctx.topology;
  const node = nodeOfLocation(topology, last.at);
  if (!node) return undefined;
  const packet = last.packet;
  const lastIsPod = !nodeNamed(topology, last.at ?? '');
  const intf = node.netns.interfaces.find((i) => i.name === last.interface);
  const lastIsOverlay = isVxlanDevice(node.netns, intf?.name);
  const lastIsUnderlay = !!intf && intf.addresses.some((a) => node.addresses.includes(a.address));
  // Arrived on the underlay of the receiving node, never decapsulated.
  if (lastIsUnderlay && last.outer && node.addresses.includes(last.outer.dst)) {
    const receiver = checkReceiver(topology, node, last.outer);
    if (receiver) return receiver;
  }
  const route = lookupRoute(node, packet.dst);
  const routeIsOverlay = isVxlanDevice(node.netns, route?.dev);
  let cause: Cause | undefined;
  if (lastIsOverlay && routeIsOverlay) {
    // Seen on the sender's VXLAN device: routing and FORWARD let it through; the driver's lookups did not.
    cause = checkOverlay(topology, node, packet.dst);
  } else if (!(lastIsUnderlay && last.outer)) {
    const inInterface = lastIsPod ? topology.pods.find((p) => p.name === last.at)?.hostInterface : last.interface;
    const bridged = node.netns.interfaces.find((i) => i.name === inInterface)?.master;
    cause =
      checkRoute(topology, node, packet.dst) ??
      checkForward(node, packet, bridged ?? inInterface) ??
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

/**
 * Why a reply stops where it does: the route back to the client, then FORWARD for a packet of
 * an ESTABLISHED connection (kube-proxy's and the CNIs' RELATED,ESTABLISHED accepts apply), then
 * the overlay's lookups when the way back is a VXLAN device.
 */
export function diagnoseReply(ctx: JourneyContext, last: Sighting): Cause | undefined {
  const topology = ctx.topology;
  const node = nodeOfLocation(topology, last.at);
  if (!node || !nodeNamed(topology, last.at ?? '')) return undefined;
  const packet = last.packet;
  const route = lookupRoute(node, packet.dst);
  const overlay = isVxlanDevice(node.netns, route?.dev);
  return (
    checkRoute(topology, node, packet.dst) ??
    checkForward(node, packet, last.interface, 'ESTABLISHED') ??
    (overlay ? checkOverlay(topology, node, packet.dst) : checkNextHop(node, packet.dst))
  );
}

/** The cause a trace's ending names; a Record over every Disposition, so a new one must be mapped here. */
const CAUSE_OF_DISPOSITION: Record<Disposition, Cause['kind']> = {
  'fdb-missing': 'fdb-missing',
  'neighbour-unresolved': 'neighbour-missing',
  'fragmentation-needed': 'packet-too-big',
  'message-too-long': 'packet-too-big',
  'no-route': 'no-route',
  unreachable: 'no-route',
  blackhole: 'no-route',
  prohibited: 'no-route',
  dropped: 'forward-drop',
  rejected: 'rejected',
  'no-endpoints': 'no-endpoints',
  loop: 'unknown',
  'insufficient-info': 'unknown',
  unknown: 'unknown',
  delivered: 'unknown',
  'exits-cluster': 'unknown',
};

/** When podpath's own checks find nothing, the tracer's reason for stopping (with its dump line). */
export function traceCause(path: TracePath, last: Sighting): Cause {
  const end = path.hops[path.hops.length - 1];
  const drop = end?.steps.find((s) => s.type === 'drop' || (s.type === 'netfilter' && (s.action === 'drop' || s.action === 'reject' || s.action === 'policy-drop')));
  const cause: Cause = { kind: CAUSE_OF_DISPOSITION[path.disposition], node: end?.at ?? last.at ?? '?', text: path.reason };
  if (drop?.source) cause.source = drop.source;
  return cause;
}

function unexplained(node: ClusterNode, packet: FiveTuple): Cause | undefined {
  const route = lookupRoute(node, packet.dst);
  return route ? undefined : { kind: 'unknown', node: node.name, text: `${node.name}'s dumps show no reason` };
}

