// A node's underlay addresses and the pod CIDRs it serves, from its own dumps.
import type { NetNamespace, Route } from '../model.ts';
import { interfaceRole, isClusterDeviceRole, roleOf } from '../roles.ts';
import { cidrContains, networkOf } from '../../util/address.ts';

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

/**
 * The pod networks this node serves: its bridge's subnet (flannel), Antrea's gateway's (antrea-gw0
 * gets the first address of the node's pod CIDR: antrea-io/antrea release notes v0.12.2, #1900) or its
 * Calico blocks (blackhole routes). The bridge's address, when `ip addr` shows it, settles the bridge's subnet: the kernel
 * gives it a connected route, so a `dev cni0` route for another subnet is from another node or
 * moment (see bridgeRouteConflicts); without `ip addr`, the `dev cni0` routes say it.
 */
export function ownPodCIDRs(netns: NetNamespace): string[] {
  const cidrs: string[] = [];
  const add = (c: string | undefined) => {
    if (c && !cidrs.includes(c)) cidrs.push(c);
  };
  const fromAddress = bridgeSubnets(netns);
  for (const c of fromAddress) add(c);
  for (const route of netns.routes) {
    if (route.table !== 'main') continue;
    // Only the connected route (no gateway): Antrea also routes the other nodes' CIDRs and its
    // service range through antrea-gw0 `via … onlink`.
    if (fromAddress.length === 0 && route.dev !== undefined && route.via === undefined && route.type === 'unicast' && BRIDGE.test(route.dev) && route.dst !== 'default' && !route.dst.endsWith('/32')) add(route.dst);
    // Cilium routes its own CIDR to cilium_host via that device's address, inside the CIDR
    // (`10.32.2.0/24 via 10.32.2.180 dev cilium_host`); other nodes' go via an address outside theirs.
    if (route.dev === 'cilium_host' && route.via !== undefined && route.dst.includes('/') && cidrContains(route.dst, route.via) && !route.dst.endsWith('/32')) add(route.dst);
    // Calico reserves its own blocks with a blackhole route (proto bird, or 80 on older felix).
    if (route.type === 'blackhole' && route.dst !== 'default' && CALICO_PROTOS.has(route.proto ?? '')) add(route.dst);
  }
  return cidrs;
}

/** The device holding the gateway address of this node's pods: a CNI bridge, or Antrea's OVS gateway port. */
const BRIDGE = /^(?:cni\d*|cbr0|antrea-gw0)$/;

/** The IPv4 subnets of the pod gateway devices' addresses (of `device` alone when given). */
function bridgeSubnets(netns: NetNamespace, device?: string): string[] {
  return netns.interfaces
    .filter((i) => BRIDGE.test(i.name) && (device === undefined || i.name === device))
    .flatMap((i) => i.addresses)
    .filter((a) => a.family === 4)
    .map((a) => networkOf(a.address, a.prefixLength))
    .filter((c): c is string => c !== undefined);
}

/**
 * `dev cni0` routes (no gateway) for a subnet the bridge's own addresses do not hold: the dumps
 * disagree. A host route (/32: a service address Antrea or a user pinned to the device) is not a subnet.
 */
export function bridgeRouteConflicts(netns: NetNamespace): { route: Route; held: string[] }[] {
  const conflicts: { route: Route; held: string[] }[] = [];
  for (const r of netns.routes) {
    if (r.table !== 'main' || r.type !== 'unicast' || r.via !== undefined || r.dev === undefined || !BRIDGE.test(r.dev) || r.dst === 'default' || r.dst.endsWith('/32')) continue;
    // Each device against its own addresses (a node may hold cni0 and antrea-gw0 both).
    const held = bridgeSubnets(netns, r.dev);
    if (held.length > 0 && !held.includes(r.dst)) conflicts.push({ route: r, held });
  }
  return conflicts;
}
