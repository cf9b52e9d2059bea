// Builds expected.json (schema: docs/samples-format.md) from what the tools recorded:
// sightings, outer headers, outcome and endpoint from the captures (tshark), the chains
// from xtables-monitor's trace, rule probabilities from the recorded iptables-save, and the
// lab's own configuration for what it set up (nodes, pods, VTEPs, services).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptureFile, ClientResult } from './record.ts';
import { VXLAN, type ConnectionSpec, type ScenarioSpec } from './spec.ts';
import { readFrames, type Frame } from './tshark.ts';
import { parseNetfilterTrace } from './xtables-trace.ts';
import type { TraceBlock, TraceEntry } from './trace-blocks.ts';
import { iptablesLineFor, parseNftTrace } from './nft-trace.ts';
import { DEFAULT_CLIENT_TIMEOUT_SECONDS, TRACE_MATCH, UDP_PROBE_PORT } from './record.ts';

export interface Sighting {
  at: string;
  interface: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: 'tcp' | 'udp';
  ttl: number;
  /** IP total length of the (inner) packet on this interface: of the first fragment when fragmented. */
  length: number;
  df: boolean;
  /** How many fragments of the packet this capture holds (only when it was fragmented). */
  fragments?: number;
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
  proto: 'tcp' | 'udp';
  /** UDP probes: the datagram's IP total length and DF as sent. */
  size?: number;
  df?: boolean;
  /** 'not-sent': the client's own kernel refused to send (nothing on the wire). */
  outcome: 'delivered' | 'rejected' | 'timeout' | 'not-sent';
  endpoint?: string;
  clientSaw: string;
  /** UDP probes: the errno the client's socket reported (udp-probe.py's output), if any. */
  clientError?: string;
  /** The ICMP error the client received, and everywhere it was seen on its way back. */
  answer?: IcmpAnswer;
  client: { command: string; exit: number; output: string };
  sightings: Sighting[];
  /**
   * ARP requests a node sent while the first packet was on its way (between its first and last
   * sighting): the node had no usable neighbour entry for that address when the packet came, so an
   * entry the later `ip neigh` dump shows as REACHABLE was learned from this very packet.
   */
  resolved?: Resolution[];
  netfilter: NetfilterStep[];
}

export interface Resolution {
  at: string;
  interface: string;
  ip: string;
}

export interface IcmpAnswer {
  src: string;
  dst: string;
  type: number;
  code: number;
  /** Next-hop MTU of a fragmentation-needed error. */
  mtu?: number;
  /** The quoted header's destination as the client received it (conntrack reverses a DNAT in it). */
  quotedDst: string;
  sightings: { at: string; interface: string; src: string; dst: string; quotedDst: string; capture: string; frame: number; time: string }[];
}

export interface CaptureFrames {
  capture: CaptureFile;
  frames: Frame[];
}

const ICMP_UNREACHABLE: Record<number, string> = {
  0: 'net unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable',
  4: 'fragmentation needed', 9: 'net prohibited', 10: 'host prohibited', 13: 'admin prohibited',
};

function icmpText(icmp: { type: number; code: number; mtu?: number }): string {
  const text = `icmp ${ICMP_UNREACHABLE[icmp.code] ?? `unreachable code ${icmp.code}`}`;
  return icmp.code === 4 && icmp.mtu !== undefined ? `${text} (mtu ${icmp.mtu})` : text;
}

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

/** The client's first packet: a SYN without ACK (TCP) or a datagram's first fragment (UDP), from its fixed source port. */
function isFirstPacketOf(connection: ConnectionSpec): (f: Frame) => boolean {
  if (connection.proto === 'udp') return (f) => f.icmp === undefined && f.udp?.sport === connection.sport && f.fragment !== 'later';
  return (f) => f.icmp === undefined && f.tcp?.syn === true && !f.tcp.ack && f.tcp.sport === connection.sport;
}

const byTime = <T extends { time: bigint }>(a: T, b: T): number => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0);

