// podpath's tracer: from a Topology and a query to every path the first packet
// can take, one per kube-proxy endpoint branch, each with its real probability.
import type { NetNamespace, Service, Topology } from '../topology/model.ts';
import type { Disposition, TracePath, TraceResult } from './model.ts';
import type { Warning } from '../util/warning.ts';
import { UsageError } from '../errors.ts';
import { Cluster } from './cluster.ts';
import { enumerateBranches } from './chooser.ts';
import { createTrace } from './factory.ts';
import { walk, type WalkResult } from './hop.ts';
import { lookupRoute, selectSourceOn } from './routing.ts';
import { hostSource } from './source-address.ts';
import { firstPacket, resolveDestination, resolveStart, serviceName, type TraceRequest } from './query.ts';
import { outcomeOf } from './outcome.ts';
import { judgePolicies } from './policy.ts';

export type { TraceRequest } from './query.ts';

export function traceQuery(topology: Topology, request: TraceRequest): TraceResult {
  const cluster = new Cluster(topology);
  const destination = resolveDestination(topology, request.to, request.namespace);
  const { start, src, label } = resolveStart(cluster, request);
  // Host-network traffic without a given address takes the source the kernel would choose:
  // the route's, the out device's, else (inet_select_addr) the first global address of the namespace.
  let source = src;
  let assumedSource: string | undefined;
  if (!source && start.kind === 'local') {
    const node = topology.nodes.find((n) => n.netns === start.ns);
    const chosen = hostSource(start.ns, lookupRoute({ ns: start.ns, dst: destination.dst, mark: 0 }), node);
    source = chosen?.address ?? firstGlobalIpv4(start.ns) ?? '';
    assumedSource = chosen?.assumed;
  }
  if (!source) {
    // A pod whose IP is empty in the dumps, a node with only sysctls: no packet can be built.
    throw new UsageError(`--from ${request.from}: no IPv4 address for it in the dumps (no inet line in its ip addr, no IP in kubectl get pods), so the first packet has no source; add its ip addr dump, or trace from its IP`);
  }
  const packet = firstPacket(source, destination, request.sport, request.size, request.df);
  const { results, truncated } = enumerateBranches((chooser) => walk(cluster, start, { ...packet }, chooser));

  let paths: TracePath[] = results.map(({ result, probability }) => toTracePath(result, probability));
  const service = destination.service;
  if (service && service.endpoints.length === 0) paths = paths.map((p) => withNoEndpointsLesson(p, service, destination.dst));
  paths = paths.map((p) => {
    const policy = judgePolicies(topology, p);
    return policy ? { ...p, policy } : p;
  });
  let partial = truncated;
  if (request.endpoint !== undefined) {
    const wanted = request.endpoint;
    const kept = paths.filter((p) => p.endpoint === wanted);
    if (kept.length === 0) {
      const known = [...new Set(paths.map((p) => p.endpoint).filter((e) => e !== undefined))];
      throw new UsageError(`--endpoint ${wanted}: no path reaches that endpoint${known.length ? ` (endpoints: ${known.join(', ')})` : ' (no path is DNATed to an endpoint)'}`);
    }
    paths = kept;
    partial = true;
  }

  // The input warnings this trace depended on: those of files its steps read, or of the folders
  // of the namespaces it visited (a bundle's <node>/ or <node>/pods/<pod>/).
  const visited = new Set(paths.flatMap((p) => p.hops.map((h) => h.at)));
  const files = new Set(paths.flatMap((p) => p.hops.flatMap((h) => h.steps.flatMap((s) => (s.source ? [s.source.file] : [])))));
  // A policy verdict read the policy files: their warnings (a rule left out) bear on it.
  if (paths.some((p) => p.policy)) for (const policy of topology.networkPolicies) files.add(policy.source.file);
  const warnings: Warning[] = topology.warnings.filter((w) => files.has(w.file) || w.file.split(/[\\/]/).some((segment) => visited.has(segment)));
  if (assumedSource) warnings.unshift({ file: 'trace', message: `source address assumed: ${assumedSource}` });
  if (truncated) warnings.push({ file: 'trace', message: `more than ${results.length} branches: only the first ${results.length} are shown` });

  const query = {
    from: label,
    to: destination.service ? `${destination.label} (service ${serviceName(destination.service)})` : destination.label,
    packet,
  };
  return createTrace(query, paths, warnings, { partial });
}

/** One walk's result as a path of the trace. */
export function toTracePath(result: WalkResult, probability: number): TracePath {
  return {
    ...(result.endpoint ? { endpoint: result.endpoint } : {}),
    probability,
    disposition: result.disposition,
    reason: result.reason,
    clientSees: result.clientSees,
    ...(result.answer ? { answer: result.answer } : {}),
    ...(result.socketError ? { socketError: result.socketError } : {}),
    ...(result.needs ? { needs: result.needs } : {}),
    hops: result.hops,
  };
}

/**
 * A service without endpoints is the lesson of any path to it that kube-proxy's REJECT did not
 * end: with nothing to DNAT to, the packet for the cluster IP is routed as an ordinary address
 * (Calico's FORWARD ACCEPT comes before kube-proxy's filter rules, for one). The path's reason
 * says so first, naming the rule that let it through, then how it ended.
 */
function withNoEndpointsLesson(path: TracePath, service: Service, vip: string): TracePath {
  if (path.disposition === 'no-endpoints' || path.disposition === 'rejected') return path;
  const accepted = path.hops.flatMap((h) => h.steps).find((s) => s.type === 'netfilter' && s.table === 'filter' && s.action === 'accept');
  const through = accepted && accepted.type === 'netfilter' ? ` (${accepted.table} ${accepted.chain} accepted the packet first: ${accepted.rule})` : '';
  const lesson = `${serviceName(service)} has no endpoints and kube-proxy's REJECT for it was not reached${through}, so nothing rewrote ${vip} and the packet was routed as an ordinary address`;
  return { ...path, reason: `${lesson}; then ${path.reason}` };
}

function firstGlobalIpv4(ns: NetNamespace): string | undefined {
  const lo = ns.interfaces.find((i) => i.name === 'lo')?.name ?? 'lo';
  return selectSourceOn(ns, lo)?.address;
}

/** 0 when every path is delivered or leaves the cluster, 1 otherwise (the CLI's exit status). */
export function exitStatusOf(result: TraceResult): number {
  return result.paths.every((p) => isSuccess(p.disposition)) ? 0 : 1;
}

/** delivered and exits-cluster are the packet getting where it was sent; everything else is not (or not known). */
export function isSuccess(disposition: Disposition): boolean {
  return outcomeOf(disposition) === 'success';
}
