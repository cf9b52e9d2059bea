// The explainer's entry point for callers that already hold decoded packets (the
// UI, tests): captures + Topology → Explanation. Reading files is in files.ts.
//
//   packets ─ facts.ts ─► flows.ts (per capture) ─► connections.ts (across captures, NAT)
//                                                   ├► tunnels.ts, trouble.ts
//                                                   └► journey.ts (+ tracer) ─► diagnose.ts
import type { DecodedPacket } from '../decode/types.ts';
import type { Topology } from '../topology/model.ts';
import { mergeConnections } from './connections.ts';
import { type PacketFacts, packetFacts } from './facts.ts';
import { type FlowWithPackets, groupCapture } from './flows.ts';
import { buildJourney, type TraceFunction } from './journey.ts';
import { foreignCapture } from './placement/foreign.ts';
import { type CaptureToPlace, placeCaptures } from './placement/place.ts';
import type { AddressName, CaptureInfo, Explanation } from './model.ts';
import { AddressBook } from './names.ts';
import { findTroubles } from './trouble.ts';
import { explainTunnels } from './tunnels.ts';
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
  /** Read once, in order; an async iterable lets a file stream through without holding its packets. */
  packets: Iterable<DecodedPacket> | AsyncIterable<DecodedPacket>;
  /** Errors met while reading (the packets before the damage are still explained); read after the packets. */
  errors?: string[];
}

export interface ExplainOptions {
  /** Models each connection's path (the tracer); without it the journey is set beside the dumps alone. */
  trace?: TraceFunction;
}

/** An empty topology: explaining captures without any dumps names nothing but still groups and checks. */
export function emptyTopology(): Topology {
  return { nodes: [], pods: [], services: [], vteps: [], cni: { plugin: 'unknown', mode: 'unknown', evidence: [] }, networkPolicies: [], warnings: [] };
}

export async function explainCaptures(captures: CaptureData[], topology: Topology = emptyTopology(), options: ExplainOptions = {}): Promise<Explanation> {
  const names = new AddressBook(topology);
  const infos: CaptureInfo[] = [];
  const allPackets: PacketFacts[] = [];
  const allFlows: FlowWithPackets[] = [];
  const icmpErrors: PacketFacts[] = [];
  const other: Record<string, number> = {};
  const read: CaptureToPlace[] = [];
  for (const capture of captures) {
    const facts: PacketFacts[] = [];
    for await (const packet of capture.packets) facts.push(packetFacts(packet, 0));
    const given = capture.at !== undefined ? { at: capture.at, ...(capture.interface !== undefined ? { interface: capture.interface } : {}) } : undefined;
    read.push({ file: capture.file, facts, ...(given ? { given } : {}) });
  }
  // Each capture (or each interface of a pcapng / cooked v2 capture) gets its place here.
  const placed = placeCaptures(read, topology);
  const foreign = new Set<number>();
  placed.forEach((parts, c) => {
    const capture = captures[c]!;
    for (const part of parts) {
      const index = infos.length;
      for (const p of part.facts) p.capture = index;
      const info: CaptureInfo = { file: capture.file, packets: part.facts.length, errors: capture.errors ?? [], placedBy: part.placedBy };
      if (part.fromAny) info.fromAny = true;
      if (part.at !== undefined) info.at = part.at;
      if (part.interface !== undefined) info.interface = part.interface;
      if (part.unplaced) info.unplaced = part.unplaced;
      const stranger = foreignCapture(part.facts, topology);
      if (stranger) {
        // Packets of another cluster: not a hop of these dumps' paths, and no fault of theirs.
        info.unplaced = stranger;
        delete info.at;
        delete info.interface;
        info.placedBy = [];
        foreign.add(index);
      }
      infos.push(info);
      appendAll(allPackets, part.facts);
      const grouping = groupCapture(index, part.facts);
      appendAll(allFlows, grouping.flows);
      appendAll(icmpErrors, grouping.icmpErrors);
      for (const [kind, n] of Object.entries(grouping.other)) other[kind] = (other[kind] ?? 0) + n;
    }
  });

  const connections = mergeConnections(allFlows, topology, names);
  // Quoted packets of ICMP errors belong to the flow they quote, in the capture that carries the error.
  for (const p of icmpErrors) {
    const q = p.icmp?.quoted;
    if (!q) continue;
    for (const { flows } of connections) {
      for (const { flow } of flows) {
        if (flow.client.ip === q.src && flow.client.port === q.sport && flow.server.ip === q.dst && flow.server.port === q.dport) {
          flow.icmpErrors.push({ frame: p.frame, text: `frame ${p.frame} of ${infos[p.capture]?.file ?? '?'}` });
        }
      }
    }
  }
  // Keyed by the packet itself (tunnels ask only about tunnelled ones): a "capture/frame" string
  // per packet was a tenth of explain's memory on a million packets.
  const owner = new Map<PacketFacts, string>();
  for (const { connection, flows } of connections) {
    for (const { packets } of flows) for (const p of packets) if (p.outer) owner.set(p, connection.id);
  }
  const carried = (id: string): string => {
    const c = connections.find((x) => x.connection.id === id)?.connection;
    if (!c) return '';
    const server = c.service?.endpoint ?? c.server;
    return `${c.client.name} → ${server.name}${server.port !== undefined ? `:${server.port}` : ''}`;
  };
  const { tunnels, troubles: tunnelTroubles } = explainTunnels(allPackets, topology, names, (p) => owner.get(p), carried);
  const troubles = [...findTroubles(infos, allPackets, icmpErrors, connections, topology, names), ...tunnelTroubles];
  for (const p of allPackets) {
    if (p.malformed) {
      troubles.push({ kind: 'malformed', capture: p.capture, frame: p.frame, text: `frame ${p.frame}: ${p.malformed}` });
    }
  }
  const journeyContext = { topology, names, captures: infos, traceCache: new Map(), ...(options.trace ? { trace: options.trace } : {}) };
  const journeys = [];
  for (const cw of connections) {
    journeys.push(await buildJourney(cw, journeyContext));
  }
  // Name every address of the connections, tunnels and ICMP errors (inner and outer).
  for (const p of [...connections.flatMap((c) => c.flows.flatMap((f) => f.packets)), ...icmpErrors]) {
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
