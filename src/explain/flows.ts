// Groups one capture's packets into flows (both directions of one 5-tuple), the way
// tshark numbers tcp.stream: a flow starts at its first packet and a new pure SYN
// with another initial sequence number on the same ports starts a new one (port
// reuse). Each flow gets its TCP state and its HTTP requests paired with responses.
import type { FiveTuple, PacketFacts } from './facts.ts';
import type { CaptureFlow, HttpExchange, TcpState, TcpSummary } from './model.ts';

/**
 * A flow and the few of its packets the explainer points at later: its first packets, its SYN
 * and SYN-ACKs, its first RST. Its other packets are counted as they stream past and not kept
 * (issue 11: a million-packet capture), so what a flow holds does not grow with its length.
 */
export interface GroupedFlow {
  flow: CaptureFlow;
  first: PacketFacts;
  /** The client's first packet (the first packet of a connection without a SYN). */
  firstFromClient?: PacketFacts;
  /**
   * The first pure SYN, and how many distinct ones were sent (copies at several hops of one
   * capture not counted). Every pure SYN of a flow has its first one's sequence number: a
   * SYN with another starts a new flow.
   */
  syn?: { packet: PacketFacts; count: number; lastTime: number };
  /** The time of the capture's last packet (of any flow): set when the capture is read. */
  captureEnd?: number;
  /** The first SYN-ACK for each acknowledgement number (at most MAX_SYN_ACKS numbers), with how many distinct ones. */
  synAcks: { ack: number; packet: PacketFacts; count: number }[];
  firstRst?: PacketFacts;
  /** The tunnel endpoints its packets were carried between, to name them. */
  outerAddresses: Set<string>;
  /**
   * Fragments of the client's first datagram in this capture (its IP ID), the first one
   * included; absent when it was not fragmented here.
   */
  firstFragments?: number;
}

const MAX_SYN_ACKS = 8;

/** Linux sends a SYN again after 1 s without an answer (TCP_TIMEOUT_INIT, RFC 6298's initial RTO). */
export const SYN_RETRY_S = 1;

/**
 * The capture ended before this flow's SYN could be seen answered or sent again: one SYN, and
 * less than SYN_RETRY_S of capture after it. Its silence says nothing about the network.
 */
export function synCutByCaptureEnd(g: GroupedFlow): boolean {
  return !!g.syn && g.syn.count === 1 && g.captureEnd !== undefined && g.captureEnd - g.syn.lastTime < SYN_RETRY_S;
}
/** The packets a copy is looked for among: the last few distinct ones of the flow. */
const RECENT = 16;

/**
 * A retransmission is never sent within 200 ms of the original (Linux TCP_RTO_MIN; a
 * SYN waits TCP_TIMEOUT_INIT, 1 s) and carries a new IP ID; the same packet crossing
 * several interfaces of one capture (`-i any`) shows up microseconds apart, unchanged.
 */
const COPY_WINDOW_S = 0.2;

/**
 * The last RECENT distinct packets of a flow, as the copy test compares them: numbers in one
 * typed array, not the packets, so a flow holds no packet while it is read (a packet kept
 * for a while outlives V8's young generation and fills the old one: the explainer's peak
 * memory on a million packets was mostly such packets).
 */
class RecentSegments {
  private static readonly FIELDS = 7;
  private readonly values = new Float64Array(RECENT * RecentSegments.FIELDS);
  private size = 0;
  private next = 0;

  /** 1: ICMP over IP (type, id, seq), 2: TCP over IP (seq, ack, payload, SYN/ACK/FIN/RST), 0: neither (never a copy). */
  private static encode(p: PacketFacts, out: Float64Array, at: number): void {
    out[at] = p.icmp && p.ip ? 1 : p.tcp && p.ip ? 2 : 0;
    out[at + 1] = p.time;
    out[at + 2] = p.ip?.id ?? -1;
    if (p.icmp) {
      out[at + 3] = p.icmp.type;
      out[at + 4] = p.icmp.id ?? -1;
      out[at + 5] = p.icmp.seq ?? -1;
      out[at + 6] = 0;
    } else if (p.tcp) {
      const f = p.tcp.flags;
      out[at + 3] = p.tcp.seq;
      out[at + 4] = p.tcp.ack;
      out[at + 5] = p.tcp.payloadLength;
      out[at + 6] = (f.syn ? 1 : 0) | (f.ack ? 2 : 0) | (f.fin ? 4 : 0) | (f.rst ? 8 : 0);
    }
  }

