// PacketFacts straight from the decoder's per-packet record (the Dissection: a kind, an offset
// and a length per layer, issue 17 aim 5), without the Layer objects facts.ts reads: what
// `podpath explain FILE` runs on every packet. The common layers (Ethernet, IPv4, UDP, TCP,
// VXLAN) are read as numbers from the packet's bytes; their addresses, link records, flag
// records, 5-tuples and tunnel headers are taken from small caches of the last ones seen, so a
// long connection's packets share them instead of each building its own strings. Every other
// layer (IPv6, ICMP, ARP, HTTP, cooked-capture headers, quoted packets, malformed layers) is
// rare enough to be described as a Layer and read as facts.ts reads it.
// facts.ts (packetFacts) stays the reference: test/explain/facts-scan.test.ts and the fuzz
// test check that both give equal facts for every packet.
import { Kind, QUOTED, type Dissection } from '../decode/dissection.ts';
import { timeText } from '../decode/dissect.ts';
import { tcpFlags } from '../decode/layers/tcp.ts';
import { ipv4Text, macText } from '../decode/layers/text.ts';
import { CODECS } from '../decode/registry.ts';
import type { ArpLayer, CapturedPacket, GeneveLayer, HttpLayer, IcmpLayer, Icmpv6Layer, Ipv6Layer, Layer, MalformedLayer, Sll2Layer, SllLayer, TcpFlags } from '../decode/types.ts';
import { tupleKey } from './flows.ts';
import { arpFacts, icmpFacts, ipLayerFacts, ipLength, linkOf, PROTO_NAMES, tupleOf, type ArpFacts, type FiveTuple, type IcmpFacts, type IpFacts, type LinkFacts, type OuterFacts, type PacketFacts, type TcpFacts } from './facts.ts';

/**
 * Seconds since the epoch as a float: the double nearest to the exact decimal `sec.nsec`, the
 * same number as Number(timeText(sec, nsec)) without writing and parsing the text. sec + f
 * (f the double nearest nsec/1e9) is that double unless sec + f lies within f's own rounding
 * error of a point halfway between two doubles; then, rarely, the text is parsed.
 */
export function epochSeconds(sec: number, nsec: number): number {
  // A damaged record's fraction can be a billion or more: its text then reads otherwise.
  if (nsec >= 1e9) return Number(timeText(sec, nsec));
  const f = nsec / 1e9;
  if (sec === 0) return f;
  const s = sec + f;
  // sec is an integer ≥ 1 and f < 1 ≤ sec: Fast2Sum's error term is exact, sec + f = s + e.
  const e = f - (s - sec);
  // Doubles in sec's binade are `unit` apart; s is in it or is the power of two that ends it,
  // so no rounding boundary is nearer s than unit / 2. f is off nsec/1e9 by at most 2^-54.
  const unit = binadeUnit(sec);
  if (Math.abs(e) + 2 ** -53 < unit / 2) return s;
  return Number(timeText(sec, nsec));
}

let unitSec = -1;
let unitValue = 0;

/** The spacing of doubles in the binade holding the integer `sec` (≥ 1); the last second's kept. */
function binadeUnit(sec: number): number {
  if (sec !== unitSec) {
    let power = 1;
    while (power * 2 <= sec) power *= 2;
    unitSec = sec;
    unitValue = power * 2 ** -52;
  }
  return unitValue;
}

/**
 * The caches are 4-way sets: a key's set keeps the last four keys of that set seen, replaced in
 * turn, so a few busy keys that share a set do not push each other out at every packet (with
 * one slot per set, two interleaved connections meeting in a slot rebuilt their tuple each time).
 */
const WAYS = 4;
const SETS = 1024;
const SLOTS = SETS * WAYS;

/** The first slot of the set for up to three 32-bit keys (Fibonacci hashing: the top bits of the product). */
function setOf(a: number, b: number, c: number): number {
  return (Math.imul((a ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35)) | 0, 0x9e3779b1) >>> 22) * WAYS;
}

