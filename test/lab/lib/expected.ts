// Builds expected.json (schema: docs/samples-format.md) from what the tools recorded:
// sightings, outer headers, outcome and endpoint from the captures (tshark), the chains
// from xtables-monitor's trace, rule probabilities from the recorded iptables-save, and the
// lab's own configuration for what it set up (nodes, pods, VTEPs, services).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptureFile, ClientResult } from './record.ts';
import { VXLAN, type ConnectionSpec, type ScenarioSpec } from './spec.ts';
import { readFrames, type Frame } from './tshark.ts';
import { parseNetfilterTrace, type TraceBlock, type TraceEntry } from './xtables-trace.ts';
import { iptablesLineFor, parseNftTrace } from './nft-trace.ts';
import { DEFAULT_CLIENT_TIMEOUT_SECONDS, TRACE_MATCH } from './record.ts';

export interface Sighting {
  at: string;
  interface: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: 'tcp';
  ttl: number;
  outer?: { src: string; dst: string; sport: number; dport: number; vni: number };
  capture: string;
  frame: number;
  /** Capture timestamp (epoch seconds, nanosecond digits) that ordered the sightings. */
  time: string;
}

export interface NetfilterStep extends TraceEntry {
  node: string;
  in?: string;
  out?: string;
}

export interface ExpectedConnection {
  id: string;
  from: string;
  to: string;
  service?: string;
  outcome: 'delivered' | 'rejected' | 'timeout';
  endpoint?: string;
  clientSaw: string;
  client: { command: string; exit: number; output: string };
  sightings: Sighting[];
  netfilter: NetfilterStep[];
}

interface CaptureFrames {
  capture: CaptureFile;
  frames: Frame[];
}

const ICMP_UNREACHABLE: Record<number, string> = {
  0: 'net unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable',
  9: 'net prohibited', 10: 'host prohibited', 13: 'admin prohibited',
};

