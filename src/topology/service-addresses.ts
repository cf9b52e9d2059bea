// Which services an address belongs to: a cluster IP, an external IP or a load-balancer IP.
// Asked per packet (the tracer's "does this address stay in the cluster?" on every path that
// leaves a node, the explainer's names). A 10,000-service topology's list is scanned for the
// first few questions and indexed once asked often (util/scan-then-index.ts): one trace asks
// two or three, and indexing 10,000 services up front was ~8 ms of the first trace. The list is
// not changed once built.
import { ScanThenIndex } from '../util/scan-then-index.ts';
import type { Service } from './model.ts';

/** An address's one service, or its several in the list's order (most addresses have one). */
type Holders = Service | Service[];

function hold(index: Map<string, Holders>, address: string, service: Service): void {
  const known = index.get(address);
  if (known === undefined) index.set(address, service);
  else if (Array.isArray(known)) {
    if (known[known.length - 1] !== service) known.push(service);
  } else if (known !== service) index.set(address, [known, service]); // once per service
}

// Indexed loops, no iterators: these run once over 10,000 services, mostly before V8 has
// optimised them.
const indexes = new ScanThenIndex((services: readonly Service[]) => {
  const index = new Map<string, Holders>();
  for (let i = 0; i < services.length; i++) {
    const service = services[i]!;
    if (service.clusterIP !== undefined) hold(index, service.clusterIP, service);
    const external = service.externalIPs;
    for (let e = 0; e < external.length; e++) hold(index, external[e]!, service);
    const balancers = service.loadBalancerIPs;
    if (balancers) for (let b = 0; b < balancers.length; b++) hold(index, balancers[b]!, service);
  }
  return index;
});

function holds(service: Service, ip: string): boolean {
  if (service.clusterIP === ip) return true;
  if (service.externalIPs.length > 0 && service.externalIPs.includes(ip)) return true;
  return service.loadBalancerIPs !== undefined && service.loadBalancerIPs.includes(ip);
}

/** The services (in the topology's order) whose cluster, external or load-balancer IP is `ip`. */
export function servicesAt(services: readonly Service[], ip: string): readonly Service[] {
  const index = indexes.indexOf(services);
  if (index === undefined) return services.filter((s) => holds(s, ip));
  const found = index.get(ip);
  return found === undefined ? [] : Array.isArray(found) ? found : [found];
}

/** Whether some service's cluster, external or load-balancer IP is `ip`. */
export function isServiceAddress(services: readonly Service[], ip: string): boolean {
  const index = indexes.indexOf(services);
  if (index !== undefined) return index.has(ip);
  for (let i = 0; i < services.length; i++) if (holds(services[i]!, ip)) return true;
  return false;
}
