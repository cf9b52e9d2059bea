// The explainer's entry point for callers that already hold decoded packets (the
// UI, tests): captures + Topology → Explanation. Reading files is in files.ts.
//
//   packets ─ facts.ts ─► flows.ts (per capture) ─► connections.ts (across captures, NAT)
//     (one at a time: each is added to its capture's flows, tunnels, signs of trouble and
//      placement evidence, then let go; see PartReading)
//                                                   ├► tunnels.ts, trouble.ts
//                                                   └► journey.ts (+ tracer) ─► diagnose.ts
import type { DecodedPacket } from '../decode/types.ts';
import type { Topology } from '../topology/model.ts';
import { type ConnectionWithFlows, mergeConnections, summarizeConnection } from './connections.ts';
import { type PacketFacts, packetFacts } from './facts.ts';
import { type CaptureGrouping, FlowGrouper, type GroupedFlow } from './flows.ts';
import { buildJourney, type TraceFunction } from './journey.ts';
import { FrameEvidence } from './placement/evidence.ts';
import { ForeignCheck } from './placement/foreign.ts';
import { idbNamer, indexStream, nameStream } from './placement/interface-data.ts';
import { type CaptureToPlace, placeCaptures } from './placement/place.ts';
import type { AddressName, CaptureFlow, CaptureInfo, Explanation, IcmpErrorSeen } from './model.ts';
import { icmpKindOf } from '../trace/verdict.ts';
import { AddressBook } from './names.ts';
import { findTroubles, malformedTroubles, PacketTroubles } from './trouble.ts';
import { explainTunnels, TunnelTally } from './tunnels.ts';
import type { Warning } from '../util/warning.ts';
import { appendAll } from '../util/append.ts';

/** Addresses listed pods first, then what carries and routes them, then the rest. */
const KIND_ORDER: AddressName['kind'][] = ['pod', 'service', 'node', 'vtep', 'gateway', 'pod-subnet', 'outside', 'unknown'];

/** Signs of trouble that make `podpath explain` exit 1 (a fragment or an RST after data is not by itself a fault). */
const FAULT_KINDS = new Set(['syn-unanswered', 'icmp-unreachable', 'icmp-error', 'vxlan-unknown-port', 'vxlan-unknown-vni', 'oversize']);

export interface CaptureData {
  file: string;
  /** Where it was taken (--at): wins over what the capture, its name and its frames say (placement/). */
  at?: string;
  interface?: string;
  /** Read once, in order; an async iterable or a scan lets a file stream through without holding its packets. */
  packets: Iterable<DecodedPacket> | AsyncIterable<DecodedPacket> | PacketScan;
  /** Errors met while reading (the packets before the damage are still explained); read after the packets. */
  errors?: string[];
}

/**
 * A capture read by calling `each` with every packet's facts in order (files.ts captureFile:
 * the reader's fast path, facts read from the dissection without Layer objects, facts-scan.ts).
 */
export interface PacketScan {
  /** `between`, when given, is awaited after each chunk of the file (the UI hands its event loop back there). */
  scanFacts(each: (facts: PacketFacts) => void, between?: () => Promise<void> | undefined): Promise<void>;
}

export interface ExplainOptions {
  /** Models each connection's path (the tracer); without it the journey is set beside the dumps alone. */
  trace?: TraceFunction;
}

/** An empty topology: explaining captures without any dumps names nothing but still groups and checks. */
export function emptyTopology(): Topology {
  return { nodes: [], pods: [], services: [], vteps: [], cni: { plugin: 'unknown', mode: 'unknown', evidence: [] }, networkPolicies: [], warnings: [] };
}

/**
 * What the explainer gathers from one capture, or one part of it (a pcapng interface, an SLL2
 * ifindex), while its packets are read: flows, tunnels, the packets troubles point at, whether
 * its addresses are the dumps'. A packet is reduced to its facts, added, and let go; only a
 * bounded number of packets per flow, tunnel and sign of trouble is kept.
 */
class PartReading {
  packets = 0;
  readonly grouper = new FlowGrouper(-1);
  readonly tunnels = new TunnelTally();
  readonly troubles: PacketTroubles;
  readonly foreign: ForeignCheck;

  constructor(topology: Topology) {
    this.troubles = new PacketTroubles(topology);
    this.foreign = new ForeignCheck(topology);
  }

  add(p: PacketFacts): void {
    this.packets++;
    this.tunnels.add(p, this.grouper.add(p));
    this.troubles.add(p);
    this.foreign.add(p);
  }
}

/**
 * One capture being read: the evidence placement weighs, the whole capture, and (when its
 * packets name their interface) each interface apart, since placement may split it by them.
 */