  private static readonly probe = new Float64Array(RecentSegments.FIELDS);

  /**
   * A retransmission is never sent within 200 ms of the original and carries a new IP ID; the
   * same packet seen again at another interface of the capture is unchanged, microseconds later.
   */
  hasCopyOf(p: PacketFacts): boolean {
    const q = RecentSegments.probe;
    RecentSegments.encode(p, q, 0);
    if (q[0] === 0) return false;
    const v = this.values;
    for (let i = 0; i < this.size; i++) {
      const at = i * RecentSegments.FIELDS;
      if (v[at] !== q[0] || v[at + 2] !== q[2] || v[at + 3] !== q[3] || v[at + 4] !== q[4] || v[at + 5] !== q[5] || v[at + 6] !== q[6]) continue;
      if (Math.abs(v[at + 1]! - q[1]!) < COPY_WINDOW_S) return true;
    }
    return false;
  }

  push(p: PacketFacts): void {
    RecentSegments.encode(p, this.values, this.next * RecentSegments.FIELDS);
    this.next = (this.next + 1) % RECENT;
    if (this.size < RECENT) this.size++;
  }
}

export interface CaptureGrouping {
  flows: GroupedFlow[];
  /** ICMP errors (unreachable, time exceeded, too big): matched to flows later, across captures too. */
  icmpErrors: PacketFacts[];
  /** Packets that are no flow, by kind ('arp', 'ipv6-other', 'non-ip' …). */
  other: Record<string, number>;
}

const ICMP_ERRORS_V4 = new Set([3, 4, 5, 11, 12]);
const ICMP_ERRORS_V6 = new Set([1, 2, 3, 4]);

export function isIcmpError(p: PacketFacts): boolean {
  if (!p.icmp) return false;
  return p.icmp.version === 4 ? ICMP_ERRORS_V4.has(p.icmp.type) : ICMP_ERRORS_V6.has(p.icmp.type);
}

function isEcho(p: PacketFacts): boolean {
  const type = p.icmp?.type;
  return p.icmp?.version === 4 ? type === 8 || type === 0 : type === 128 || type === 129;
}

/** RFC 791: fragments of one datagram share source, destination, protocol and identification. */
function reassemblyKey(p: PacketFacts): string {
  const ip = p.ip!;
  return `${ip.src}|${ip.dst}|${ip.protocol}|${ip.id ?? ''}`;
}

function endKey(ip: string, port: number | undefined): string {
  return port === undefined ? ip : `${ip}|${port}`;
}

function endsKey(t: FiveTuple): string {
  const a = endKey(t.src, t.sport);
  const b = endKey(t.dst, t.dport);
  return a < b ? `${a}/${b}` : `${b}/${a}`;
}

/** The key of a flow of this tuple (both directions alike) but an ICMP one; facts-scan.ts makes it once per tuple (PacketFacts.tupleKey). */
export function tupleKey(t: FiveTuple): string {
  return `${t.proto}/${endsKey(t)}`;
}

function flowKey(p: PacketFacts): string | undefined {
  const t = p.tuple;
  if (!t) return undefined;
  if (t.proto === 'icmp') return `icmp/${endsKey(t)}/${p.icmp?.id ?? ''}`;
  return p.tupleKey ?? tupleKey(t);
}

/** Which end is the client: the SYN's sender, else the sender of the first packet, unless ports say otherwise. */
function clientIsSource(first: PacketFacts): boolean {
  const t = first.tuple;
  const tcp = first.tcp;
  if (tcp?.flags.syn) return !tcp.flags.ack;
  if (first.icmp) return first.icmp.type === 8 || first.icmp.type === 128 || (first.icmp.type !== 0 && first.icmp.type !== 129);
  if (t?.sport !== undefined && t.dport !== undefined) {
    // Mid-stream: the well-known (lower, below the ephemeral range) port is the server's.
    if (t.sport < 32768 && t.dport >= 32768) return false;
    if (t.sport < t.dport && t.sport < 1024) return false;
  }
  return true;
}

