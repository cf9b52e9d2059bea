// Which endpoint a kube-proxy KUBE-SVC chain's jump picks, read from the services the topology
// built (topology/kube-proxy/services.ts computes each endpoint's real share from the chained
// 1/(n-i) probabilities once); the tracer only looks it up, so the share has one home.
import type { Service } from '../topology/model.ts';
import { formatProbability } from './probability.ts';

export interface EndpointPick {
  /** 1-based, in rule order. */
  position: number;
  count: number;
  share: number;
}

// By KUBE-SVC chain only (10,000 services: 10,000 keys, not one per endpoint); a chain's
// endpoints are searched when a jump asks.
const indexes = new WeakMap<readonly Service[], Map<string, Service[]>>();

/** The pick a jump from `svcChain` to `sepChain` makes, when the topology knows that service's endpoints. */
export function endpointPick(services: readonly Service[], svcChain: string, sepChain: string): EndpointPick | undefined {
  let index = indexes.get(services);
  if (!index) {
    index = new Map();
    for (const service of services) {
      if (!service.svcChain) continue;
      const same = index.get(service.svcChain);
      if (same) same.push(service);
      else index.set(service.svcChain, [service]);
    }
    indexes.set(services, index);
  }
  // The last service and endpoint naming the pair wins (as one map of every pair, filled in order, would have it).
  const candidates = index.get(svcChain) ?? [];
  for (let s = candidates.length - 1; s >= 0; s--) {
    const endpoints = candidates[s]!.endpoints;
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