class CaptureReading {
  readonly frames = new FrameEvidence();
  readonly whole: PartReading;
  private readonly streams = new Map<string, PartReading>();

  constructor(
    private readonly topology: Topology,
    private readonly idbName: (p: PacketFacts) => string | undefined,
  ) {
    this.whole = new PartReading(topology);
  }

  private stream(key: string): PartReading {
    let part = this.streams.get(key);
    if (!part) this.streams.set(key, (part = new PartReading(this.topology)));
    return part;
  }

  add(p: PacketFacts): void {
    this.frames.add(p);
    this.whole.add(p);
    if (p.interfaceName !== undefined || p.interfaceDescription !== undefined) {
      const name = this.idbName(p);
      if (name !== undefined) this.stream(nameStream(name)).add(p);
    }
    if (p.ifindex !== undefined) this.stream(indexStream(p.ifindex)).add(p);
  }

  part(stream: string): PartReading {
    return stream === '' ? this.whole : this.stream(stream);
  }
}

/** Gives the packets a part kept (its flows', tunnels', troubles') the part's index in the explanation's capture list. */
function numberPart(part: PartReading, grouping: CaptureGrouping, index: number): void {
  const mark = (p: PacketFacts | undefined): void => {
    if (p) p.capture = index;
  };
  for (const g of grouping.flows) {
    g.flow.capture = index;
    mark(g.first);
    mark(g.firstFromClient);
    mark(g.syn?.packet);
    mark(g.firstRst);
    for (const a of g.synAcks) mark(a.packet);
  }
  grouping.icmpErrors.forEach(mark);
  for (const t of part.tunnels.byKey.values()) mark(t.first);
  part.troubles.sized.forEach(mark);
  part.troubles.malformed.forEach(mark);
  for (const a of part.troubles.asked.values()) mark(a.first);
}

/** An ICMP error of a capture, as the flow it quotes lists it. */
function icmpErrorSeen(p: PacketFacts, file: string): IcmpErrorSeen {
  const icmp = p.icmp!;
  const seen: IcmpErrorSeen = { frame: p.frame, time: p.time, src: p.tuple!.src, type: icmp.type, code: icmp.code, text: `frame ${p.frame} of ${file}` };
  const kind = icmp.version === 4 ? icmpKindOf(icmp.type, icmp.code) : undefined;
  if (kind) seen.kind = kind;
  if (icmp.mtu !== undefined) seen.mtu = icmp.mtu;
  return seen;
}

