// kube-proxy's IPVS mode: service addresses sit on the dummy kube-ipvs0 (so the
// routing table delivers them locally) and the kernel's IPVS table, not
// iptables, picks the endpoint. ip_vs_in runs at the LOCAL_IN hook at priority
// NF_IP_PRI_NAT_SRC - 2 (98): after iptables' mangle and filter INPUT, before nat
// INPUT, which never sees the packet (IPVS steals it). With Masq forwarding,
// ip_vs_nat_xmit rewrites the destination, updates the conntrack entry
// (net.ipv4.vs.conntrack=1, which kube-proxy sets) and sends the packet through
// LOCAL_OUT and POSTROUTING, where KUBE-POSTROUTING masquerades marked traffic.
//
// Shares: rr and wrr hand out new connections in proportion to the weights
// (rr with equal weights: 1/n each); a weight of 0 takes none (a terminating
// endpoint). Other schedulers (lc, wlc, sh, dh, mh …) depend on live connection
// counts or hashes the dumps cannot show; podpath uses the weights and says so.
import type { IpvsRealServer, IpvsService, NetNamespace } from '../topology/model.ts';
import type { Header } from './flow.ts';
import type { FieldDiff, NatStep, NoteStep } from './model.ts';
import { formatProbability } from './probability.ts';

/** The IPVS virtual service that takes this packet, if the namespace's IPVS table was dumped and has one. */
export function ipvsServiceFor(ns: NetNamespace, header: Header): IpvsService | undefined {
  return ns.netfilter?.ipvs?.find((s) => s.protocol === header.proto && s.address === header.dst && s.port === header.dport);
}

export interface IpvsPick {
  server: IpvsRealServer;
  share: number;
  step: NatStep;
  notes: NoteStep[];
  header: Header;
}

const WEIGHTED = new Set(['rr', 'wrr']);

/** Draws a real server (each with weight / total weight) through `choose` and builds the DNAT step. */
export function ipvsPick(service: IpvsService, header: Header, choose: (p: number) => boolean, at: 'LOCAL_IN' | 'LOCAL_OUT' = 'LOCAL_IN'): IpvsPick | undefined {
  const servers = service.realServers.filter((s) => s.weight > 0);
  const total = servers.reduce((sum, s) => sum + s.weight, 0);
  if (servers.length === 0 || total === 0) return undefined;
  let remaining = total;
  let index = servers.length - 1;
  for (let i = 0; i < servers.length - 1; i++) {
    if (choose(servers[i]!.weight / remaining)) {
      index = i;
      break;
    }
    remaining -= servers[i]!.weight;
  }
  const server = servers[index]!;
  const share = server.weight / total;
  const notes: NoteStep[] = [];
  if (!WEIGHTED.has(service.scheduler)) {
    notes.push({ type: 'note', explanation: `IPVS scheduler ${service.scheduler} picks by live connection counts or a hash the dumps do not show; podpath took each real server's share as its weight over the sum` });
  }
  if (service.persistentSeconds !== undefined) {
    notes.push({ type: 'note', explanation: `the virtual service is persistent (${service.persistentSeconds} s, kube-proxy's ClientIP session affinity): a client's later connections go to the same real server` });
  }
  const next: Header = { ...header, dst: server.address, dport: server.port };
  const diffs: FieldDiff[] = [];
  if (header.dst !== next.dst) diffs.push({ field: 'dst', old: header.dst, new: next.dst });
  if (header.dport !== next.dport) diffs.push({ field: 'dport', old: header.dport, new: next.dport });
  const name = `${service.protocol.toUpperCase()} ${service.address}:${service.port} ${service.scheduler}`;
  const step: NatStep = {
    type: 'nat',
    table: 'ipvs',
    chain: at,
    rule: `${name} -> ${server.address}:${server.port} ${server.forward === 'masq' ? 'Masq' : server.forward} weight ${server.weight}`,
    action: 'dnat',
    diffs,
    explanation:
      `IPVS (virtual service ${name}) picks real server ${index + 1} of ${servers.length} with probability ${formatProbability(share)} ` +
      `(weight ${server.weight} of ${total}) and rewrites the destination to ${server.address}:${server.port}. ` +
      (at === 'LOCAL_IN'
        ? 'IPVS does this at the LOCAL_IN hook, after iptables INPUT, not in nat PREROUTING; the packet then leaves through LOCAL_OUT and POSTROUTING'
        : 'IPVS does this at the LOCAL_OUT hook for a connection this host makes, after nat OUTPUT (not in it) and before filter OUTPUT'),
    source: server.source,
  };
  return { server, share, step, notes, header: next };
}