/** `captureDir` holds the nanosecond captures that were read to order the sightings. */
export function buildExpected(
  spec: ScenarioSpec,
  dir: string,
  captureDir: string,
  captures: CaptureFile[],
  clients: ClientResult[],
): object {
  const read: CaptureFrames[] = captures.map((capture) => ({
    capture,
    frames: readFrames(join(captureDir, capture.file.replace(/^captures\//, '')), [8472, 4789]),
  }));
  const traceText = readFileSync(join(dir, 'netfilter-trace.txt'), 'utf8');
  const nodeFile = (node: string, file: string) => readFileSync(join(dir, node, file), 'utf8');
  // nftables mode records `nft monitor trace` (xtables-monitor cannot print native nft rules).
  const trace = spec.kubeProxyMode === 'nftables'
    ? parseNftTrace(traceText, (node, table, chain, rule) => iptablesLineFor(nodeFile(node, 'nft-ruleset.txt'), nodeFile(node, 'iptables-save.txt'), table, chain, rule))
    : parseNetfilterTrace(traceText);
  const hasRaw = new Map(spec.nodes.map((n) => [n.name, readFileSync(join(dir, n.name, 'iptables-save.txt'), 'utf8').includes('\n*raw')]));
  const connections = spec.connections.map((c) => {
    const client = clients.find((r) => r.id === c.id);
    if (client === undefined) throw new Error(`no client result for ${c.id}`);
    return connectionRecord(spec, c, client, read, trace, hasRaw);
  });
  return {
    scenario: spec.name,
    description: spec.description,
    cni: spec.cni,
    ...(spec.fault === undefined ? {} : { fault: spec.fault }),
    nodes: spec.nodes.map((n) => ({ name: n.name, underlay: n.underlay, podCIDR: n.podCIDR })),
    pods: spec.pods.map((p) => ({ name: p.name, node: p.node, ip: p.ip, hostInterface: p.hostInterface })),
    vteps: spec.cni.mode === 'vxlan'
      ? spec.nodes.map((n) => ({ node: n.name, device: VXLAN[spec.cni.plugin].device, vni: VXLAN[spec.cni.plugin].vni, port: VXLAN[spec.cni.plugin].port, local: n.underlay }))
      : [],
    services: servicesRecord(spec, dir),
    connections,
  };
}

function firstSyn(frames: Frame[], sport: number): Frame | undefined {
  return frames.find((f) => f.icmp === undefined && f.tcp?.syn === true && !f.tcp.ack && f.tcp.sport === sport);
}

function connectionRecord(
  spec: ScenarioSpec,
  connection: ConnectionSpec,
  client: ClientResult,
  read: CaptureFrames[],
  trace: TraceBlock[],
  hasRaw: Map<string, boolean>,
): ExpectedConnection {
  // The client's first SYN: the earliest SYN from its fixed source port in the client's own namespace.
  const own = read
    .filter((r) => r.capture.at === connection.from)
    .flatMap((r) => {
      const syn = firstSyn(r.frames, connection.sport);
      return syn ? [{ r, syn }] : [];
    })
    .sort((a, b) => (a.syn.time < b.syn.time ? -1 : a.syn.time > b.syn.time ? 1 : 0));
  const origin = own[0];
  if (origin === undefined) throw new Error(`${spec.name}/${connection.id}: the client's SYN is in no capture of ${connection.from}`);
  const isn = origin.syn.tcp?.seq ?? -1;
  const ipId = origin.syn.ipId.at(-1) ?? -1;

  // The same packet everywhere: same initial sequence number and IP ID (NAT changes
  // neither), SYN without ACK, not an ICMP error quoting it. A retransmitted SYN has a new
  // IP ID, so only the first transmission is followed.
  const isTheSyn = (f: Frame): boolean =>
    f.icmp === undefined && f.tcp?.syn === true && !f.tcp.ack && f.tcp.seq === isn && f.ipId.at(-1) === ipId;
  const seen: { sighting: Sighting; time: bigint }[] = [];
  for (const { capture, frames } of read) {
    const frame = frames.find(isTheSyn);
    if (frame?.tcp === undefined) continue;
    const inner = frame.ipSrc.length - 1;
    const sighting: Sighting = {
      at: capture.at,
      interface: capture.interface,
      src: frame.ipSrc[inner] ?? '',
      dst: frame.ipDst[inner] ?? '',
      sport: frame.tcp.sport,
      dport: frame.tcp.dport,
      proto: 'tcp',
      ttl: frame.ttl.at(-1) ?? -1,
      capture: capture.file,
      frame: frame.number,
      time: frame.timeText,
    };
    if (frame.vni !== undefined && frame.ipSrc.length > 1) {
      sighting.outer = {
        src: frame.ipSrc[0] ?? '',
        dst: frame.ipDst[0] ?? '',
        sport: frame.udpSport[0] ?? -1,
        dport: frame.udpDport[0] ?? -1,
        vni: frame.vni,
      };
    }
    seen.push({ sighting, time: frame.time });
  }
  // Kernel order = capture time order: all namespaces share one clock, and the captures
  // are taken with nanosecond timestamps because consecutive hops of one packet (veth TX
  // in the pod, RX on the host side) are often less than a microsecond apart.
  seen.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const sightings = seen.map((s) => s.sighting);

  const windowNanos = BigInt((spec.clientTimeoutSeconds ?? DEFAULT_CLIENT_TIMEOUT_SECONDS) * 1e9);
  const { outcome, clientSaw } = answer(origin.r.frames, origin.syn, isn, ipId, connection.sport, windowNanos);
  const last = sightings.at(-1);
  const record: ExpectedConnection = {
    id: connection.id,
    from: connection.from,
    to: `${connection.to}/tcp`,
    ...(connection.service === undefined ? {} : { service: connection.service }),
    outcome,
    ...(outcome === 'delivered' && last !== undefined ? { endpoint: `${last.dst}:${last.dport}` } : {}),
    clientSaw,
    client: { command: client.command.join(' '), exit: client.exit, output: (client.stdout + client.stderr).trim() },
    sightings,
    netfilter: netfilterSteps(spec, trace, ipId, sightings, hasRaw),
  };
  return record;
}

/**
 * What came back to the client after its SYN, read from the client's own capture; only
 * within the client's timeout (an ICMP error arriving after curl gave up was not seen by it).
 */
function answer(
  frames: Frame[], syn: Frame, isn: number, ipId: number, sport: number, windowNanos: bigint,
): { outcome: ExpectedConnection['outcome']; clientSaw: string } {
  const expectedAck = (isn + 1) % 2 ** 32;
  for (const f of frames) {
    if (f.time < syn.time || f.time > syn.time + windowNanos) continue;
    if (f.icmp !== undefined) {
      // tshark gives no tcp.seq_raw for the header quoted in an ICMP error; the quoted
      // IP ID and source port identify the SYN as well.
      if (f.icmp.type === 3 && f.ipId.at(-1) === ipId && f.tcp?.sport === sport) {
        return { outcome: 'rejected', clientSaw: `icmp ${ICMP_UNREACHABLE[f.icmp.code] ?? `unreachable code ${f.icmp.code}`}` };
      }
      continue;
    }
    if (f.tcp === undefined || f.tcp.dport !== sport || f.tcp.ackNumber !== expectedAck) continue;
    if (f.tcp.syn && f.tcp.ack) return { outcome: 'delivered', clientSaw: 'connected' };
    if (f.tcp.rst) return { outcome: 'rejected', clientSaw: 'connection reset' };
  }
  return { outcome: 'timeout', clientSaw: 'no answer' };
}

function isLabTraceRule(entry: TraceEntry): boolean {
  return entry.table === 'raw' && entry.rule !== null && entry.rule.includes('-j TRACE') && entry.rule.includes(TRACE_MATCH[3] ?? 'SYN');
}

/**
 * The kernel's trace of the first SYN, node by node in the order the SYN reached them.
 * Left out: the lab's own TRACE rule, and raw-table policy lines on nodes whose recorded
 * iptables-save has no raw table (the table exists only because the lab added TRACE).
 */
function netfilterSteps(spec: ScenarioSpec, trace: TraceBlock[], ipId: number, sightings: Sighting[], hasRaw: Map<string, boolean>): NetfilterStep[] {
  const nodeOf = (at: string): string => spec.pods.find((p) => p.name === at)?.node ?? at;
  const order: string[] = [];
  for (const s of sightings) if (!order.includes(nodeOf(s.at))) order.push(nodeOf(s.at));
  for (const n of spec.nodes) if (!order.includes(n.name)) order.push(n.name);
  const ports = new Set(sightings.map((s) => s.sport));
  const steps: NetfilterStep[] = [];
  for (const node of order) {
    for (const block of trace) {
      const p = block.packet;
      if (block.node !== node || p.ipId !== ipId || !p.flags.includes('SYN') || p.sport === undefined || !ports.has(p.sport)) continue;
      for (const entry of block.entries) {
        if (isLabTraceRule(entry)) continue;
        if (entry.table === 'raw' && hasRaw.get(node) !== true) continue;
        steps.push({ node, ...(p.in === undefined ? {} : { in: p.in }), ...(p.out === undefined ? {} : { out: p.out }), ...entry });
      }
    }
  }
  return steps;
}

/** Services as configured, with each endpoint's rule probability read back from iptables-save. */
function servicesRecord(spec: ScenarioSpec, dir: string): object[] {
  const firstNode = spec.nodes[0]?.name ?? '';
  const save = readFileSync(join(dir, firstNode, 'iptables-save.txt'), 'utf8');
  const ruleset = spec.kubeProxyMode === 'nftables' ? readFileSync(join(dir, firstNode, 'nft-ruleset.txt'), 'utf8') : '';
  return spec.services.map((svc) => {
    const name = `${svc.namespace}/${svc.name}:${svc.portName}`;
    if (spec.kubeProxyMode === 'nftables') {
      // The service chain's `numgen random mod N vmap { … }` as nft lists it: each element gets 1/N.
      const vmap = ruleset.split('\n').find((l) => l.includes('numgen random mod') && l.includes(`-${svc.namespace}/${svc.name}/${svc.protocol}/${svc.portName}__`));
      const n = Number(/numgen random mod (\d+)/.exec(vmap ?? '')?.[1] ?? NaN);
      return {
        namespace: svc.namespace, name: svc.name, portName: svc.portName, clusterIP: svc.clusterIP, port: svc.port, protocol: svc.protocol,
        nodePorts: svc.nodePort === undefined ? [] : [svc.nodePort],
        endpoints: svc.endpoints.map((ep) => ({ ip: ep.ip, port: ep.port, probability: Number((1 / n).toFixed(6)) })),
      };
    }
    let remaining = 1;
    const endpoints = svc.endpoints.map((ep) => {
      const rule = save.split('\n').find((l) => l.startsWith('-A KUBE-SVC-') && l.includes(`"${name} -> ${ep.ip}:${ep.port}"`));
      const match = rule === undefined ? null : /--probability (\S+)/.exec(rule);
      const ruleProbability = match?.[1] === undefined ? 1 : Number(match[1]);
      // Real share = p_i × Π(1 − p_j) over the rules before it (kube-proxy writes 1/(n−i)).
      const share = ruleProbability * remaining;
      remaining *= 1 - ruleProbability;
      return { ip: ep.ip, port: ep.port, probability: Number(share.toFixed(6)), ruleProbability };
    });
    return {
      namespace: svc.namespace,
      name: svc.name,
      portName: svc.portName,
      clusterIP: svc.clusterIP,
      port: svc.port,
      protocol: svc.protocol,
      nodePorts: svc.nodePort === undefined ? [] : [svc.nodePort],
      endpoints,
    };
  });
}
