// The source address of a packet a node sends from its own (host) network namespace, chosen the
// way the kernel does (fib_result_prefsrc, then inet_select_addr): the route's `src`, else the
// outgoing device's primary address, else a global address of another device. When `ip addr`
// was not dumped the device's addresses are unknown; then the dumps can still say:
//   - a connected route `… dev cni0 proto kernel scope link src 10.244.0.1` names cni0's address;
//   - flannel's VXLAN backend gives flannel.N its subnet's network address (10.244.3.0/32);
// and failing both, the node's underlay address (else any address a route names) is taken and
// the trace says it is assumed.
import type { NetNamespace } from '../topology/model.ts';
import type { RouteDecision } from './routing.ts';
import { parsePrefix } from '../util/address.ts';

export interface HostSource {
  address: string;
  /** Why this address is assumed rather than read; absent when the dumps settle it. */
  assumed?: string;
}

export function hostSource(ns: NetNamespace, decision: RouteDecision, node: { podCIDRs: string[]; addresses: string[] } | undefined): HostSource | undefined {
  const podCIDRs = node?.podCIDRs ?? [];
  if (decision.preferredSource) return { address: decision.preferredSource };
  const dev = decision.outIface;
  const routeSources = ns.routes.filter((r) => r.src !== undefined && r.family === 4);
  if (dev !== undefined) {
    const connected = routeSources.find((r) => r.dev === dev);
    if (connected?.src) return { address: connected.src };
    const flannel = /^flannel\.\d+$/.test(dev) ? podCIDRs.map((c) => parsePrefix(c)).find((p) => p !== undefined) : undefined;
    if (flannel && !ns.dumps.includes('addr')) {
      const network = [24, 16, 8, 0].map((shift) => (flannel.network >>> shift) & 255).join('.');
      return { address: network, assumed: `${dev}'s address is not in the dumps; flannel gives ${dev} its subnet's network address (${network}), which the kernel takes as the source` };
    }
  }
  // The kernel falls back to another device's global address, in device order the dumps may not
  // show: the node's underlay address is the likeliest, else any address a route names.
  const device = dev ?? 'the outgoing device';
  const underlay = node?.addresses[0];
  if (underlay) {
    return { address: underlay, assumed: `${device}'s address is not in the dumps; the node's underlay address ${underlay} is assumed as the source (the kernel takes another device's address when ${device} has none)` };
  }
  const other = routeSources[0];
  if (other?.src) {
    return {
      address: other.src,
      assumed: `${device}'s address is not in the dumps; ${other.src} (the src of "${other.dst} dev ${other.dev ?? '?'}") is assumed as the source, as the kernel would take another device's address`,
    };
  }
  return undefined;
}
