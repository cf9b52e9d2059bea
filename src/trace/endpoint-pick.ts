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

const indexes = new WeakMap<readonly Service[], Map<string, EndpointPick>>();

/** The pick a jump from `svcChain` to `sepChain` makes, when the topology knows that service's endpoints. */
export function endpointPick(services: readonly Service[], svcChain: string, sepChain: string): EndpointPick | undefined {
  let index = indexes.get(services);
  if (!index) {
    index = new Map();
    for (const service of services) {
      if (!service.svcChain) continue;
      service.endpoints.forEach((e, i) => {
        if (e.sepChain) index!.set(`${service.svcChain}>${e.sepChain}`, { position: i + 1, count: service.endpoints.length, share: e.probability });
      });
    }
    indexes.set(services, index);
  }
  return index.get(`${svcChain}>${sepChain}`);
}

/** "endpoint 2 of 3 with probability 1/3". */
export function describePick(pick: EndpointPick): string {
  return `endpoint ${pick.position} of ${pick.count} with probability ${formatProbability(pick.share)}`;
}
