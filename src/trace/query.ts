// Turns `--from`, `--to`, `--via`, `--sport` into a start place and a first
// packet. Pods, services and nodes are named as kubectl names them (names.ts:
// `default/web:http`, `svc/web`, `web.default.svc.cluster.local:80`, `pod/pod2:80`,
// `-n NAMESPACE`); anything else is `IP:port[/proto]`.
import type { NetNamespace, Service, Topology } from '../topology/model.ts';
import { lookupRoute } from './routing.ts';
import type { Packet, Protocol } from './model.ts';
import { UsageError } from '../errors.ts';
import { isIpv4 } from '../util/address.ts';
import type { Cluster } from './cluster.ts';
import type { Start } from './hop.ts';
import { didYouMean, parseObjectRef, podRefName, podsNamed, serviceRefName, servicesNamed, type ObjectRef } from './names.ts';

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
  /** `-n`: the namespace of pod and service names that do not say one. */
  namespace?: string;
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

export function resolveDestination(topology: Topology, to: string, namespace?: string): Destination {
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
  const ref = parseObjectRef(text, namespace);
  const pod = ref.kind === 'service' ? undefined : podDestination(topology, ref, proto, to);
  if (pod) return pod;
  const service = findService(topology, ref, proto, to);
  if (!service.clusterIP || service.clusterIP === 'None') throw new UsageError(`--to ${to}: service ${serviceName(service)} has no cluster IP in the dumps; give IP:port`);
  return { dst: service.clusterIP, dport: service.port, proto: service.protocol === 'sctp' ? 'sctp' : service.protocol, service, label: to };
}

export function serviceName(s: Service): string {
  return `${s.namespace}/${s.name}${s.portName ? `:${s.portName}` : ''}`;
}

/** A pod as the destination (`pod2:80`, `pod/pod2:80`): its address and the port given. */
function podDestination(topology: Topology, ref: ObjectRef, proto: Protocol | undefined, original: string): Destination | undefined {
  const pods = podsNamed(topology, ref);
  // A service of the same name wins unless the text says pod/.
  if (pods.length === 0 || (ref.kind !== 'pod' && servicesNamed(topology, ref).length > 0)) return undefined;
  if (pods.length > 1) throw new UsageError(`--to ${original}: ambiguous, it could be ${pods.map(podRefName).join(' or ')} (give namespace/name or -n)`);
  const pod = pods[0]!;
  const port = ref.port === undefined ? undefined : Number(ref.port);
  if (ref.port !== undefined && (!/^\d+$/.test(ref.port) || port! < 1 || port! > 65535)) throw new UsageError(`--to ${original}: a pod's port is a number from 1 to 65535`);
  const dest: Destination = { dst: pod.ip, proto: proto ?? 'tcp', label: `${podRefName(pod)} (${pod.ip})` };
  if (port !== undefined) dest.dport = port;
  else if (dest.proto !== 'icmp') throw new UsageError(`--to ${original}: give the port on the pod (${podRefName(pod)}:PORT)`);
  return dest;
}

function findService(topology: Topology, ref: ObjectRef, proto: Protocol | undefined, original: string): Service {
  const named = servicesNamed(topology, ref);
  const candidates = named.filter((s) => (ref.port === undefined || s.portName === ref.port || String(s.port) === ref.port) && (!proto || s.protocol === proto));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    if (named.length > 0) {
      throw new UsageError(`--to ${original}: ${serviceRefName(named[0]!)} has no port ${ref.port ?? ''}${proto ? `/${proto}` : ''} (its ports: ${named.map((s) => `${s.portName ?? s.port} ${s.port}/${s.protocol}`).join(', ')})`);
    }
    const typed = ref.namespace !== undefined ? `${ref.namespace}/${ref.name}` : ref.name;
    const known = [...new Set([...topology.services.map(serviceRefName), ...topology.pods.filter((p) => !p.unnamed).map(podRefName)])];
    const suggestion = didYouMean(typed, ref.namespace !== undefined ? known : known.map((k) => k.split('/').pop()!));
    const listed = topology.services.slice(0, 8).map(serviceName).join(', ');
    throw new UsageError(
      `--to ${original}: no such service or pod in the dumps${suggestion}${suggestion ? '' : ` (expected IP:port, namespace/name[:port], svc/NAME, NAME.NAMESPACE.svc or a pod with its port${listed ? `; services: ${listed}` : ''})`}`,
    );
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
  const ref = isIpv4(from) ? { name: from } : parseObjectRef(from, request.namespace);
  const pods = ref.kind === 'node' ? [] : isIpv4(from) ? topology.pods.filter((p) => p.ip === from).slice(0, 1) : podsNamed(topology, ref);
  if (pods.length > 1) throw new UsageError(`--from ${from}: ambiguous, it could be ${pods.map(podRefName).join(' or ')} (give namespace/name or -n)`);
  const pod = pods[0];
  if (pod) return { start: { kind: 'local', ns: cluster.podNamespace(pod) }, src: pod.ip, label: `${pod.name} (${pod.ip})` };
  const node = cluster.node(ref.name) ?? topology.nodes.find((n) => n.addresses.includes(from));
  if (node) return { start: { kind: 'local', ns: node.netns }, src: isIpv4(from) ? from : '', label: `${node.name} (host network)` };
  if (isIpv4(from)) throw new UsageError(`--from ${from}: not a pod or node address in the dumps; for a client outside the cluster add --via NODE`);
  const known = [...topology.pods.filter((p) => !p.unnamed).map((p) => (ref.namespace !== undefined ? podRefName(p) : p.name)), ...topology.nodes.map((n) => n.name)];
  const suggestion = didYouMean(ref.namespace !== undefined ? `${ref.namespace}/${ref.name}` : ref.name, known);
  const names = known.slice(0, 12).join(', ');
  throw new UsageError(`--from ${from}: no pod or node of that name in the dumps${suggestion || (names ? ` (known: ${names})` : '')}`);
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