/** Which slot of each set is replaced next. */
class Turns {
  private readonly next = new Uint8Array(SETS);

  take(first: number): number {
    const set = first / WAYS;
    const way = this.next[set] as number;
    this.next[set] = (way + 1) & (WAYS - 1);
    return first + way;
  }
}

/** Address text of the IPv4 addresses last seen, by their 32 bits (one string per address, not per packet). */
class Ipv4Texts {
  private readonly keys = new Int32Array(SLOTS);
  private readonly texts: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
  private readonly turns = new Turns();

  at(data: Uint8Array, at: number, view: DataView): string {
    const key = view.getInt32(at);
    const first = setOf(key, 0, 0);
    for (let slot = first; slot < first + WAYS; slot++) {
      const text = this.texts[slot];
      if (text !== undefined && this.keys[slot] === key) return text;
    }
    const slot = this.turns.take(first);
    const made = ipv4Text(data, at);
    this.keys[slot] = key;
    this.texts[slot] = made;
    return made;
  }
}

/** The outermost Ethernet addresses last seen, as LinkFacts shared by the frames that carry them. */
class EthernetLinks {
  private readonly keys = new Int32Array(SLOTS * 3);
  private readonly links: (LinkFacts | undefined)[] = new Array<LinkFacts | undefined>(SLOTS).fill(undefined);
  private readonly turns = new Turns();

  at(data: Uint8Array, at: number, view: DataView): LinkFacts {
    const a = view.getInt32(at);
    const b = view.getInt32(at + 4);
    const c = view.getInt32(at + 8);
    const first = setOf(a, b, c);
    const keys = this.keys;
    for (let slot = first; slot < first + WAYS; slot++) {
      const link = this.links[slot];
      const k = slot * 3;
      if (link !== undefined && keys[k] === a && keys[k + 1] === b && keys[k + 2] === c) return link;
    }
    const slot = this.turns.take(first);
    // Ethernet: destination first, then source (ethernet.ts describe).
    const made = linkOf(macText(data, at + 6), macText(data, at), undefined);
    const k = slot * 3;
    keys[k] = a;
    keys[k + 1] = b;
    keys[k + 2] = c;
    this.links[slot] = made;
    return made;
  }
}

/** A 5-tuple shared by a connection's packets, with its flow key (flows.ts tupleKey) made once. */
interface SharedTuple {
  tuple: FiveTuple;
  key: string;
}

/** IPv4 5-tuples last seen: a connection's packets share one FiveTuple. */
class Ipv4Tuples {
  private readonly src = new Int32Array(SLOTS);
  private readonly dst = new Int32Array(SLOTS);
  /** sport * 65536 + dport, or -1 without ports. */
  private readonly ports = new Float64Array(SLOTS);
  private readonly protos = new Int16Array(SLOTS);
  private readonly shared: (SharedTuple | undefined)[] = new Array<SharedTuple | undefined>(SLOTS).fill(undefined);
  private readonly turns = new Turns();

  /** `sport` and `dport` are -1 when the packet has no ports. */
  at(src: number, dst: number, proto: number, sport: number, dport: number, srcText: string, dstText: string): SharedTuple {
    const ports = sport < 0 ? -1 : sport * 65536 + dport;
    const first = setOf(src, dst, ports | 0);
    for (let slot = first; slot < first + WAYS; slot++) {
      const shared = this.shared[slot];
      if (shared !== undefined && this.src[slot] === src && this.dst[slot] === dst && this.ports[slot] === ports && this.protos[slot] === proto) return shared;
    }
    const slot = this.turns.take(first);
    const name = PROTO_NAMES[proto] ?? 'other';
    const tuple = sport < 0 ? tupleOf(srcText, dstText, name, undefined, undefined) : tupleOf(srcText, dstText, name, sport, dport);
    const made = { tuple, key: tupleKey(tuple) };
    this.src[slot] = src;
    this.dst[slot] = dst;
    this.ports[slot] = ports;
    this.protos[slot] = proto;
    this.shared[slot] = made;
    return made;
  }
}