function connectionRecord(
  spec: ScenarioSpec,
  connection: ConnectionSpec,
  client: ClientResult,
  read: CaptureFrames[],
  trace: TraceBlock[],
  hasRaw: Map<string, boolean>,
): ExpectedConnection {
  const proto = connection.proto ?? 'tcp';
  const isFirst = isFirstPacketOf(connection);
  // The client's first packet: the earliest one from its fixed source port in the client's own namespace.
  const own = read
    .filter((r) => r.capture.at === connection.from)
    .flatMap((r) => {
      const first = r.frames.find(isFirst);
      return first ? [{ r, first, time: first.time }] : [];
    })
    .sort(byTime);
  const origin = own[0];
  const output = (client.stdout + client.stderr).trim();
  const clientError = proto === 'udp' ? /^(?:send|recv): (E[A-Z]+) \(([^)]*)\)/m.exec(output) ?? undefined : undefined;
  const base = {
    id: connection.id,
    from: connection.from,
    to: `${connection.to}/${proto}`,
    ...(connection.service === undefined ? {} : { service: connection.service }),
    proto,
    ...(proto === 'udp' ? { size: connection.size ?? 100, df: connection.df !== false } : {}),
  };
  if (origin === undefined) {
    // Nothing on the wire: the client's own kernel refused the packet (udp-probe.py prints the errno).
    if (clientError?.[1] === undefined) {
      throw new Error(`${spec.name}/${connection.id}: the client's first packet is in no capture of ${connection.from}, and the client reports no socket error (${output})`);
    }
    return {
      ...base,
      outcome: 'not-sent',
      clientSaw: `${(clientError[2] ?? '').toLowerCase()} (${clientError[1]})`,
      clientError: clientError[1],
      client: { command: client.command.join(' '), exit: client.exit, output },
      sightings: [],
      netfilter: [],
    };
  }
  const isn = origin.first.tcp?.seq ?? -1;
  const ipId = origin.first.ipId.at(-1) ?? -1;

  // The same packet everywhere: same IP ID (NAT changes neither it nor a TCP initial sequence
  // number), not an ICMP error quoting it; for TCP a SYN without ACK with the same ISN. A
  // retransmission has a new IP ID, so only the first transmission is followed. Fragments
  // share the IP ID: the one carrying the UDP header is the sighting, the others are counted.
  const isThePacket = (f: Frame): boolean =>
    proto === 'udp'
      ? f.icmp === undefined && f.ipId.at(-1) === ipId && f.udp !== undefined && f.fragment !== 'later'
      : f.icmp === undefined && f.tcp?.syn === true && !f.tcp.ack && f.tcp.seq === isn && f.ipId.at(-1) === ipId;
  const seen: { sighting: Sighting; time: bigint }[] = [];
  for (const { capture, frames } of read) {
    const frame = frames.find(isThePacket);
    const ports = proto === 'udp' ? frame?.udp : frame?.tcp;
    if (frame === undefined || ports === undefined) continue;
    const inner = frame.ipSrc.length - 1;
    const sighting: Sighting = {
      at: capture.at,
      interface: capture.interface,
      src: frame.ipSrc[inner] ?? '',
      dst: frame.ipDst[inner] ?? '',
      sport: ports.sport,
      dport: ports.dport,
      proto,
      ttl: frame.ttl.at(-1) ?? -1,
      length: frame.ipLength.at(-1) ?? -1,
      df: frame.df,
      capture: capture.file,
      frame: frame.number,
      time: frame.timeText,
    };
    if (frame.fragment !== undefined) {
      sighting.fragments = frames.filter((f) => f.icmp === undefined && f.ipId.at(-1) === ipId && f.fragment !== undefined && f.ipSrc.at(-1) === sighting.src).length;
    }
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
  // Equal timestamps happen: a received skb keeps the one stamp it got on the bridge port, and
  // the bridge device's taps see that same skb (br_pass_frame_up re-enters netif_receive_skb).
  // The port's taps ran first (br_handle_frame is the port's rx_handler), so a bridge goes after.
  const bridges = new Set(['cni0', 'docker0']);
  seen.sort((a, b) => byTime(a, b) || (a.sighting.at === b.sighting.at ? Number(bridges.has(a.sighting.interface)) - Number(bridges.has(b.sighting.interface)) : 0));
  const sightings = seen.map((s) => s.sighting);

  const windowNanos = BigInt((spec.clientTimeoutSeconds ?? DEFAULT_CLIENT_TIMEOUT_SECONDS) * 1e9);
  const { outcome, clientSaw, icmp } = answer(origin.r.frames, origin.first, proto, isn, ipId, connection.sport, windowNanos);
  const last = sightings.at(-1);
  const record: ExpectedConnection = {
    ...base,
    outcome,
    ...(outcome === 'delivered' && last !== undefined ? { endpoint: `${last.dst}:${last.dport}` } : {}),
    clientSaw,
    ...(clientError?.[1] === undefined ? {} : { clientError: clientError[1] }),
    ...(icmp === undefined ? {} : { answer: icmpAnswer(icmp, ipId, read) }),
    client: { command: client.command.join(' '), exit: client.exit, output },
    sightings,
    ...resolutionsDuring(spec, read, seen[0]?.time, seen.at(-1)?.time),
    netfilter: netfilterSteps(spec, trace, ipId, proto, sightings, hasRaw),
  };
  return record;
}

