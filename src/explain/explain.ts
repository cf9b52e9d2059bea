// The explainer's entry point for callers that already hold decoded packets (the
// UI, tests): captures + Topology → Explanation. Reading files is in files.ts.
//
//   packets ─ facts.ts ─► flows.ts (per capture) ─► connections.ts (across captures, NAT)
//                                                   ├► tunnels.ts, trouble.ts
//                                                   └► journey.ts (+ tracer) ─► diagnose.ts
import { basename } from 'node:path';
import type { DecodedPacket } from '../decode/types.ts';
import type { Topology } from '../topology/model.ts';
import { mergeConnections } from './connections.ts';
import { type PacketFacts, packetFacts } from './facts.ts';
import { type FlowWithPackets, groupCapture } from './flows.ts';
import { buildJourney, type TraceFunction } from './journey.ts';
import type { AddressName, CaptureInfo, Explanation } from './model.ts';
import { AddressBook } from './names.ts';
import { findTroubles } from './trouble.ts';
import { explainTunnels } from './tunnels.ts';
import type { Warning } from '../util/warning.ts';

/** Addresses listed pods first, then what carries and routes them, then the rest. */
const KIND_ORDER: AddressName['kind'][] = ['pod', 'service', 'node', 'vtep', 'gateway', 'pod-subnet', 'outside', 'unknown'];

/** Signs of trouble that make `podpath explain` exit 1 (a fragment or an RST after data is not by itself a fault). */
const FAULT_KINDS = new Set(['syn-unanswered', 'icmp-unreachable', 'icmp-error', 'vxlan-unknown-port', 'vxlan-unknown-vni', 'oversize']);

export interface CaptureData {
  file: string;
  /** Where it was taken; defaults to what the file name says (`<at>__<iface>.pcap`). */
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
  return { nodes: [], pods: [], services: [], vteps: [], cni: { plugin: 'unknown', mode: 'unknown', evidence: [] }, warnings: [] };
}

/** Part of a capture file that is one place on the packets' way. */
interface CapturePart {
  interface?: string;
  fromAny?: true;
  facts: PacketFacts[];
}

/** The packets of one file, one part per named capture interface (pcapng), or one part. */
function splitByInterface(facts: PacketFacts[], givenInterface: string | undefined): CapturePart[] {
  const names = new Set(facts.map((p) => p.interfaceName));
  if (givenInterface !== undefined || names.size < 2 || names.has(undefined)) {
    const only = names.size === 1 ? [...names][0] : undefined;
    return [only !== undefined && givenInterface === undefined ? { interface: only, facts } : { facts }];
  }
  const parts = new Map<string, PacketFacts[]>();
  for (const p of facts) {
    const list = parts.get(p.interfaceName!);
    if (list) list.push(p);
    else parts.set(p.interfaceName!, [p]);
  }
  return [...parts].map(([name, list]) => ({ interface: name, facts: list }));
}

/**
 * `tcpdump -i any` in Linux cooked v2 records each packet's ifindex: with the node's `ip link`
 * indexes, one capture becomes one place per interface (the SYN on eth0, flannel.1, cni0 and a
 * veth of one node). Cooked v1 has no ifindex: the capture stays one place, 'any'.
 */
function splitAnyCapture(facts: PacketFacts[], topology: Topology, at: string | undefined): CapturePart[] {
  const node = topology.nodes.find((n) => n.name === at);
  if (!node || facts.length === 0 || facts.some((p) => p.ifindex === undefined)) return [{ facts }];
  const nameOf = (index: number): string | undefined => node.netns.interfaces.find((i) => i.index === index)?.name;
  if (facts.some((p) => nameOf(p.ifindex!) === undefined)) return [{ facts }];
  const parts = new Map<string, PacketFacts[]>();
  for (const p of facts) {
    const name = nameOf(p.ifindex!)!;
    const list = parts.get(name);
    if (list) list.push(p);
    else parts.set(name, [p]);
  }
  return [...parts].map(([name, list]) => ({ interface: name, fromAny: true as const, facts: list }));
}

/** `<at>__<iface>.pcap` (the lab's naming, and what `podpath collect` writes): where the capture was taken. */
export function captureLocation(file: string): { at?: string; interface?: string } {
  const name = basename(file).replace(/\.(pcapng|pcap|cap)$/i, '');
  const match = /^(.+?)__(.+)$/.exec(name);
  return match ? { at: match[1]!, interface: match[2]! } : {};
}

export async function explainCaptures(captures: CaptureData[], topology: Topology = emptyTopology(), options: ExplainOptions = {}): Promise<Explanation> {
  const names = new AddressBook(topology);
  const infos: CaptureInfo[] = [];
  const allPackets: PacketFacts[] = [];
  const allFlows: FlowWithPackets[] = [];
  const icmpErrors: PacketFacts[] = [];
  const other: Record<string, number> = {};
  for (const capture of captures) {
    const where = captureLocation(capture.file);
    const at = capture.at ?? where.at;
    const iface = capture.interface ?? where.interface;
    const facts: PacketFacts[] = [];
    for await (const packet of capture.packets) facts.push(packetFacts(packet, infos.length));
    // A pcapng written by `dumpcap -i eth0 -i flannel.1 …` holds several interfaces: each is a
    // place of its own on the packet's way, unless the caller said where the whole file was taken.
    const parts: CapturePart[] = iface === 'any' ? splitAnyCapture(facts, topology, at) : splitByInterface(facts, iface);
    for (const part of parts) {
      const index = infos.length;
      for (const p of part.facts) p.capture = index;
      const info: CaptureInfo = { file: capture.file, packets: part.facts.length, errors: capture.errors ?? [] };
      if (part.fromAny) info.fromAny = true;
      if (at !== undefined) info.at = at;
      const name = part.interface ?? iface;
      if (name !== undefined) info.interface = name;
      infos.push(info);
      allPackets.push(...part.facts);
      const grouping = groupCapture(index, part.facts);
      allFlows.push(...grouping.flows);
      icmpErrors.push(...grouping.icmpErrors);
      for (const [kind, n] of Object.entries(grouping.other)) other[kind] = (other[kind] ?? 0) + n;
    }
  }

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
  const owner = new Map<string, string>();
  for (const { connection, flows } of connections) {
    for (const { packets } of flows) for (const p of packets) owner.set(`${p.capture}/${p.frame}`, connection.id);
  }
  const carried = (id: string): string => {
    const c = connections.find((x) => x.connection.id === id)?.connection;
    if (!c) return '';
    const server = c.service?.endpoint ?? c.server;
    return `${c.client.name} → ${server.name}${server.port !== undefined ? `:${server.port}` : ''}`;
  };
  const { tunnels, troubles: tunnelTroubles } = explainTunnels(allPackets, topology, names, (capture, frame) => owner.get(`${capture}/${frame}`), carried);
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
  const warnings: Warning[] = [...topology.warnings, ...infos.flatMap((i) => i.errors.map((e) => ({ file: i.file, line: 0, message: e })))];
  const faultFound =
    journeys.some((j) => j.verdict === 'lost' || j.verdict === 'disagrees' || j.reply !== undefined) ||
    // Without dumps the overlay's MTU is a guess (1450): an oversize packet is then shown, not judged.
    troubles.some((t) => FAULT_KINDS.has(t.kind) && (t.kind !== 'oversize' || topology.vteps.length > 0)) ||
    connections.some((c) => c.connection.tcp?.state === 'refused');
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