/** A flow while its capture is read: what tcpSummary, the echo count and the HTTP pairing carry from packet to packet. */
interface OpenFlow {
  grouped: GroupedFlow;
  /** The last RECENT distinct packets, to tell copies from new packets. */
  recent: RecentSegments;
  tcp?: TcpSummary;
  synAckSeq?: number;
  echo?: { requests: number; replies: number };
  http: HttpExchange[];
  waiting: HttpExchange[];
}

function newFlow(capture: number, first: PacketFacts): OpenFlow {
  const t = first.tuple!;
  const fromClient = clientIsSource(first);
  const client = fromClient ? { ip: t.src, port: t.sport } : { ip: t.dst, port: t.dport };
  const server = fromClient ? { ip: t.dst, port: t.dport } : { ip: t.src, port: t.sport };
  const flow: CaptureFlow = {
    capture,
    client: client.port === undefined ? { ip: client.ip } : { ip: client.ip, port: client.port },
    server: server.port === undefined ? { ip: server.ip } : { ip: server.ip, port: server.port },
    proto: t.proto,
    packets: 0,
    copies: 0,
    serverSent: 0,
    firstFrame: first.frame,
    lastFrame: first.frame,
    firstTime: first.time,
    frames: [],
    http: [],
    icmpErrors: [],
  };
  if (first.outer) flow.outer = first.outer;
  const open: OpenFlow = { grouped: { flow, first, synAcks: [], outerAddresses: new Set() }, recent: new RecentSegments(), http: [], waiting: [] };
  if (t.proto === 'tcp') {
    open.tcp = { state: 'mid-stream', syns: 0, synRetransmissions: 0, synAck: false, handshakeComplete: false, bytesToServer: 0, bytesToClient: 0, finFromClient: false, finFromServer: false };
  }
  if (t.proto === 'icmp') open.echo = { requests: 0, replies: 0 };
  return open;
}

function isPureSyn(p: PacketFacts): boolean {
  return !!p.tcp && p.tcp.flags.syn && !p.tcp.flags.ack;
}

/**
 * Groups one capture's packets into flows as they are read, in frame order: `add` each packet,
 * then `finish`. Only the flows' counts and a few packets each are kept (GroupedFlow).
 */
export class FlowGrouper {
  private readonly open = new Map<string, OpenFlow>();
  private readonly flows: OpenFlow[] = [];
  private readonly icmpErrors: PacketFacts[] = [];
  private readonly other: Record<string, number> = {};
  /** ICMP errors kept (each is a sign of trouble); beyond it they are counted in `other`. */
  static readonly MAX_ICMP_ERRORS = 10_000;
  /**
   * The flow of each fragmented datagram whose first fragment (the one with the ports) was
   * seen, by source, destination, protocol and IP ID (RFC 791's reassembly key), so that its
   * later fragments, which carry no ports, join it. Bounded: the oldest datagrams are forgotten.
   */
  private readonly fragmented = new Map<string, OpenFlow>();
  static readonly MAX_FRAGMENTED = 4096;

  private lastTime = -Infinity;

  constructor(private readonly capture: number) {}

  private count(kind: string): void {
    this.other[kind] = (this.other[kind] ?? 0) + 1;
  }

