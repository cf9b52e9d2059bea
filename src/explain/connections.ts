// Merges the flows of every capture into connections. The same connection seen at
// several points is one connection, not several, and not retransmissions:
//  - TCP: the client's initial sequence number. Linux NAT (DNAT, SNAT, MASQUERADE)
//    rewrites addresses and ports but never sequence numbers, and VXLAN carries the
//    inner packet unchanged, so one ISN marks one connection at every hop.
//  - otherwise the same 5-tuple, or the same client address and port towards a
//    service's cluster IP in one capture and towards one of its endpoints in another
//    (before and after kube-proxy's DNAT).
import type { Topology } from '../topology/model.ts';
import type { GroupedFlow } from './flows.ts';
import type { CaptureFlow, Connection, Endpoint, IcmpErrorSeen, ServiceMatch } from './model.ts';
import { icmpWords } from '../trace/verdict.ts';
import { type AddressBook, serviceName, servicesFor } from './names.ts';
import { maxOf } from '../util/append.ts';

export interface ConnectionWithFlows {
  connection: Connection;
  flows: GroupedFlow[];
}

class DisjointSets {
  private readonly parent: number[];
  constructor(size: number) {
    this.parent = Array.from({ length: size }, (_, i) => i);
  }
  find(i: number): number {
    let root = i;
    while (this.parent[root] !== root) root = this.parent[root]!;
    while (this.parent[i] !== root) {
      const next = this.parent[i]!;
      this.parent[i] = root;
      i = next;
    }
    return root;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function end(ip: string, port: number | undefined): string {
  return port === undefined ? ip : `${ip}:${port}`;
}

function tupleKey(f: CaptureFlow): string {
  return `${f.proto}/${end(f.client.ip, f.client.port)}/${end(f.server.ip, f.server.port)}`;
}

/** Endpoints ('ip:port') that a server address stands for when it is a service's front (cluster IP, NodePort). */
function backendsOf(topology: Topology, f: CaptureFlow): string[] {
  return servicesFor(topology, f.server.ip, f.server.port, f.proto).flatMap(({ service }) =>
    service.endpoints.map((e) => `${e.ip}:${e.port}`),
  );
}

export function mergeConnections(flows: GroupedFlow[], topology: Topology, names: AddressBook): ConnectionWithFlows[] {
  const sets = new DisjointSets(flows.length);
  const byIsn = new Map<string, number>();
  const byTuple = new Map<string, number>();
  const byClient = new Map<string, number[]>();
  flows.forEach((entry, i) => {
    const f = entry.flow;
    const isn = f.tcp?.isn;
    if (isn !== undefined) {
      const key = `${isn}`;
      const other = byIsn.get(key);
      if (other !== undefined) sets.union(other, i);
      else byIsn.set(key, i);
    }
    const tk = tupleKey(f);
    const same = byTuple.get(tk);
    // Two flows on the same ports with different ISNs are two connections (port reuse).
    if (same !== undefined && !(isn !== undefined && flows[same]!.flow.tcp?.isn !== undefined && flows[same]!.flow.tcp?.isn !== isn)) {
      sets.union(same, i);
    } else if (same === undefined) byTuple.set(tk, i);
    const ck = `${f.proto}/${end(f.client.ip, f.client.port)}`;
    const members = byClient.get(ck);
    if (members) members.push(i);
    else byClient.set(ck, [i]);
  });
  // Before and after DNAT: the client's address and port stay, the server becomes an endpoint.
  for (const members of byClient.values()) {
    for (const i of members) {
      const backends = backendsOf(topology, flows[i]!.flow);
      if (backends.length === 0) continue;
      for (const j of members) {
        const g = flows[j]!.flow;
        const isnI = flows[i]!.flow.tcp?.isn;
        const isnJ = g.tcp?.isn;
        if (isnI !== undefined && isnJ !== undefined && isnI !== isnJ) continue;
        if (backends.includes(end(g.server.ip, g.server.port))) sets.union(i, j);
      }
    }
  }
  const groups = new Map<number, GroupedFlow[]>();
  flows.forEach((entry, i) => {
    const root = sets.find(i);
    const group = groups.get(root);
    if (group) group.push(entry);
    else groups.set(root, [entry]);
  });
  const merged = [...groups.values()].map((members) =>
    members.sort((a, b) => a.flow.firstTime - b.flow.firstTime || a.flow.capture - b.flow.capture),
  );
  merged.sort((a, b) => a[0]!.flow.firstTime - b[0]!.flow.firstTime || a[0]!.flow.firstFrame - b[0]!.flow.firstFrame);
  return merged.map((members, index) => buildConnection(`c${index + 1}`, members, topology, names));
}

function endpoint(names: AddressBook, ip: string, port: number | undefined): Endpoint {
  return port === undefined ? { ip, name: names.short(ip) } : { ip, port, name: names.short(ip) };
}

function buildConnection(id: string, members: GroupedFlow[], topology: Topology, names: AddressBook): ConnectionWithFlows {
  const views = members.map((m) => m.flow);
  // The client's own view comes first in time; the service front (VIP) is what it asked for.
  const front = views.find((v) => servicesFor(topology, v.server.ip, v.server.port, v.proto).length > 0);
  const first = views[0]!;
  const asked = front ?? first;
  const client = endpoint(names, first.client.ip, first.client.port);
  const server = endpoint(names, asked.server.ip, asked.server.port);
  let service: ServiceMatch | undefined;
  if (front) {
    const matches = servicesFor(topology, front.server.ip, front.server.port, front.proto);
    const endpoints = new Set(matches.flatMap(({ service: s }) => s.endpoints.map((e) => `${e.ip}:${e.port}`)));
    const after = views.find((v) => endpoints.has(end(v.server.ip, v.server.port)));
    const chosen =
      matches.find(({ service: s }) => after && s.endpoints.some((e) => e.ip === after.server.ip && e.port === after.server.port)) ?? matches[0]!;
    service = {
      name: serviceName(chosen.service),
      port: chosen.service.port,
      via: chosen.via,
      ...(chosen.service.clusterIP !== undefined ? { clusterIP: chosen.service.clusterIP } : {}),
    };
    if (after) service.endpoint = endpoint(names, after.server.ip, after.server.port);
  } else {
    service = serviceFromHost(views, topology, names);
  }
  // The richest TCP and HTTP view: the earliest capture that saw the handshake answered, else the earliest.
  const tcpView = views.find((v) => v.tcp?.synAck) ?? views.find((v) => v.tcp?.syns) ?? first;
  const httpView = views.reduce((best, v) => (v.http.length > best.http.length ? v : best), first);
  const connection: Connection = {
    id,
    proto: first.proto,
    client,
    server,
    http: httpView.http,
    packets: maxOf(views.map((v) => v.packets), 0),
    summary: '',
    views,
  };
  if (service) connection.service = service;
  if (tcpView.tcp) connection.tcp = tcpView.tcp;
  const echoView = views.reduce<CaptureFlow | undefined>((best, v) => (v.echo && (!best?.echo || v.echo.requests + v.echo.replies > best.echo.requests + best.echo.replies) ? v : best), undefined);
  if (echoView?.echo) connection.echo = echoView.echo;
  connection.summary = summarizeConnection(connection);
  return { connection, flows: members };
}

/**
 * Only the endpoint was captured (after DNAT), but the client's HTTP Host names a cluster IP
 * whose service has this endpoint: the connection went through that service.
 */
function serviceFromHost(views: CaptureFlow[], topology: Topology, names: AddressBook): ServiceMatch | undefined {
  for (const view of views) {
    for (const exchange of view.http) {
      const match = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(exchange.host ?? '');
      if (!match) continue;
      const port = match[2] === undefined ? 80 : Number(match[2]);
      const found = servicesFor(topology, match[1]!, port, view.proto).find(({ service }) =>
        service.endpoints.some((e) => e.ip === view.server.ip && e.port === view.server.port),
      );
      if (!found) continue;
      const result: ServiceMatch = {
        name: serviceName(found.service),
        port: found.service.port,
        via: found.via,
        endpoint: endpoint(names, view.server.ip, view.server.port),
        evidence: 'http-host',
      };
      if (found.service.clusterIP !== undefined) result.clusterIP = found.service.clusterIP;
      return result;
    }
  }
  return undefined;
}

function describeEnd(e: Endpoint): string {
  const port = e.port === undefined ? '' : `:${e.port}`;
  return e.name === e.ip ? `${e.ip}${port}` : `${e.name} (${e.ip}${port})`;
}

const STATE_TEXT: Record<string, string> = {
  'syn-unanswered': 'no TCP answer to the SYN',
  refused: 'refused (SYN answered by RST)',
  'handshake-incomplete': 'SYN-ACK sent, handshake never completed',
  established: 'handshake complete, still open at the end of the capture',
  closed: 'handshake complete, closed by FIN both ways',
  'half-closed': 'handshake complete, closed one way only',
  reset: 'reset',
  'mid-stream': 'capture started after the handshake',
};

/** An ICMP error as captured, in the tracer's words when its code is one of theirs. */
export function seenWords(seen: IcmpErrorSeen): string {
  return seen.kind ? icmpWords({ kind: seen.kind, ...(seen.mtu !== undefined ? { mtu: seen.mtu } : {}) }) : `icmp type ${seen.type} code ${seen.code}`;
}

/**
 * One sentence in cluster terms. Written again once the ICMP errors quoting the connection are
 * attached to its views: a datagram or SYN answered only by an error (fragmentation needed, a
 * REJECT's port unreachable) was refused, not met with silence.
 */
export function summarizeConnection(c: Connection): string {
  // As the client was told: the capture that saw the connection first is the one nearest the client.
  let told: CaptureFlow | undefined;
  for (const v of c.views) if (v.icmpErrors.length > 0 && (told === undefined || v.firstTime < told.firstTime)) told = v;
  const refusal = told?.icmpErrors[0];
  const refused = refusal ? `${seenWords(refusal)} from ${refusal.src}` : undefined;
  const parts: string[] = [`${c.proto.toUpperCase()} ${describeEnd(c.client)} → ${describeEnd(c.server)}`];
  if (c.service) {
    const ep = c.service.endpoint ? `, DNAT to ${describeEnd(c.service.endpoint)}` : '';
    const host = c.service.evidence === 'http-host' ? `, recognised from the HTTP Host ${c.service.clusterIP ?? ''}: the capture shows it only after DNAT` : '';
    const via = c.service.via === 'node-port' ? 'NodePort of ' : '';
    parts.push(`(${via}service ${c.service.name}${ep}${host})`);
  }
  const tail: string[] = [];
  if (c.tcp) {
    let state = c.tcp.state === 'syn-unanswered' && refused ? `SYN answered only by ${refused}` : (STATE_TEXT[c.tcp.state] ?? c.tcp.state);
    if (c.tcp.resetBy) state += ` by the ${c.tcp.resetBy}`;
    if (c.tcp.synRetransmissions > 0) state += `, SYN sent ${c.tcp.synRetransmissions + 1} times`;
    tail.push(state);
  }
  if (c.proto === 'udp') {
    // UDP has no handshake: say whether the server side ever sent anything back.
    const view = c.views[0]!;
    const answered = c.views.some((v) => v.serverSent > 0);
    tail.push(answered ? 'answered' : refused ? `rejected: ${refused}` : `no reply from ${view.server.ip}:${view.server.port ?? ''}`);
  }
  if (c.echo) {
    const { requests, replies } = c.echo;
    tail.push(`echo: ${requests} request${requests === 1 ? '' : 's'}, ${replies === 0 ? 'no reply' : `${replies} repl${replies === 1 ? 'y' : 'ies'}`}`);
  }
  if (c.http.length > 0) {
    tail.push(c.http.map((h) => `${h.request} → ${h.response ?? 'no response'}`).join('; '));
  }
  tail.push(`${c.packets} packet${c.packets === 1 ? '' : 's'}`);
  if (c.views.length > 1) tail.push(`seen in ${c.views.length} captures`);
  return `${parts.join(' ')}: ${tail.join(', ')}`;
}
