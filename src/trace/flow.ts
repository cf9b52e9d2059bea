// What the tracer carries along a path: the packet (and its outer header while
// encapsulated) plus the per-namespace kernel state netfilter reads: the skb
// mark and this namespace's conntrack entry. Crossing into another namespace
// (veth) scrubs both (skb_scrub_packet with xnet=true); a tunnel's outer packet
// gets a conntrack entry of its own (iptunnel_xmit resets it).
import type { OuterHeader, Packet } from './model.ts';

export interface Conntrack {
  /**
   * The first packet of a connection is NEW; NOTRACK/CT --notrack makes it UNTRACKED. ESTABLISHED is a
   * later packet of a connection conntrack already confirmed (the explainer asks where a reply stops):
   * nat does not run for it, and `--ctstatus` sees CONFIRMED, SEEN_REPLY and ASSURED.
   */
  state: ConntrackState;
  dnat: boolean;
  /** IPVS owns this connection's destination mapping (ip_vs_update_conntrack): nat PREROUTING/OUTPUT do not run for it again. */
  ipvs?: boolean;
  snat: boolean;
  /** The original direction's destination before DNAT (for -m conntrack --ctorigdst). */
  origDst: string;
  origDport?: number;
  mark: number;
}

export interface Flow {
  /** The packet the client sent, as rewritten so far (the inner packet while encapsulated). */
  packet: Packet;
  outer?: OuterHeader;
  mark: number;
  ct: Conntrack;
  ttl: number;
  /** The whole datagram's IP total length (`--size`); `packet.length` is what travels now (a fragment's once cut). */
  size?: number;
}

export type ConntrackState = 'NEW' | 'ESTABLISHED' | 'UNTRACKED';

/** A namespace's conntrack entry for the packet: NEW for a first packet, or ESTABLISHED. */
export function newConntrack(packet: { dst: string; dport?: number }, state: 'NEW' | 'ESTABLISHED' = 'NEW'): Conntrack {
  const ct: Conntrack = { state, dnat: false, snat: false, origDst: packet.dst, mark: 0 };
  if (packet.dport !== undefined) ct.origDport = packet.dport;
  return ct;
}

/** An IP header as netfilter and routing see it; `proto` may be 'ipip' (protocol 4) for a tunnel. */
export interface Header {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  proto: Packet['proto'] | 'ipip';
}

/** The header netfilter and routing see: the outer one while encapsulated. */
export function headerOf(flow: Flow): Header {
  if (!flow.outer) return flow.packet;
  const outer: Header = { src: flow.outer.src, dst: flow.outer.dst, proto: flow.outer.encapsulation === 'vxlan' ? 'udp' : 'ipip' };
  if (flow.outer.sport !== undefined) outer.sport = flow.outer.sport;
  if (flow.outer.dport !== undefined) outer.dport = flow.outer.dport;
  return outer;
}

/** Writes a (NATed) header back where it came from. */
export function withHeader(flow: Flow, header: Header): Flow {
  if (!flow.outer) return { ...flow, packet: { ...header, proto: flow.packet.proto } };
  const outer: OuterHeader = { ...flow.outer, src: header.src, dst: header.dst };
  if (header.sport !== undefined) outer.sport = header.sport;
  else delete outer.sport;
  if (header.dport !== undefined) outer.dport = header.dport;
  return { ...flow, outer };
}

export function formatEndpoint(address: string, port: number | undefined): string {
  return port === undefined ? address : `${address}:${port}`;
}