  /** Adds one packet; returns the flow it joined, if any. */
  add(p: PacketFacts): GroupedFlow | undefined {
    if (p.time > this.lastTime) this.lastTime = p.time;
    if (isIcmpError(p)) {
      if (this.icmpErrors.length < FlowGrouper.MAX_ICMP_ERRORS) this.icmpErrors.push(p);
      else this.count('icmp-error (not listed)');
      return undefined;
    }
    if (p.icmp && !isEcho(p)) {
      // Neighbour discovery, MLD, router solicitations …: link housekeeping, not connections.
      this.count(p.icmp.version === 6 ? 'icmpv6-control' : 'icmp-control');
      return undefined;
    }
    if (p.ip?.fragment && p.ip.fragmentOffset > 0) return this.laterFragment(p);
    const key = flowKey(p);
    if (!key) {
      this.count(p.arp ? 'arp' : p.malformed ? 'malformed' : 'non-ip');
      return undefined;
    }
    if (p.tuple?.proto === 'other') {
      this.count(`ip-proto-${p.ip?.protocol ?? '?'}`);
      return undefined;
    }
    let entry = this.open.get(key);
    if (entry && isPureSyn(p)) {
      const isn = entry.grouped.syn?.packet.tcp!.seq;
      if (isn !== undefined && isn !== p.tcp!.seq) entry = undefined; // port reused by a new connection
    }
    if (!entry) {
      entry = newFlow(this.capture, p);
      this.open.set(key, entry);
      this.flows.push(entry);
    }
    const g = entry.grouped;
    const flow = g.flow;
    if (p.ip?.fragment && p.ip.id !== undefined) {
      if (this.fragmented.size >= FlowGrouper.MAX_FRAGMENTED) this.fragmented.delete(this.fragmented.keys().next().value!);
      this.fragmented.set(reassemblyKey(p), entry);
    }
    if (entry.recent.hasCopyOf(p)) flow.copies++;
    else {
      entry.recent.push(p);
      distinctPacket(entry, p);
    }
    this.tally(entry, p);
    const client = fromClient(flow, p);
    if (client && !g.firstFromClient) {
      g.firstFromClient = p;
      if (p.ip?.fragment) g.firstFragments = 1;
    }
    if (p.tcp?.flags.rst && !g.firstRst) g.firstRst = p;
    if (p.tuple?.src === flow.server.ip && p.tuple?.sport === flow.server.port) flow.serverSent++;
    if (p.outer) {
      if (!flow.outer) flow.outer = p.outer;
      g.outerAddresses.add(p.outer.src);
      g.outerAddresses.add(p.outer.dst);
    }
    return g;
  }

  /** A packet of a flow: counted, its frame listed. */
  private tally(entry: OpenFlow, p: PacketFacts): void {
    const flow = entry.grouped.flow;
    flow.packets++;
    flow.lastFrame = p.frame;
    flow.frames.push(p.frame);
  }

  /**
   * A fragment after the first: no ports, so it joins the datagram its first fragment opened
   * (same source, destination, protocol and IP ID). Without that first fragment (not captured, or
   * an underlay fragment of a VXLAN packet, whose first fragment is keyed by its inner header) it
   * is counted apart.
   */
  private laterFragment(p: PacketFacts): GroupedFlow | undefined {
    const entry = this.fragmented.get(reassemblyKey(p));
    if (!entry) {
      this.count('ip-fragment (not joined to a flow)');
      return undefined;
    }
    this.tally(entry, p);
    const g = entry.grouped;
    const flow = g.flow;
    if (p.ip?.src === flow.server.ip) flow.serverSent++;
    const first = g.firstFromClient;
    if (first && first.ip?.id === p.ip?.id && first.tuple?.src === p.tuple?.src) g.firstFragments = (g.firstFragments ?? 1) + 1;
    return g;
  }

  finish(): CaptureGrouping {
    const flows = this.flows.map((entry) => {
      const { flow } = entry.grouped;
      if (entry.tcp) {
        entry.tcp.state = tcpState(entry.tcp);
        flow.tcp = entry.tcp;
      }
      if (entry.echo) flow.echo = entry.echo;
      flow.http = entry.http;
      entry.grouped.captureEnd = this.lastTime;
      return entry.grouped;
    });
    this.open.clear();
    return { flows, icmpErrors: this.icmpErrors, other: this.other };
  }
}

/** Groups the packets of one capture (in frame order) into flows. */
export function groupCapture(capture: number, packets: Iterable<PacketFacts>): CaptureGrouping {
  const grouper = new FlowGrouper(capture);
  for (const p of packets) grouper.add(p);
  return grouper.finish();
}

