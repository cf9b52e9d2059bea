// Groups one capture's packets into flows (both directions of one 5-tuple), the way
// tshark numbers tcp.stream: a flow starts at its first packet and a new pure SYN
// with another initial sequence number on the same ports starts a new one (port
// reuse). Each flow gets its TCP state and its HTTP requests paired with responses.
import type { PacketFacts } from './facts.ts';
import type { CaptureFlow, HttpExchange, TcpState, TcpSummary } from './model.ts';

/** A flow and the packets behind it (the packets stay out of the JSON). */
export interface FlowWithPackets {
  flow: CaptureFlow;
  packets: PacketFacts[];
  /** The packets that are first sightings, without the copies of one packet seen at several hops. */
  distinct: PacketFacts[];
}

/**
 * A retransmission is never sent within 200 ms of the original (Linux TCP_RTO_MIN; a
 * SYN waits TCP_TIMEOUT_INIT, 1 s) and carries a new IP ID; the same packet crossing
 * several interfaces of one capture (`-i any`) shows up microseconds apart, unchanged.
 */
const COPY_WINDOW_S = 0.2;

function sameSegment(a: PacketFacts, b: PacketFacts): boolean {
  if (a.icmp && b.icmp && a.ip && b.ip) {
    return a.icmp.type === b.icmp.type && a.icmp.id === b.icmp.id && a.icmp.seq === b.icmp.seq && a.ip.id === b.ip.id && Math.abs(a.time - b.time) < COPY_WINDOW_S;
  }
  if (!a.tcp || !b.tcp || !a.ip || !b.ip) return false;
  const fa = a.tcp.flags;
  const fb = b.tcp.flags;
  return (
    a.tcp.seq === b.tcp.seq &&
    a.tcp.ack === b.tcp.ack &&
    a.tcp.payloadLength === b.tcp.payloadLength &&
    fa.syn === fb.syn && fa.ack === fb.ack && fa.fin === fb.fin && fa.rst === fb.rst &&
    a.ip.id === b.ip.id &&
    Math.abs(a.time - b.time) < COPY_WINDOW_S
  );
}

