// One decoded packet reduced to the facts the explainer reasons about: where it
// was captured, the innermost IP packet and its ports, the tunnel around it, and
// what an ICMP error quotes. The explainer never walks layer lists itself, so a
// change in the decoder's layer shapes touches only this file.
import type { ArpLayer, DecodedPacket, HttpLayer, IcmpLayer, Icmpv6Layer, Layer, TcpFlags } from '../decode/types.ts';

export type L4Proto = 'tcp' | 'udp' | 'icmp' | 'other';

/** Addresses and ports of an IP packet (innermost when tunnelled). */
export interface FiveTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  proto: L4Proto;
}

/** The outer header of a tunnelled packet. */
export interface OuterFacts {
  encapsulation: 'vxlan' | 'geneve' | 'ipip' | 'gre';
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  vni?: number;
}

export interface IpFacts {
  version: 4 | 6;
  src: string;
  dst: string;
  /** IP protocol number. */
  protocol: number;
  ttl: number;
  /** IPv4 identification (kept through forwarding and NAT: one of the marks that ties hops together). */
  id?: number;
  /** Bytes of the IP packet: the length field, or what the frame holds when the field is 0 (GSO / BIG TCP). */
  length: number;
  /** The length field was 0: a GSO or BIG TCP super-packet that the NIC or the stack segments later. */
  gso: boolean;
  dontFragment: boolean;
  fragment: boolean;
  moreFragments: boolean;
  fragmentOffset: number;
}

export interface TcpFacts {
  seq: number;
  ack: number;
  flags: TcpFlags;
  payloadLength: number;
}

export interface IcmpFacts {
  version: 4 | 6;
  type: number;
  code: number;
  id?: number;
  seq?: number;
  /** Fragmentation needed (3/4): the next-hop MTU the error names. */
  mtu?: number;
  /** For errors (unreachable, time exceeded, too big): the packet the error quotes. */
  quoted?: FiveTuple & { tcpSeq?: number };
}

export interface ArpFacts {
  opcode: number;
  senderIp: string;
  senderMac: string;
  targetIp: string;
}

/**
 * One packet of one capture, as the explainer sees it. A field it lacks is missing (packetFacts)
 * or undefined (facts-scan.ts, which makes every packet's facts one object of one shape).
 */
export interface PacketFacts {
  /** Index of the capture in the explanation's capture list. */
  capture: number;
  frame: number;
  /** Seconds since the epoch (float: enough to order hops microseconds apart). */
  time: number;
  len: number;
  tuple?: FiveTuple | undefined;
  /** The tuple's key in flows.ts (tupleKey), made once per tuple by facts-scan.ts; flows.ts makes it when missing. */
  tupleKey?: string | undefined;
  ip?: IpFacts | undefined;
  outer?: OuterFacts | undefined;
  /** Bytes of the outer IP packet of a tunnelled frame. */
  outerLength?: number | undefined;
  tcp?: TcpFacts | undefined;
  icmp?: IcmpFacts | undefined;
  http?: HttpLayer | undefined;
  arp?: ArpFacts | undefined;
  /** What the decoder could not read, when a layer was cut or invalid. */
  malformed?: string | undefined;
  /** pcapng: the name of the interface the packet was captured on (dumpcap -i a -i b). */
  interfaceName?: string | undefined;
  /** pcapng: the interface's if_description, when the file has one. */
  interfaceDescription?: string | undefined;
  /** Linux cooked capture v2 (`tcpdump -i any`): the ifindex of the interface, in the capturing namespace. */
  ifindex?: number | undefined;
  /**
   * The outermost link-layer addresses (what a capture's placement reads): Ethernet source and
   * destination, or a cooked capture's sender address and whether the capturing host sent it.
   */
  link?: LinkFacts | undefined;
}

export interface LinkFacts {
  src?: string;
  dst?: string;
  /** Linux cooked capture: packet type 4, sent by the capturing host. */
  outgoing?: boolean;
}

export const PROTO_NAMES: Record<number, L4Proto> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp' };

export function ipLength(layer: Extract<Layer, { type: 'ipv4' | 'ipv6' }>, caplen: number): { length: number; gso: boolean } {
  if (layer.type === 'ipv4') {
    if (layer.totalLength > 0) return { length: layer.totalLength, gso: false };
    return { length: caplen - layer.offset, gso: true };
  }
  if (layer.payloadLength > 0 || layer.extensions.length > 0) return { length: 40 + layer.payloadLength, gso: false };
  return { length: caplen - layer.offset, gso: true };
}

// packetFacts shares no part of these facts between packets (its callers hold decoded packets
// and read few). facts-scan.ts, the path of `podpath explain FILE`, shares the repeated parts
// (addresses, 5-tuples, link records, flags, tunnel headers) among a connection's packets:
// building them once is what saves the time there. Nothing changes a fact once it is made.

export function linkOf(src: string | undefined, dst: string | undefined, outgoing: boolean | undefined): LinkFacts {
  const link: LinkFacts = {};
  if (src !== undefined) link.src = src;
  if (dst !== undefined) link.dst = dst;
  if (outgoing !== undefined) link.outgoing = outgoing;
  return link;
}

export function tupleOf(src: string, dst: string, proto: L4Proto, sport: number | undefined, dport: number | undefined): FiveTuple {
  const tuple: FiveTuple = { src, dst, proto };
  if (sport !== undefined) tuple.sport = sport;
  if (dport !== undefined) tuple.dport = dport;
  return tuple;
}