/** VXLAN outer headers (IPv4, UDP) last seen: a tunnel's packets share one OuterFacts. */
class VxlanOuters {
  private readonly src = new Int32Array(SLOTS);
  private readonly dst = new Int32Array(SLOTS);
  /** sport * 65536 + dport. */
  private readonly ports = new Float64Array(SLOTS);
  private readonly vnis = new Int32Array(SLOTS);
  private readonly outers: (OuterFacts | undefined)[] = new Array<OuterFacts | undefined>(SLOTS).fill(undefined);
  private readonly turns = new Turns();

  at(src: number, dst: number, sport: number, dport: number, vni: number, srcText: string, dstText: string): OuterFacts {
    const ports = sport * 65536 + dport;
    const first = setOf(src, dst, ports ^ vni);
    for (let slot = first; slot < first + WAYS; slot++) {
      const outer = this.outers[slot];
      if (outer !== undefined && this.src[slot] === src && this.dst[slot] === dst && this.ports[slot] === ports && this.vnis[slot] === vni) return outer;
    }
    const slot = this.turns.take(first);
    const made: OuterFacts = { encapsulation: 'vxlan', src: srcText, dst: dstText, sport, dport, vni };
    this.src[slot] = src;
    this.dst[slot] = dst;
    this.ports[slot] = ports;
    this.vnis[slot] = vni;
    this.outers[slot] = made;
    return made;
  }
}

/** TcpFlags for each flag byte, made once. */
const FLAGS: (TcpFlags | undefined)[] = new Array<TcpFlags | undefined>(256).fill(undefined);
function flagsOf(byte: number): TcpFlags {
  return (FLAGS[byte] ??= tcpFlags(byte));
}

const describe = (d: Dissection, i: number): Layer => CODECS[d.kinds[i] as number]!.describe(d, i);

/**
 * Reads PacketFacts from dissections, one capture at a time (its caches are the capture's).
 * The facts are a new object per packet, as packetFacts' are: the explainer keeps a few.
 */
export class FactsReader {
  private readonly addresses = new Ipv4Texts();
  private readonly links = new EthernetLinks();
  private readonly tuples = new Ipv4Tuples();
  private readonly outers = new VxlanOuters();

