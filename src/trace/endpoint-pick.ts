// Which endpoint a kube-proxy KUBE-SVC chain's jump picks, read from the services the topology
// built (topology/kube-proxy/services.ts computes each endpoint's real share from the chained
// 1/(n-i) probabilities once); the tracer only looks it up, so the share has one home.
import type { Service } from '../topology/model.ts';
import { ScanThenIndex } from '../util/scan-then-index.ts';
import { formatProbability } from './probability.ts';

export interface EndpointPick {
  /** 1-based, in rule order. */
  position: number;
  count: number;
  share: number;
}

// By KUBE-SVC chain only (10,000 services: 10,000 keys, not one per endpoint); a chain's
// endpoints are searched when a jump asks. Scanned for a trace's few jumps, indexed once asked
// often (util/scan-then-index.ts): the index was ~6 ms of the first trace.
const indexes = new ScanThenIndex((services: readonly Service[]) => {
  const index = new Map<string, Service[]>();
  for (let i = 0; i < services.length; i++) {
    const service = services[i]!;
    if (!service.svcChain) continue;
    const same = index.get(service.svcChain);
    if (same) same.push(service);
    else index.set(service.svcChain, [service]);
  }
  return index;
});

/** The pick a jump from `svcChain` to `sepChain` makes, when the topology knows that service's endpoints. */
export function endpointPick(services: readonly Service[], svcChain: string, sepChain: string): EndpointPick | undefined {
  // The last service and endpoint naming the pair wins (as one map of every pair, filled in order, would have it).
  const index = indexes.indexOf(services);
  const candidates = index === undefined ? services : index.get(svcChain) ?? [];
  for (let s = candidates.length - 1; s >= 0; s--) {
    const service = candidates[s]!;
    if (service.svcChain !== svcChain) continue;
    const endpoints = service.endpoints;
    for (let i = endpoints.length - 1; i >= 0; i--) {
      if (endpoints[i]!.sepChain === sepChain) return { position: i + 1, count: endpoints.length, share: endpoints[i]!.probability };
    }
  }
  return undefined;
}

/** "endpoint 2 of 3 with probability 1/3". */
export function describePick(pick: EndpointPick): string {
  return `endpoint ${pick.position} of ${pick.count} with probability ${formatProbability(pick.share)}`;
}