/** The lab's pod CIDRs are /24 or /26 blocks; the first three octets tell whose a gateway address is. */
function inPrefix24(cidr: string, ip: string): boolean {
  return cidr.split('.').slice(0, 3).join('.') === ip.split('.').slice(0, 3).join('.') && cidr.split('/')[1] === '24';
}

/** ARP requests sent by nodes (not pods) between two times, one per (node, interface, address). */
export function resolutionsDuring(spec: ScenarioSpec, read: CaptureFrames[], from: bigint | undefined, to: bigint | undefined): { resolved?: Resolution[] } {
  if (from === undefined || to === undefined) return {};
  const resolved: Resolution[] = [];
  for (const { capture, frames } of read) {
    if (!spec.nodes.some((n) => n.name === capture.at)) continue;
    // A capture also holds the requests other machines send to it: only this node's own count.
    const foreign = (sender: string): boolean =>
      spec.pods.some((p) => p.ip === sender) || spec.nodes.some((n) => n.name !== capture.at && (n.underlay === sender || inPrefix24(n.podCIDR, sender)));
    for (const f of frames) {
      if (f.arpRequest === undefined || f.time < from || f.time > to || foreign(f.arpRequest.sender)) continue;
      if (!resolved.some((r) => r.at === capture.at && r.interface === capture.interface && r.ip === f.arpRequest!.target)) {
        resolved.push({ at: capture.at, interface: capture.interface, ip: f.arpRequest.target });
      }
    }
  }
  return resolved.length > 0 ? { resolved } : {};
}

/** The ICMP error's own IP header is the one before the quoted header (after VXLAN's outer one, if any). */
const icmpHeader = (f: Frame) => ({ src: f.ipSrc.at(-2) ?? '', dst: f.ipDst.at(-2) ?? '', id: f.ipId.at(-2) ?? -1, quotedDst: f.ipDst.at(-1) ?? '' });

/** The ICMP error the client got, followed back through every capture by its IP ID and the quoted packet's. */
function icmpAnswer(received: Frame, ipId: number, read: CaptureFrames[]): IcmpAnswer {
  const icmp = received.icmp!;
  const own = icmpHeader(received);
  const seen: { sighting: IcmpAnswer['sightings'][number]; time: bigint }[] = [];
  for (const { capture, frames } of read) {
    const frame = frames.find((f) => f.icmp?.type === icmp.type && f.icmp.code === icmp.code && f.ipId.at(-1) === ipId && icmpHeader(f).id === own.id);
    if (frame === undefined) continue;
    const h = icmpHeader(frame);
    seen.push({ sighting: { at: capture.at, interface: capture.interface, src: h.src, dst: h.dst, quotedDst: h.quotedDst, capture: capture.file, frame: frame.number, time: frame.timeText }, time: frame.time });
  }
  seen.sort(byTime);
  return {
    src: own.src, dst: own.dst, type: icmp.type, code: icmp.code,
    ...(icmp.mtu === undefined ? {} : { mtu: icmp.mtu }),
    quotedDst: own.quotedDst,
    sightings: seen.map((s) => s.sighting),
  };
}

