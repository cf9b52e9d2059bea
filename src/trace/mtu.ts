// Packet size against the MTU, as the kernel checks it (only when the query gives a size):
//
//   local output  ip_append_data: the route's MTU (RTAX_MTU) or the device's; with DF (a socket
//                 doing PMTU discovery) a datagram above it fails at send() with EMSGSIZE and never
//                 reaches netfilter; without DF it leaves in fragments (ip_fragment).
//   forwarding    ip_forward: after routing and before the FORWARD hook, a DF packet above the
//                 egress MTU (ip_dst_mtu_maybe_forward: the route's mtu attribute, else the device's)
//                 is dropped and the sender gets ICMP fragmentation needed (type 3 code 4) with
//                 that MTU; without DF it is fragmented on the way out.
//   fragments     a node's conntrack reassembles them (nf_defrag_ipv4) and ip_fragment cuts them
//                 again no larger than the largest one received (IPCB frag_max_size), so they keep
//                 their size unless an MTU on the way is smaller.
//
// VXLAN on an IPv4 underlay adds 50 bytes (outer IPv4 20 + UDP 8 + VXLAN 8 + the inner Ethernet
// header 14): that is why flannel.1 and vxlan.calico run at 1450 on a 1500-byte underlay.
import type { NetNamespace, Route } from '../topology/model.ts';
import type { Packet } from './model.ts';
import { interfaceOf } from './cluster.ts';

export const VXLAN_IPV4_OVERHEAD = 50;
/** The MTU of an Ethernet device whose `ip link` was not dumped. */
export const DEFAULT_MTU = 1500;
const IP_HEADER = 20;

export interface MtuLimit {
  mtu: number;
  /** Where the limit comes from, said in steps: "the route's mtu 1400", "flannel.1's MTU 1450". */
  said: string;
  /** True when no dump gave it (the device's MTU was not dumped). */
  assumed: boolean;
}

/** The MTU a packet leaving by `iface` on `route` must fit: the route's mtu attribute, else the device's. */
export function egressMtu(ns: NetNamespace, iface: string, route: Route | undefined): MtuLimit {
  if (route?.mtu !== undefined) return { mtu: route.mtu, said: `the route's mtu ${route.mtu} (\`ip route\`: ${route.dst} … mtu ${route.mtu})`, assumed: false };
  const device = interfaceOf(ns, iface)?.mtu;
  if (device !== undefined) return { mtu: device, said: `${iface}'s MTU ${device}`, assumed: false };
  return { mtu: DEFAULT_MTU, said: `${iface}'s MTU (not in the dumps; ${DEFAULT_MTU} assumed)`, assumed: true };
}

/** The first fragment's total length and the number of fragments when `length` bytes are cut for `mtu` (offsets in 8-byte units). */
export function fragmentsFor(length: number, mtu: number): { first: number; count: number } {
  const perFragment = Math.floor((mtu - IP_HEADER) / 8) * 8;
  return { first: IP_HEADER + perFragment, count: Math.ceil((length - IP_HEADER) / perFragment) };
}

export type SizeCheck =
  | { kind: 'unsized' }
  | { kind: 'fits' }
  | { kind: 'too-big' }
  | { kind: 'fragment'; first: number; count: number };

/**
 * What `limit` does to the packet: `size` is the whole datagram's IP total length, `packet.length`
 * the size of what travels now (its first fragment once cut).
 */
export function checkSize(packet: Packet, size: number | undefined, limit: MtuLimit): SizeCheck {
  if (size === undefined || packet.length === undefined) return { kind: 'unsized' };
  if (packet.length <= limit.mtu) return { kind: 'fits' };
  if (packet.df !== false) return { kind: 'too-big' };
  return { kind: 'fragment', ...fragmentsFor(size, Math.min(limit.mtu, packet.length)) };
}

/** The packet cut into fragments (what tcpdump on the egress device shows: the first fragment's length). */
export function fragmented(packet: Packet, cut: { first: number; count: number }): Packet {
  return { ...packet, length: cut.first, fragments: cut.count };
}