  /** The facts of `packet`, dissected into `d` (dissectPacket). Equal to packetFacts(decodePacket(packet), capture). */
  read(packet: CapturedPacket, d: Dissection, capture: number): PacketFacts {
    const data = d.data;
    const view = d.view;
    let link: LinkFacts | undefined;
    let outer: OuterFacts | undefined;
    let outerLength: number | undefined;
    let tcp: TcpFacts | undefined;
    let icmp: IcmpFacts | undefined;
    let http: HttpLayer | undefined;
    let arp: ArpFacts | undefined;
    let malformed: string | undefined;
    let ifindex: number | undefined;
    // The innermost IP header (its layer; the Layer when IPv6) and UDP header seen so far, reset by each tunnel.
    let ip = -1;
    let ip6: Ipv6Layer | undefined;
    let udp = -1;
    /** The last TCP header outside a quote, wherever it is (facts.ts lastPorts). */
    let lastTcp = -1;
    let quoted: (FiveTuple & { tcpSeq?: number }) | undefined;
    for (let i = 0; i < d.count; i++) {
      const kind = d.kinds[i] as number;
      if ((d.flags[i] as number) & QUOTED) {
        if (kind === Kind.IPV4 || kind === Kind.IPV6) {
          const layer = describe(d, i) as Extract<Layer, { type: 'ipv4' | 'ipv6' }>;
          quoted = { src: layer.src, dst: layer.dst, proto: PROTO_NAMES[layer.proto] ?? 'other' };
        } else if (quoted && (kind === Kind.TCP || kind === Kind.UDP)) {
          const layer = describe(d, i) as Extract<Layer, { type: 'tcp' | 'udp' }>;
          quoted.sport = layer.sport;
          quoted.dport = layer.dport;
          if (layer.type === 'tcp') quoted.tcpSeq = layer.seq;
        }
        continue;
      }
      switch (kind) {
        case Kind.IPV4:
        case Kind.IPV6:
          ip = i;
          ip6 = kind === Kind.IPV6 ? (describe(d, i) as Ipv6Layer) : undefined;
          udp = -1;
          tcp = undefined;
          icmp = undefined;
          http = undefined;
          break;
        case Kind.UDP:
          udp = i;
          break;
        case Kind.VXLAN:
        case Kind.GENEVE:
        case Kind.IPIP:
        case Kind.GRE:
          if (ip >= 0 && !outer) {
            outer = this.tunnelOuter(d, kind, i, ip, ip6, udp);
            outerLength = this.ipLengthAt(d, packet.caplen, ip, ip6).length;
          }
          ip = -1;
          ip6 = undefined;
          udp = -1;
          break;
        case Kind.TCP:
          lastTcp = i;
          tcp = tcpFacts(d, i);
          break;
        case Kind.ICMP:
        case Kind.ICMPV6: {
          icmp = icmpFacts(describe(d, i) as IcmpLayer | Icmpv6Layer);
          break;
        }
        case Kind.HTTP:
          http = describe(d, i) as HttpLayer;
          break;
        case Kind.ARP:
          arp = arpFacts(describe(d, i) as ArpLayer);
          break;
        case Kind.ETHERNET:
          // The wire's Ethernet header, as facts.ts says: the first, and only before a tunnel.
          if (!link && !outer) link = this.links.at(data, d.offsets[i] as number, view);
          break;
        case Kind.SLL: {
          const layer = describe(d, i) as SllLayer;
          if (!link) link = linkOf(layer.address, undefined, layer.packetType === 4);
          break;
        }
        case Kind.SLL2: {
          const layer = describe(d, i) as Sll2Layer;
          ifindex = layer.interfaceIndex;
          if (!link) link = linkOf(layer.address, undefined, layer.packetType === 4);
          break;
        }
        case Kind.MALFORMED: {
          const layer = describe(d, i) as MalformedLayer;
          malformed = `${layer.protocol}: ${layer.reason}`;
          break;
        }
        default:
          break;
      }
    }
    if (quoted && icmp) icmp.quoted = quoted;
    let ipFacts: IpFacts | undefined;
    let tuple: FiveTuple | undefined;
    let tupleKey: string | undefined;
    if (ip >= 0) {
      ipFacts = ip6 ? ipLayerFacts(ip6, packet.caplen) : this.ipv4Facts(d, ip, packet.caplen);
      // The ports: the last TCP header's when the packet is TCP, the UDP header's when it is UDP (facts.ts).
      const ports = tcp ? lastTcp : ipFacts.protocol === 17 ? udp : -1;
      const sport = ports < 0 ? -1 : view.getUint16(d.offsets[ports] as number);
      const dport = ports < 0 ? -1 : view.getUint16((d.offsets[ports] as number) + 2);
      if (ip6) tuple = tupleOf(ipFacts.src, ipFacts.dst, PROTO_NAMES[ipFacts.protocol] ?? 'other', sport < 0 ? undefined : sport, dport < 0 ? undefined : dport);
      else {
        const at = d.offsets[ip] as number;
        const slot = this.tuples.at(view.getInt32(at + 12), view.getInt32(at + 16), ipFacts.protocol, sport, dport, ipFacts.src, ipFacts.dst);
        tuple = slot.tuple;
        tupleKey = slot.key;
      }
    }
    // One literal of one shape for every packet (absent facts undefined): the explainer's reads of it stay monomorphic.
    return {
      capture,
      frame: packet.frame,
      time: epochSeconds(packet.timeSec, packet.timeNsec),
      len: packet.len,
      tuple,
      tupleKey,
      ip: ipFacts,
      outer,
      outerLength,
      tcp,
      icmp,
      http,
      arp,
      malformed,
      interfaceName: packet.interfaceName,
      interfaceDescription: packet.interfaceDescription,
      ifindex,
      link,
    };
  }