export interface CaptureGrouping {
  flows: FlowWithPackets[];
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

function endKey(ip: string, port: number | undefined): string {
  return port === undefined ? ip : `${ip}|${port}`;
}

function flowKey(p: PacketFacts): string | undefined {
  const t = p.tuple;
  if (!t) return undefined;
  const a = endKey(t.src, t.sport);
  const b = endKey(t.dst, t.dport);
  const ends = a < b ? `${a}/${b}` : `${b}/${a}`;
  if (t.proto === 'icmp') return `icmp/${ends}/${p.icmp?.id ?? ''}`;
  return `${t.proto}/${ends}`;
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

function newFlow(capture: number, first: PacketFacts): FlowWithPackets {
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
  return { flow, packets: [], distinct: [] };
}

function isPureSyn(p: PacketFacts): boolean {
  return !!p.tcp && p.tcp.flags.syn && !p.tcp.flags.ack;
}

/** Groups the packets of one capture (in frame order) into flows. */
export function groupCapture(capture: number, packets: PacketFacts[]): CaptureGrouping {
  const open = new Map<string, FlowWithPackets>();
  const flows: FlowWithPackets[] = [];
  const icmpErrors: PacketFacts[] = [];
  const other: Record<string, number> = {};
  const count = (kind: string): void => {
    other[kind] = (other[kind] ?? 0) + 1;
  };
  for (const p of packets) {
    if (isIcmpError(p)) {
      icmpErrors.push(p);
      continue;
    }
    if (p.icmp && !isEcho(p)) {
      // Neighbour discovery, MLD, router solicitations …: link housekeeping, not connections.
      count(p.icmp.version === 6 ? 'icmpv6-control' : 'icmp-control');
      continue;
    }
    const key = flowKey(p);
    if (!key) {
      count(p.arp ? 'arp' : p.malformed ? 'malformed' : 'non-ip');
      continue;
    }
    if (p.tuple?.proto === 'other') {
      count(`ip-proto-${p.ip?.protocol ?? '?'}`);
      continue;
    }
    let entry = open.get(key);
    if (entry && isPureSyn(p)) {
      const isn = firstSynSeq(entry.packets);
      if (isn !== undefined && isn !== p.tcp!.seq) entry = undefined; // port reused by a new connection
    }
    if (!entry) {
      entry = newFlow(capture, p);
      open.set(key, entry);
      flows.push(entry);
    }
    const recent = entry.distinct.slice(-16);
    if (recent.some((q) => sameSegment(q, p))) entry.flow.copies++;
    else entry.distinct.push(p);
    entry.packets.push(p);
    entry.flow.packets++;
    if (p.tuple?.src === entry.flow.server.ip && p.tuple?.sport === entry.flow.server.port) entry.flow.serverSent++;
    entry.flow.lastFrame = p.frame;
    entry.flow.frames.push(p.frame);
    if (!entry.flow.outer && p.outer) entry.flow.outer = p.outer;
  }
  for (const entry of flows) {
    if (entry.flow.proto === 'tcp') entry.flow.tcp = tcpSummary(entry);
    if (entry.flow.proto === 'icmp') {
      const types = entry.distinct.map((p) => p.icmp?.type);
      entry.flow.echo = { requests: types.filter((t) => t === 8 || t === 128).length, replies: types.filter((t) => t === 0 || t === 129).length };
    }
    entry.flow.http = pairHttp(entry);
  }
  return { flows, icmpErrors, other };
}

function firstSynSeq(packets: PacketFacts[]): number | undefined {
  return packets.find(isPureSyn)?.tcp?.seq;
}

function fromClient(entry: FlowWithPackets, p: PacketFacts): boolean {
  const c = entry.flow.client;
  return p.tuple?.src === c.ip && p.tuple?.sport === c.port;
}

/** TCP state of one flow, from the flags each side sent (RFC 793's handshake and close). */
export function tcpSummary(entry: FlowWithPackets): TcpSummary {
  const s: TcpSummary = {
    state: 'mid-stream',
    syns: 0,
    synRetransmissions: 0,
    synAck: false,
    handshakeComplete: false,
    bytesToServer: 0,
    bytesToClient: 0,
    finFromClient: false,
    finFromServer: false,
  };
  let synAckSeq: number | undefined;
  for (const p of entry.distinct) {
    const tcp = p.tcp;
    if (!tcp) continue;
    const client = fromClient(entry, p);
    const f = tcp.flags;
    if (f.syn && !f.ack && client) {
      if (s.isn === undefined) s.isn = tcp.seq;
      else if (tcp.seq === s.isn) s.synRetransmissions++;
      s.syns++;
    } else if (f.syn && f.ack && !client) {
      s.synAck = true;
      synAckSeq = tcp.seq;
    } else if (f.ack && client && s.synAck && !s.handshakeComplete && !f.rst) {
      if (synAckSeq === undefined || tcp.ack === ((synAckSeq + 1) >>> 0)) s.handshakeComplete = true;
    }
    if (client) s.bytesToServer += tcp.payloadLength;
    else s.bytesToClient += tcp.payloadLength;
    if (f.fin) {
      if (client) s.finFromClient = true;
      else s.finFromServer = true;
    }
    if (f.rst && s.resetBy === undefined) s.resetBy = client ? 'client' : 'server';
  }
  s.state = tcpState(s);
  return s;
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
function pairHttp(entry: FlowWithPackets): HttpExchange[] {
  const exchanges: HttpExchange[] = [];
  const waiting: HttpExchange[] = [];
  for (const p of entry.distinct) {
    const http = p.http;
    if (!http) continue;
    if (http.kind === 'request' && fromClient(entry, p)) {
      const exchange: HttpExchange = {
        request: `${http.method ?? ''} ${http.uri ?? ''}`.trim(),
        requestFrame: p.frame,
      };
      if (http.host !== undefined) exchange.host = http.host;
      exchanges.push(exchange);
      waiting.push(exchange);
    } else if (http.kind === 'response') {
      const exchange = waiting.shift();
      const text = `${http.status ?? ''} ${http.reason ?? ''}`.trim();
      if (exchange) {
        exchange.response = text;
        if (http.status !== undefined) exchange.status = http.status;
        exchange.responseFrame = p.frame;
      } else {
        // A response whose request the capture missed (it began mid-stream).
        exchanges.push({ request: '(not captured)', requestFrame: 0, response: text, responseFrame: p.frame, ...(http.status !== undefined ? { status: http.status } : {}) });
      }
    }
  }
  return exchanges;
}
