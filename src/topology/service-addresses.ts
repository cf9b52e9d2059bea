// Which services an address belongs to: a cluster IP, an external IP or a load-balancer IP.
// Asked per packet (the tracer's "does this address stay in the cluster?" on every path that
// leaves a node, the explainer's names), and a 10,000-service topology made each question a
// scan of 10,000 services; the answer is indexed once per topology's service list, which is not
// changed once built.
import type { Service } from './model.ts';

/** An address's one service, or its several in the list's order (most addresses have one). */
type Holders = Service | Service[];

const indexes = new WeakMap<readonly Service[], Map<string, Holders>>();

function hold(index: Map<string, Holders>, address: string, service: Service): void {
  const known = index.get(address);
  if (known === undefined) index.set(address, service);
  else if (Array.isArray(known)) {
    if (known[known.length - 1] !== service) known.push(service);
  } else if (known !== service) index.set(address, [known, service]); // once per service
}

function indexOf(services: readonly Service[]): Map<string, Holders> {
  let index = indexes.get(services);
  if (!index) {
    index = new Map();
    for (const service of services) {
      if (service.clusterIP !== undefined) hold(index, service.clusterIP, service);
      for (const address of service.externalIPs) hold(index, address, service);
      if (service.loadBalancerIPs) for (const address of service.loadBalancerIPs) hold(index, address, service);
    }
    indexes.set(services, index);
  }
  return index;
}

/** The services (in the topology's order) whose cluster, external or load-balancer IP is `ip`. */
export function servicesAt(services: readonly Service[], ip: string): readonly Service[] {
  const found = indexOf(services).get(ip);
  return found === undefined ? [] : Array.isArray(found) ? found : [found];
}

/** Whether some service's cluster, external or load-balancer IP is `ip`. */
export function isServiceAddress(services: readonly Service[], ip: string): boolean {
  return indexOf(services).has(ip);
}