  private ipLengthAt(d: Dissection, caplen: number, ip: number, ip6: Ipv6Layer | undefined): { length: number; gso: boolean } {
    if (ip6) return ipLength(ip6, caplen);
    const totalLength = d.view.getUint16((d.offsets[ip] as number) + 2);
    if (totalLength > 0) return { length: totalLength, gso: false };
    return { length: caplen - ((d.offsets[ip] as number) - d.base), gso: true };
  }

  private tunnelOuter(d: Dissection, kind: number, i: number, ip: number, ip6: Ipv6Layer | undefined, udp: number): OuterFacts {
    const view = d.view;
    const ipAt = d.offsets[ip] as number;
    const src = ip6 ? ip6.src : this.addresses.at(d.data, ipAt + 12, view);
    const dst = ip6 ? ip6.dst : this.addresses.at(d.data, ipAt + 16, view);
    if (kind === Kind.IPIP || kind === Kind.GRE) return { encapsulation: kind === Kind.IPIP ? 'ipip' : 'gre', src, dst };
    const vni = kind === Kind.VXLAN ? view.getUint32((d.offsets[i] as number) + 4) >>> 8 : (describe(d, i) as GeneveLayer).vni;
    const encapsulation = kind === Kind.VXLAN ? 'vxlan' : 'geneve';
    if (udp < 0) return { encapsulation, src, dst, vni };
    const udpAt = d.offsets[udp] as number;
    const sport = view.getUint16(udpAt);
    const dport = view.getUint16(udpAt + 2);
    if (ip6 || kind !== Kind.VXLAN) return { encapsulation, src, dst, sport, dport, vni };
    return this.outers.at(view.getInt32(ipAt + 12), view.getInt32(ipAt + 16), sport, dport, vni, src, dst);
  }

  private ipv4Facts(d: Dissection, ip: number, caplen: number): IpFacts {
    const data = d.data;
    const view = d.view;
    const at = d.offsets[ip] as number;
    const { length, gso } = this.ipLengthAt(d, caplen, ip, undefined);
    const fragmentField = view.getUint16(at + 6);
    const fragmentOffset = (fragmentField & 0x1fff) * 8;
    const moreFragments = (fragmentField & 0x2000) !== 0;
    const facts: IpFacts = {
      version: 4,
      src: this.addresses.at(data, at + 12, view),
      dst: this.addresses.at(data, at + 16, view),
      protocol: data[at + 9] as number,
      ttl: data[at + 8] as number,
      length,
      gso,
      dontFragment: (fragmentField & 0x4000) !== 0,
      fragment: moreFragments || fragmentOffset > 0,
      moreFragments,
      fragmentOffset,
      id: view.getUint16(at + 4),
    };
    return facts;
  }
}

function tcpFacts(d: Dissection, i: number): TcpFacts {
  const at = d.offsets[i] as number;
  const length = d.lengths[i] as number;
  if (length < 20) {
    // A header cut short (only ever inside a quote, which is read above): as the Layer says it.
    const layer = describe(d, i) as Extract<Layer, { type: 'tcp' }>;
    return { seq: layer.seq, ack: layer.ack, flags: layer.flags, payloadLength: layer.payloadLength };
  }
  const view = d.view;
  return { seq: view.getUint32(at + 4), ack: view.getUint32(at + 8), flags: flagsOf(d.data[at + 13] as number), payloadLength: Math.max(0, (d.ends[i] as number) - at - length) };
}