function fromClient(flow: CaptureFlow, p: PacketFacts): boolean {
  const c = flow.client;
  return p.tuple?.src === c.ip && p.tuple?.sport === c.port;
}

/** A packet that is not a copy of one just seen: the TCP state, the echo count and HTTP move on (RFC 793's handshake and close). */
function distinctPacket(entry: OpenFlow, p: PacketFacts): void {
  const g = entry.grouped;
  const client = fromClient(g.flow, p);
  const tcp = p.tcp;
  if (tcp) {
    const f = tcp.flags;
    if (f.syn && !f.ack) {
      if (g.syn) {
        g.syn.count++;
        g.syn.lastTime = p.time;
      } else g.syn = { packet: p, count: 1, lastTime: p.time };
    }
    if (f.syn && f.ack) {
      const seen = g.synAcks.find((x) => x.ack === tcp.ack);
      if (seen) seen.count++;
      else if (g.synAcks.length < MAX_SYN_ACKS) g.synAcks.push({ ack: tcp.ack, packet: p, count: 1 });
    }
    const s = entry.tcp;
    if (s) {
      if (f.syn && !f.ack && client) {
        if (s.isn === undefined) s.isn = tcp.seq;
        else if (tcp.seq === s.isn) s.synRetransmissions++;
        s.syns++;
      } else if (f.syn && f.ack && !client) {
        s.synAck = true;
        entry.synAckSeq = tcp.seq;
      } else if (f.ack && client && s.synAck && !s.handshakeComplete && !f.rst) {
        if (entry.synAckSeq === undefined || tcp.ack === ((entry.synAckSeq + 1) >>> 0)) s.handshakeComplete = true;
      }
      if (client) s.bytesToServer += tcp.payloadLength;
      else s.bytesToClient += tcp.payloadLength;
      if (f.fin) {
        if (client) s.finFromClient = true;
        else s.finFromServer = true;
      }
      if (f.rst && s.resetBy === undefined) s.resetBy = client ? 'client' : 'server';
    }
  }
  if (entry.echo) {
    const type = p.icmp?.type;
    if (type === 8 || type === 128) entry.echo.requests++;
    else if (type === 0 || type === 129) entry.echo.replies++;
  }
  if (p.http) pairHttp(entry, p, client);
}

function tcpState(s: TcpSummary): TcpState {
  if (s.syns === 0 && !s.synAck) {
    if (s.resetBy) return 'reset';
    if (s.finFromClient && s.finFromServer) return 'closed';
    return 'mid-stream';
  }
  if (!s.synAck) return s.resetBy === 'server' ? 'refused' : 'syn-unanswered';
  if (s.resetBy) return s.handshakeComplete ? 'reset' : s.resetBy === 'server' ? 'refused' : 'reset';
  if (!s.handshakeComplete) return 'handshake-incomplete';
  if (s.finFromClient && s.finFromServer) return 'closed';
  if (s.finFromClient || s.finFromServer) return 'half-closed';
  return 'established';
}

/** HTTP/1.x has no request ids: responses answer requests in order on one connection. */
function pairHttp(entry: OpenFlow, p: PacketFacts, client: boolean): void {
  const http = p.http!;
  if (http.kind === 'request' && client) {
    const exchange: HttpExchange = {
      request: `${http.method ?? ''} ${http.uri ?? ''}`.trim(),
      requestFrame: p.frame,
    };
    if (http.host !== undefined) exchange.host = http.host;
    entry.http.push(exchange);
    entry.waiting.push(exchange);
  } else if (http.kind === 'response') {
    const exchange = entry.waiting.shift();
    const text = `${http.status ?? ''} ${http.reason ?? ''}`.trim();
    if (exchange) {
      exchange.response = text;
      if (http.status !== undefined) exchange.status = http.status;
      exchange.responseFrame = p.frame;
    } else {
      // A response whose request the capture missed (it began mid-stream).
      entry.http.push({ request: '(not captured)', requestFrame: 0, response: text, responseFrame: p.frame, ...(http.status !== undefined ? { status: http.status } : {}) });
    }
  }
}
