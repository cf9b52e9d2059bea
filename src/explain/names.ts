// Names every address a capture shows in cluster terms, from the Topology alone:
// pod (and its node), node, service VIP, VTEP, gateway, a node's pod subnet, or
// outside the cluster. Order of the checks matters: a node's underlay address is
// also its VTEP's `local`, and we call it by the node's name.
import type { Service, Topology } from '../topology/model.ts';
import { cidrContains } from '../util/address.ts';
import { servicesAt } from '../topology/service-addresses.ts';
import type { AddressName } from './model.ts';
import { interfaceRole, isTunnelRole } from '../topology/roles.ts';

/** Calico's fixed pod gateway: a link-local address nobody holds, answered by proxy ARP on the cali* veth. */
export const CALICO_GATEWAY = '169.254.1.1';

export class AddressBook {
  private readonly cache = new Map<string, AddressName>();

  constructor(private readonly topology: Topology) {}

  name(ip: string): AddressName {
    let found = this.cache.get(ip);
    if (!found) {
      found = this.lookup(ip);
      this.cache.set(ip, found);
    }
    return found;
  }

  /** Short name for sentences: the pod, node or service name, else the address. */
  short(ip: string): string {
    const found = this.name(ip);
    return found.kind === 'outside' || found.kind === 'unknown' || found.kind === 'pod-subnet' ? ip : found.name;
  }

  /** Every address named so far, in the order first asked. */
  all(): AddressName[] {
    return [...this.cache.values()];
  }

  /** Services whose cluster IP (or external IP) is `ip`. */
  servicesAt(ip: string): readonly Service[] {
    return servicesAt(this.topology.services, ip);
  }

  private lookup(ip: string): AddressName {
    const topo = this.topology;
    const pod = topo.pods.find((p) => p.ip === ip);
    if (pod) {
      const via = pod.hostInterface ? ` (${pod.hostInterface})` : '';
      const ns = pod.namespace ? `${pod.namespace}/` : '';
      if (pod.unnamed) return { ip, kind: 'pod', name: ip, node: pod.node, description: `a pod on ${pod.node || 'a node not in the dumps'}${via} (the dumps give no name)` };
      return { ip, kind: 'pod', name: pod.name, node: pod.node, description: `pod ${ns}${pod.name} on ${pod.node || 'a node not in the dumps'}${via}` };
    }
    const node = topo.nodes.find((n) => n.addresses.includes(ip));
    if (node) {
      const vtep = topo.vteps.find((v) => v.node === node.name && v.local === ip);
      const tail = vtep ? `, local end of ${vtep.device} (VNI ${vtep.vni}, port ${vtep.port})` : '';
      return { ip, kind: 'node', name: node.name, node: node.name, description: `node ${node.name}'s underlay address${tail}` };
    }
    const vtepLocal = topo.vteps.find((v) => v.local === ip);
    if (vtepLocal) {
      return {
        ip,
        kind: 'vtep',
        name: vtepLocal.node,
        node: vtepLocal.node,
        description: `VTEP ${vtepLocal.device} of ${vtepLocal.node} (VNI ${vtepLocal.vni}, port ${vtepLocal.port})`,
      };
    }
    const services = this.servicesAt(ip);
    const first = services[0];
    if (first) {
      const names = [...new Set(services.map((s) => `${s.namespace}/${s.name}`))];
      const ports = services.map((s) => `${s.port}/${s.protocol}`).join(', ');
      const kindText = first.clusterIP === ip ? 'cluster IP' : 'external IP';
      return { ip, kind: 'service', name: names.join(', '), description: `service ${names.join(', ')} ${kindText} (${ports})` };
    }
    if (ip === CALICO_GATEWAY) {
      return {
        ip,
        kind: 'gateway',
        name: 'pod gateway',
        description: "Calico's pod gateway: held by no device, answered by proxy ARP on the node's cali* veth",
      };
    }
    // An address on one of a node's own devices: cni0's gateway, flannel.1's <subnet>.0, tunl0 …
    for (const n of topo.nodes) {
      for (const intf of n.netns.interfaces) {
        if (!intf.addresses.some((a) => a.address === ip)) continue;
        const role = interfaceRole(intf);
        if (isTunnelRole(role)) {
          return { ip, kind: 'vtep', name: `${intf.name}@${n.name}`, node: n.name, description: `${n.name}'s ${intf.name} address (the overlay's next hop for ${n.name}'s pods)` };
        }
        if (role === 'bridge' || role === 'docker-bridge') {
          return { ip, kind: 'gateway', name: `${intf.name}@${n.name}`, node: n.name, description: `${n.name}'s ${intf.name} bridge address: the default gateway of its pods` };
        }
        return { ip, kind: 'node', name: n.name, node: n.name, description: `node ${n.name} (${intf.name})` };
      }
    }
    for (const n of topo.nodes) {
      const cidr = n.podCIDRs.find((c) => cidrContains(c, ip));
      if (cidr) return { ip, kind: 'pod-subnet', name: ip, node: n.name, description: `an address in ${n.name}'s pod subnet ${cidr} (no pod in the dumps holds it)` };
    }
    if (topo.nodes.length === 0) return { ip, kind: 'unknown', name: ip, description: 'unknown (no node dumps given)' };
    return { ip, kind: 'outside', name: ip, description: 'outside the cluster (no pod, node or service in the dumps holds it)' };
  }
}

/** Services that a connection to ip:port (on protocol) reaches: by cluster IP, external IP or NodePort. */
export function servicesFor(topology: Topology, ip: string, port: number | undefined, proto: string): { service: Service; via: 'cluster-ip' | 'external-ip' | 'node-port' }[] {
  const out: { service: Service; via: 'cluster-ip' | 'external-ip' | 'node-port' }[] = [];
  for (const service of topology.services) {
    if (service.protocol !== proto) continue;
    if (service.clusterIP === ip && service.port === port) out.push({ service, via: 'cluster-ip' });
    else if ((service.externalIPs.includes(ip) || (service.loadBalancerIPs ?? []).includes(ip)) && service.port === port) out.push({ service, via: 'external-ip' });
    else if (port !== undefined && service.nodePorts.includes(port) && topology.nodes.some((n) => n.addresses.includes(ip))) {
      out.push({ service, via: 'node-port' });
    }
  }
  return out;
}

export function serviceName(service: Service): string {
  return `${service.namespace}/${service.name}${service.portName ? `:${service.portName}` : ''}`;
}