/**
 * What came back to the client after its first packet, read from the client's own capture; only
 * within the client's timeout (an ICMP error arriving after the client gave up was not seen by it).
 */
function answer(
  frames: Frame[], first: Frame, proto: 'tcp' | 'udp', isn: number, ipId: number, sport: number, windowNanos: bigint,
): { outcome: ExpectedConnection['outcome']; clientSaw: string; icmp?: Frame } {
  const expectedAck = (isn + 1) % 2 ** 32;
  for (const f of frames) {
    if (f.time < first.time || f.time > first.time + windowNanos) continue;
    if (f.icmp !== undefined) {
      // tshark gives no tcp.seq_raw for the header quoted in an ICMP error; the quoted
      // IP ID and source port identify the packet as well.
      const quotedSport = proto === 'udp' ? f.udp?.sport : f.tcp?.sport;
      if (f.icmp.type === 3 && f.ipId.at(-1) === ipId && quotedSport === sport) {
        return { outcome: 'rejected', clientSaw: icmpText(f.icmp), icmp: f };
      }
      continue;
    }
    if (proto === 'udp') {
      // udp-echo.py sends the datagram back: the server's answer is the evidence it arrived.
      if (f.udp?.dport === sport && f.fragment !== 'later' && f.ipSrc.at(-1) !== first.ipSrc.at(-1)) return { outcome: 'delivered', clientSaw: 'answered' };
      continue;
    }
    if (f.tcp === undefined || f.tcp.dport !== sport || f.tcp.ackNumber !== expectedAck) continue;
    if (f.tcp.syn && f.tcp.ack) return { outcome: 'delivered', clientSaw: 'connected' };
    if (f.tcp.rst) return { outcome: 'rejected', clientSaw: 'connection reset' };
  }
  return { outcome: 'timeout', clientSaw: 'no answer' };
}

function isLabTraceRule(entry: TraceEntry): boolean {
  if (entry.table !== 'raw' || entry.rule === null || !entry.rule.includes('-j TRACE')) return false;
  return entry.rule.includes(TRACE_MATCH[3] ?? 'SYN') || entry.rule.includes(`--dport ${UDP_PROBE_PORT} -j TRACE`);
}

/**
 * The kernel's trace of the first SYN, node by node in the order the SYN reached them.
 * Left out: the lab's own TRACE rule, and raw-table policy lines on nodes whose recorded
 * iptables-save has no raw table (the table exists only because the lab added TRACE).
 */
function netfilterSteps(spec: ScenarioSpec, trace: TraceBlock[], ipId: number, proto: 'tcp' | 'udp', sightings: Sighting[], hasRaw: Map<string, boolean>): NetfilterStep[] {
  const nodeOf = (at: string): string => spec.pods.find((p) => p.name === at)?.node ?? at;
  const order: string[] = [];
  for (const s of sightings) if (!order.includes(nodeOf(s.at))) order.push(nodeOf(s.at));
  for (const n of spec.nodes) if (!order.includes(n.name)) order.push(n.name);
  const ports = new Set(sightings.map((s) => s.sport));
  const steps: NetfilterStep[] = [];
  for (const node of order) {
    for (const block of trace) {
      const p = block.packet;
      // xtables-monitor prints TCP flags but no protocol word: a UDP datagram is a packet without them.
      const firstPacket = proto === 'udp' ? !p.flags.some((f) => f !== 'DF') && p.proto !== 'ICMP' : p.flags.includes('SYN');
      if (block.node !== node || p.ipId !== ipId || !firstPacket || p.sport === undefined || !ports.has(p.sport)) continue;
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