export async function explainCaptures(captures: CaptureData[], topology: Topology = emptyTopology(), options: ExplainOptions = {}): Promise<Explanation> {
  const names = new AddressBook(topology);
  const infos: CaptureInfo[] = [];
  const allFlows: GroupedFlow[] = [];
  const icmpErrors: PacketFacts[] = [];
  const other: Record<string, number> = {};
  const read: CaptureToPlace[] = [];
  const readings: CaptureReading[] = [];
  const idbName = idbNamer(topology);
  for (const capture of captures) {
    const reading = new CaptureReading(topology, idbName);
    const { packets } = capture;
    if ('scanFacts' in packets) await packets.scanFacts((facts) => reading.add(facts));
    else for await (const packet of packets) reading.add(packetFacts(packet, -1));
    readings.push(reading);
    const given = capture.at !== undefined ? { at: capture.at, ...(capture.interface !== undefined ? { interface: capture.interface } : {}) } : undefined;
    read.push({ file: capture.file, frames: reading.frames, ...(given ? { given } : {}) });
  }
  // Each capture (or each interface of a pcapng / cooked v2 capture) gets its place here.
  const placed = placeCaptures(read, topology);
  const foreign = new Set<number>();
  const tunnelParts: { capture: number; tally: TunnelTally }[] = [];
  const troubleParts: { capture: number; troubles: PacketTroubles }[] = [];
  placed.forEach((parts, c) => {
    const capture = captures[c]!;
    for (const placedPart of parts) {
      const index = infos.length;
      const part = readings[c]!.part(placedPart.stream);
      const grouping = part.grouper.finish();
      numberPart(part, grouping, index);
      const info: CaptureInfo = { file: capture.file, packets: part.packets, errors: capture.errors ?? [], placedBy: placedPart.placedBy };
      if (placedPart.fromAny) info.fromAny = true;
      if (placedPart.at !== undefined) info.at = placedPart.at;
      if (placedPart.interface !== undefined) info.interface = placedPart.interface;
      if (placedPart.unplaced) info.unplaced = placedPart.unplaced;
      const stranger = part.foreign.result();
      if (stranger) {
        // Packets of another cluster: not a hop of these dumps' paths, and no fault of theirs.
        info.unplaced = stranger;
        delete info.at;
        delete info.interface;
        info.placedBy = [];
        foreign.add(index);
      }
      infos.push(info);
      appendAll(allFlows, grouping.flows);
      appendAll(icmpErrors, grouping.icmpErrors);
      for (const [kind, n] of Object.entries(grouping.other)) other[kind] = (other[kind] ?? 0) + n;
      tunnelParts.push({ capture: index, tally: part.tunnels });
      troubleParts.push({ capture: index, troubles: part.troubles });
    }
  });

  const connections = mergeConnections(allFlows, topology, names);
  // Quoted packets of ICMP errors belong to the flow they quote (its client → server header,
  // as the error's receiver sees it), in the capture that carries the error.
  const byQuote = new Map<string, CaptureFlow[]>();
  const quoteKey = (capture: number, src: string, sport: number | undefined, dst: string, dport: number | undefined): string => `${capture}|${src}|${sport ?? ''}|${dst}|${dport ?? ''}`;
  for (const { flows } of connections) {
    for (const { flow } of flows) {
      const key = quoteKey(flow.capture, flow.client.ip, flow.client.port, flow.server.ip, flow.server.port);
      const list = byQuote.get(key);
      if (list) list.push(flow);
      else byQuote.set(key, [flow]);
    }
  }
  for (const p of icmpErrors) {
    const q = p.icmp?.quoted;
    if (!q || !p.icmp || !p.tuple) continue;
    for (const flow of byQuote.get(quoteKey(p.capture, q.src, q.sport, q.dst, q.dport)) ?? []) flow.icmpErrors.push(icmpErrorSeen(p, infos[p.capture]?.file ?? '?'));
  }
  for (const { connection } of connections) {
    if (connection.views.some((v) => v.icmpErrors.length > 0)) connection.summary = summarizeConnection(connection);
  }
  const owner = new Map<GroupedFlow, string>();
  const byId = new Map<string, ConnectionWithFlows>();
  for (const cw of connections) {
    byId.set(cw.connection.id, cw);
    for (const g of cw.flows) owner.set(g, cw.connection.id);
  }
  const carried = (id: string): string => {
    const c = byId.get(id)?.connection;
    if (!c) return '';
    const server = c.service?.endpoint ?? c.server;
    return `${c.client.name} → ${server.name}${server.port !== undefined ? `:${server.port}` : ''}`;
  };
  const { tunnels, troubles: tunnelTroubles } = explainTunnels(tunnelParts, topology, names, (g) => owner.get(g), carried);
  const troubles = [...findTroubles(infos, troubleParts, icmpErrors, connections, topology, names), ...tunnelTroubles, ...malformedTroubles(troubleParts)];
  const journeyContext = { topology, names, captures: infos, traceCache: new Map(), ...(options.trace ? { trace: options.trace } : {}) };
  const journeys = [];
  for (const cw of connections) {
    journeys.push(await buildJourney(cw, journeyContext));
  }
  // Name every address of the connections, tunnels and ICMP errors (inner and outer).
  for (const { flows } of connections) {
    for (const g of flows) {
      names.name(g.flow.client.ip);
      names.name(g.flow.server.ip);
      for (const ip of g.outerAddresses) names.name(ip);
    }
  }
  for (const p of icmpErrors) {
    if (p.outer) {
      names.name(p.outer.src);
      names.name(p.outer.dst);
    }
    if (p.tuple) {
      names.name(p.tuple.src);
      names.name(p.tuple.dst);
    }
  }
  const warnings: Warning[] = [...topology.warnings, ...infos.flatMap((i) => i.errors.map((e) => ({ file: i.file, message: e })))];
  const faultFound =
    journeys.some((j) => j.verdict === 'lost' || j.verdict === 'rejected' || j.verdict === 'disagrees' || j.reply !== undefined) ||
    // Without dumps the overlay's MTU is a guess (1450): an oversize packet is then shown, not judged.
    troubles.some((t) => !foreign.has(t.capture) && FAULT_KINDS.has(t.kind) && (t.kind !== 'oversize' || topology.vteps.length > 0)) ||
    connections.some((c) => c.connection.tcp?.state === 'refused' && c.connection.views.some((v) => !foreign.has(v.capture)));
  return {
    captures: infos,
    addresses: names.all().sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.name.localeCompare(b.name) || a.ip.localeCompare(b.ip)),
    connections: connections.map((c) => c.connection),
    tunnels,
    journeys,
    troubles,
    other,
    warnings,
    faultFound,
  };
}
