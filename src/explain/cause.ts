// Names the likely cause of a lost packet: the tracer follows it from where it was last seen
// (diagnose.ts maps the ending on that node to a cause), falling back on the tracer's own
// reason for stopping when the query's trace is all there is.
import type { Disposition, TracePath } from '../trace/model.ts';
import type { ConnectionWithFlows } from './connections.ts';
import { causeOnNode, type LastSeen } from './diagnose.ts';
import type { JourneyContext } from './journey-context.ts';
import type { Cause, Sighting } from './model.ts';
import { serviceName, servicesFor } from './names.ts';
import { nodeNamed, nodeOfLocation } from './path.ts';

function lastSeen(last: Sighting): LastSeen | undefined {
  if (last.at === undefined || last.interface === undefined) return undefined;
  const seen: LastSeen = { at: last.at, interface: last.interface, packet: last.packet, ...(last.outer ? { outer: last.outer } : {}) };
  // A whole datagram's size and DF bit (a fragment's size is not the datagram's): the tracer's MTU checks read them.
  if (last.length !== undefined && !last.fragments) {
    seen.length = last.length;
    seen.df = last.df ?? false;
  }
  return seen;
}

/** The likely cause on the node where the packet was last seen. */
export function diagnose(ctx: JourneyContext, cw: ConnectionWithFlows, last: Sighting): Cause | undefined {
  const topology = ctx.topology;
  const node = nodeOfLocation(topology, last.at);
  const seen = lastSeen(last);
  if (!node || !seen) return undefined;
  const endpoint = cw.connection.service?.endpoint;
  const cause = causeOnNode(topology, node, seen, 'new', endpoint ? `${endpoint.ip}${endpoint.port === undefined ? '' : `:${endpoint.port}`}` : undefined);
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
  return cause;
}

/**
 * Why a reply stops where it does, on a node: the tracer follows a packet of an ESTABLISHED
 * connection (kube-proxy's and the CNIs' RELATED,ESTABLISHED accepts apply, nat does not run).
 */
export function diagnoseReply(ctx: JourneyContext, last: Sighting): Cause | undefined {
  const topology = ctx.topology;
  const node = nodeOfLocation(topology, last.at);
  const seen = lastSeen(last);
  if (!node || !seen || !nodeNamed(topology, last.at)) return undefined;
  return causeOnNode(topology, node, seen, 'established');
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