/** An ICMP or ICMPv6 header's facts (its quote is added by the caller); facts-scan.ts reads them here too. */
export function icmpFacts(layer: IcmpLayer | Icmpv6Layer): IcmpFacts {
  return {
    version: layer.type === 'icmp' ? 4 : 6,
    type: layer.icmpType,
    code: layer.code,
    ...(layer.id !== undefined ? { id: layer.id } : {}),
    ...(layer.seq !== undefined ? { seq: layer.seq } : {}),
    ...(layer.type === 'icmp' && layer.mtu !== undefined ? { mtu: layer.mtu } : {}),
  };
}

export function arpFacts(layer: ArpLayer): ArpFacts {
  return { opcode: layer.opcode, senderIp: layer.senderIp, senderMac: layer.senderMac, targetIp: layer.targetIp };
}

/** Reduces a decoded packet to PacketFacts. Pure; never throws on odd layer lists. */
export function packetFacts(packet: DecodedPacket, capture: number): PacketFacts {
  const facts: PacketFacts = { capture, frame: packet.frame, time: Number(packet.time), len: packet.len };
  if (packet.interfaceName !== undefined) facts.interfaceName = packet.interfaceName;
  if (packet.interfaceDescription !== undefined) facts.interfaceDescription = packet.interfaceDescription;
  // The innermost IP header and transport ports seen so far (reset by each tunnel layer).
  let ip: Extract<Layer, { type: 'ipv4' | 'ipv6' }> | undefined;
  let udp: Extract<Layer, { type: 'udp' }> | undefined;
  let quoted: (FiveTuple & { tcpSeq?: number }) | undefined;
  for (const layer of packet.layers) {
    if (layer.quoted) {
      if (layer.type === 'ipv4' || layer.type === 'ipv6') {
        quoted = { src: layer.src, dst: layer.dst, proto: PROTO_NAMES[layer.proto] ?? 'other' };
      } else if (quoted && (layer.type === 'tcp' || layer.type === 'udp')) {
        quoted.sport = layer.sport;
        quoted.dport = layer.dport;
        if (layer.type === 'tcp') quoted.tcpSeq = layer.seq;
      }
      continue;
    }
    switch (layer.type) {
      case 'ipv4':
      case 'ipv6':
        ip = layer;
        udp = undefined;
        delete facts.tcp;
        delete facts.icmp;
        delete facts.http;
        break;
      case 'udp':
        udp = layer;
        break;
      case 'vxlan':
      case 'geneve':
        if (ip && !facts.outer) {
          facts.outer = udp ? { encapsulation: layer.type, src: ip.src, dst: ip.dst, sport: udp.sport, dport: udp.dport, vni: layer.vni } : { encapsulation: layer.type, src: ip.src, dst: ip.dst, vni: layer.vni };
          facts.outerLength = ipLength(ip, packet.caplen).length;
        }
        ip = undefined;
        udp = undefined;
        break;
      case 'ipip':
      case 'gre':
        if (ip && !facts.outer) {
          facts.outer = { encapsulation: layer.type, src: ip.src, dst: ip.dst };
          facts.outerLength = ipLength(ip, packet.caplen).length;
        }
        ip = undefined;
        udp = undefined;
        break;
      case 'tcp':
        facts.tcp = { seq: layer.seq, ack: layer.ack, flags: layer.flags, payloadLength: layer.payloadLength };
        break;
      case 'icmp':
      case 'icmpv6':
        facts.icmp = icmpFacts(layer);
        break;
      case 'http':
        facts.http = layer;
        break;
      case 'arp':
        facts.arp = arpFacts(layer);
        break;
      case 'ethernet':
        // The first Ethernet header is the wire's; a VXLAN's inner one comes later, and in a
        // raw IP capture (no link layer) it is the only one: it is not the wire's.
        if (!facts.link && !facts.outer) facts.link = linkOf(layer.src, layer.dst, undefined);
        break;
      case 'sll':
        if (!facts.link) facts.link = linkOf(layer.address, undefined, layer.packetType === 4);
        break;
      case 'sll2':
        facts.ifindex = layer.interfaceIndex;
        if (!facts.link) facts.link = linkOf(layer.address, undefined, layer.packetType === 4);
        break;
      case 'malformed':
        facts.malformed = `${layer.protocol}: ${layer.reason}`;
        break;
      default:
        break;
    }
  }
  if (quoted && facts.icmp) facts.icmp.quoted = quoted;
  if (ip) {
    facts.ip = ipLayerFacts(ip, packet.caplen);
    const proto = PROTO_NAMES[ip.proto] ?? 'other';
    const ports = facts.tcp ? lastPorts(packet.layers, 'tcp') : proto === 'udp' ? udp : undefined;
    facts.tuple = tupleOf(ip.src, ip.dst, proto, ports?.sport, ports?.dport);
  }
  return facts;
}

/** An IPv4 or IPv6 layer's facts, as one literal of one shape (the scan path's IPv6 uses it too). */
export function ipLayerFacts(ip: Extract<Layer, { type: 'ipv4' | 'ipv6' }>, caplen: number): IpFacts {
  const { length, gso } = ipLength(ip, caplen);
  // One literal, no spreads: a spread in an object literal leaves V8 a slower, larger object.
  const v4 = ip.type === 'ipv4';
  const facts: IpFacts = {
    version: v4 ? 4 : 6,
    src: ip.src,
    dst: ip.dst,
    protocol: ip.proto,
    ttl: ip.ttl,
    length,
    gso,
    dontFragment: v4 ? ip.dontFragment : false,
    fragment: ip.fragment,
    moreFragments: ip.moreFragments ?? false,
    fragmentOffset: ip.fragmentOffset ?? 0,
  };
  if (v4) facts.id = ip.id;
  return facts;
}

function lastPorts(layers: Layer[], type: 'tcp'): { sport: number; dport: number } | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer && layer.type === type && !layer.quoted) return layer;
  }
  return undefined;
}
