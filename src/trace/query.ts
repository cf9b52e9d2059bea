// Turns `--from`, `--to`, `--via`, `--sport` into a start place and a first
// packet. A service is named `namespace/name[:port]` (port name or number) or
// by its bare name when that is unique; anything else is `IP:port[/proto]`.
import type { NetNamespace, Service, Topology } from '../topology/model.ts';
import { lookupRoute } from './routing.ts';
import type { Packet, Protocol } from './model.ts';
import { UsageError } from '../errors.ts';
import { isIpv4 } from './ipv4.ts';
import type { Cluster } from './cluster.ts';
import type { Start } from './hop.ts';

export interface TraceRequest {
  from: string;
  to: string;
  via?: string;
  sport?: number;
  endpoint?: string;
  /** IP total length of the first packet in bytes (header included); UDP and ICMP only. */
  size?: number;
  /** DF on the first packet; with a size the default is set (Linux does PMTU discovery). */
  df?: boolean;
}

/** The smallest IPv4 datagram with a UDP header, and the largest IP total length. */
const MIN_SIZE = 28;
const MAX_SIZE = 65535;

export interface Destination {
  dst: string;
  dport?: number;
  proto: Protocol;
  service?: Service;
  label: string;
}

export function resolveDestination(topology: Topology, to: string): Destination {
  let text = to.trim();
  let proto: Protocol | undefined;
  const slash = /\/(tcp|udp|sctp|icmp)$/i.exec(text);
  if (slash) {
    proto = slash[1]!.toLowerCase() as Protocol;
    text = text.slice(0, slash.index);
  }
  const ipPort = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(text);
  if (ipPort) {
    const port = ipPort[2] === undefined ? undefined : Number(ipPort[2]);
    if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`--to ${to}: port ${port} is not between 1 and 65535`);
    if (!isIpv4(ipPort[1]!)) throw new UsageError(`--to ${to}: ${ipPort[1]} is not an IPv4 address`);
    const service = topology.services.find((s) => s.clusterIP === ipPort[1] && (port === undefined || s.port === port) && (!proto || s.protocol === proto));
    const dest: Destination = { dst: ipPort[1]!, proto: proto ?? service?.protocol ?? 'tcp', label: to };
    if (port !== undefined) dest.dport = port;
    else if (service) dest.dport = service.port;
    if (service) dest.service = service;
    if (dest.dport === undefined && dest.proto !== 'icmp') throw new UsageError(`--to ${to}: give a port (IP:port)`);
    return dest;
  }
  if (text.includes(':') && /^[0-9a-f:]+$/i.test(text.split(']')[0]!.replace('[', ''))) {
    throw new UsageError(`--to ${to}: podpath traces IPv4 only`);
  }
  const service = findService(topology, text, proto, to);
  if (!service.clusterIP || service.clusterIP === 'None') throw new UsageError(`--to ${to}: service ${serviceName(service)} has no cluster IP in the dumps; give IP:port`);
  return { dst: service.clusterIP, dport: service.port, proto: service.protocol === 'sctp' ? 'sctp' : service.protocol, service, label: to };
}

export function serviceName(s: Service): string {
  return `${s.namespace}/${s.name}${s.portName ? `:${s.portName}` : ''}`;
}

function findService(topology: Topology, text: string, proto: Protocol | undefined, original: string): Service {
  const [qualified = '', port] = text.split(':');
  const [namespace, name] = qualified.includes('/') ? qualified.split('/') : [undefined, qualified];
  const candidates = topology.services.filter(
    (s) =>
      s.name === name &&
      (namespace === undefined || s.namespace === namespace) &&
      (port === undefined || s.portName === port || String(s.port) === port) &&
      (!proto || s.protocol === proto),
  );
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    const known = topology.services.slice(0, 8).map(serviceName).join(', ');
    throw new UsageError(`--to ${original}: no such service in the dumps (expected IP:port or namespace/name[:port]${known ? `; services: ${known}` : ''})`);
  }
  throw new UsageError(`--to ${original}: ambiguous, it could be ${candidates.map(serviceName).join(' or ')}`);
}

export function resolveStart(cluster: Cluster, request: TraceRequest): { start: Start; src: string; label: string } {
  const { topology } = cluster;
  const from = request.from.trim();
  if (request.via !== undefined) {
    const node = cluster.node(request.via);
    if (!node) throw new UsageError(`--via ${request.via}: no such node in the dumps (nodes: ${topology.nodes.map((n) => n.name).join(', ')})`);
    if (!isIpv4(from)) throw new UsageError(`--from ${from}: with --via, --from is the outside client's IPv4 address`);
    const iface = arrivalInterface(node.netns, from);
    return { start: { kind: 'arrive', ns: node.netns, iface }, src: from, label: `${from} (outside, arriving on ${node.name} ${iface})` };
  }
  const pod = cluster.pod(from) ?? topology.pods.find((p) => p.ip === from);
  if (pod) return { start: { kind: 'local', ns: cluster.podNamespace(pod) }, src: pod.ip, label: `${pod.name} (${pod.ip})` };
  const node = cluster.node(from) ?? topology.nodes.find((n) => n.addresses.includes(from));
  if (node) return { start: { kind: 'local', ns: node.netns }, src: isIpv4(from) ? from : '', label: `${node.name} (host network)` };
  if (isIpv4(from)) throw new UsageError(`--from ${from}: not a pod or node address in the dumps; for a client outside the cluster add --via NODE`);
  const names = [...topology.pods.map((p) => p.name), ...topology.nodes.map((n) => n.name)].slice(0, 12).join(', ');
  throw new UsageError(`--from ${from}: no pod or node of that name in the dumps${names ? ` (known: ${names})` : ''}`);
}

/** The interface an outside client's packet arrives on: the one the node would answer it by. */
function arrivalInterface(ns: NetNamespace, client: string): string {
  const back = lookupRoute({ ns, dst: client, mark: 0 });
  if (back.outIface && back.result === 'forward') return back.outIface;
  return ns.interfaces.find((i) => i.name !== 'lo' && (i.kind === undefined || i.kind === 'ether') && i.addresses.length > 0)?.name ?? 'eth0';
}

export function firstPacket(src: string, dest: Destination, sport: number | undefined, size?: number, df?: boolean): Packet {
  if (size !== undefined) {
    if (dest.proto === 'tcp' || dest.proto === 'sctp') {
      throw new UsageError(`--size ${size}: the first packet of a ${dest.proto} connection is its handshake (a 60-byte SYN), whose size is not chosen; give /udp (or /icmp) to trace a datagram of a given size`);
    }
    if (!Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) throw new UsageError(`--size ${size}: expected the IP total length in bytes, between ${MIN_SIZE} and ${MAX_SIZE}`);
  }
  if (df !== undefined && size === undefined) throw new UsageError(`--${df ? '' : 'no-'}df: give the packet's size with --size BYTES`);
  return {
    src,
    dst: dest.dst,
    ...(sport !== undefined ? { sport } : {}),
    ...(dest.dport !== undefined ? { dport: dest.dport } : {}),
    proto: dest.proto,
    ...(size !== undefined ? { length: size, df: df ?? true } : {}),
  };
}
