// A node's underlay addresses and the pod CIDRs it serves, from its own dumps.
import type { NetNamespace, Route } from '../model.ts';
import { interfaceRole, isClusterDeviceRole, roleOf } from '../roles.ts';
import { networkOf } from './cidr.ts';

/** Global addresses on devices that are not the CNI's; else the `src` of the node's own connected routes. */
export function underlayAddresses(netns: NetNamespace): string[] {
  const addresses: string[] = [];
  for (const iface of netns.interfaces) {
    if (interfaceRole(iface, netns.kind) !== 'underlay') continue;
    for (const a of iface.addresses) {
      if (a.scope === 'link' || a.scope === 'host' || a.address.startsWith('fe80:') || a.address.startsWith('127.')) continue;
      if (!addresses.includes(a.address)) addresses.push(a.address);
    }
  }
  if (addresses.length > 0) return addresses;
  // Without `ip addr`: `10.74.107.0/24 dev eth0 proto kernel scope link src 10.74.107.62`.
  for (const route of netns.routes) {
    if (route.src === undefined || route.dev === undefined || route.proto !== 'kernel') continue;
    if (isClusterDeviceRole(roleOf(netns, route.dev))) continue;
    if (!addresses.includes(route.src)) addresses.push(route.src);
  }
  // Or the VTEP's own `local` address.
  if (addresses.length === 0) {
    for (const iface of netns.interfaces) {
      const local = iface.vxlan?.local;
      if (local && !addresses.includes(local)) addresses.push(local);
    }
  }
  return addresses;
}

/** Route protocols Calico installs with: BIRD (`proto bird`, number 12) and felix (`proto 80`). */
const CALICO_PROTOS = new Set(['bird', '12', '80']);

/** The pod networks this node serves: its bridge's connected subnet (flannel) or its Calico blocks (blackhole routes). */
export function ownPodCIDRs(netns: NetNamespace): string[] {
  const cidrs: string[] = [];
  const add = (c: string | undefined) => {
    if (c && !cidrs.includes(c)) cidrs.push(c);
  };
  for (const route of netns.routes) {
    if (route.table !== 'main') continue;
    if (route.dev !== undefined && /^(?:cni\d*|cbr0)$/.test(route.dev) && route.dst !== 'default') add(route.dst);
    // Calico reserves its own blocks with a blackhole route (proto bird, or 80 on older felix).
    if (route.type === 'blackhole' && route.dst !== 'default' && CALICO_PROTOS.has(route.proto ?? '')) add(route.dst);
  }
  if (cidrs.length === 0) {
    const bridge = netns.interfaces.find((i) => /^(?:cni\d*|cbr0)$/.test(i.name));
    for (const a of bridge?.addresses ?? []) if (a.family === 4) add(networkOf(a.address, a.prefixLength));
  }
  return cidrs;
}
