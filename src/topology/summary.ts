// `podpath topology` text: what a network engineer checks first — nodes and
// their underlay addresses, pods and their host-side veth, the overlay (which
// VTEP reaches which node on which port and VNI), services and how kube-proxy
// spreads them, the CNI with its evidence, and what could not be read.
// Every string from a dump goes through escapeLine.
import { escapeLine } from '../util/escape-text.ts';
import { jsonDocument, versioned } from '../util/json-output.ts';
import { cidrContains, prefixLengthOf } from '../util/address.ts';
import type { NetNamespace, Netfilter, NfChain, NftChain, Topology } from './model.ts';
import { ruleCountOf } from './parse/iptables/lazy-chains.ts';

const MAX_WARNINGS_SHOWN = 5;

function percent(p: number): string {
  const value = p * 100;
  return `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
}

export function renderSummary(topology: Topology): string {
  const chunks: string[] = [];
  writeSummary(topology, (chunk) => chunks.push(chunk));
  return chunks.join('');
}

/** Lines gathered before they are handed on as one chunk. */
const LINES_PER_CHUNK = 1024;

/**
 * renderSummary's text handed to `write` in chunks of whole lines as it is made: a
 * 10,000-service node's summary is 40,000 lines (1.4 MB), and building it whole before
 * printing it was the last ~12 MB of `podpath topology`'s peak memory.
 */
export function writeSummary(topology: Topology, write: (chunk: string) => void): void {
  const s = escapeLine;
  const batch: string[] = [];
  const out = {
    add(...lines: string[]): void {
      for (const line of lines) batch.push(line);
      if (batch.length >= LINES_PER_CHUNK) flush();
    },
  };
  const flush = (): void => {
    if (batch.length === 0) return;
    write(`${batch.join('\n')}\n`);
    batch.length = 0;
  };
  out.add(`CNI: ${topology.cni.plugin} ${topology.cni.mode}`);
  for (const e of topology.cni.evidence) out.add(`  - ${s(e)}`);
  const kubeProxy = topology.kubeProxy ?? { mode: 'unknown', evidence: [] };
  out.add(`kube-proxy: ${kubeProxy.mode}${kubeProxy.mode === 'unknown' ? ' (no kube-proxy rules in the dumps)' : ' mode'}`);
  for (const e of kubeProxy.evidence) out.add(`  - ${s(e)}`);

  out.add('', `Nodes (${topology.nodes.length}):`);
  if (topology.nodes.length === 0) out.add("  none read: the dumps are pods' only (add a node's ip addr, ip route and iptables-save)");
  for (const node of topology.nodes) {
    const pods = node.podCIDRs.length > 0 ? `  pods ${node.podCIDRs.map(s).join(', ')}` : '';
    out.add(`  ${s(node.name)}  ${node.addresses.length > 0 ? node.addresses.map(s).join(', ') : '(underlay address unknown)'}${pods}`);
    for (const [key, value] of Object.entries(node.netns.sysctls ?? {})) {
      // A node that does not forward cannot pass pod traffic (the gravity cni0 fault).
      const forwarding = key === 'net.ipv4.ip_forward' || (/^net\.ipv4\.conf\.[^.]+\.forwarding$/.test(key) && !/\.(lo|default)\.forwarding$/.test(key));
      if (forwarding && value === '0') out.add(`    ! ${s(key)} = 0: IPv4 forwarding is off there`);
    }
  }

  const named = topology.pods.filter((p) => !p.unnamed);
  const unnamed = topology.pods.filter((p) => p.unnamed);
  out.add('', `Pods (${named.length}${unnamed.length > 0 ? ` + ${unnamed.length} unnamed` : ''}):`);
  for (const pod of topology.pods) {
    const name = pod.unnamed ? '(unnamed)' : `${pod.namespace ? `${s(pod.namespace)}/` : ''}${s(pod.name)}`;
    const host = pod.hostInterface ? ` via ${s(pod.hostInterface)}` : ' (host interface unknown)';
    out.add(`  ${name}  ${s(pod.ip || '?')}  on ${s(pod.node || '?')}${host}`);
  }

  out.add('', 'Routes to the other nodes\' pods:');
  for (const line of podRoutes(topology)) out.add(`  ${line}`);

  out.add('', `Overlay (${topology.vteps.length} VTEP${topology.vteps.length === 1 ? '' : 's'}):`);
  if (topology.vteps.length === 0) out.add(topology.nodes.length === 0 ? '  unknown (no node dumps)' : '  no VXLAN devices');
  for (const vtep of topology.vteps) {
    const assumed = vtep.assumed ? ' (VNI/port assumed: no ip -d link)' : '';
    const underlay = vtep.underlayDevice !== undefined ? ` dev ${s(vtep.underlayDevice)}` : '';
    out.add(`  ${s(vtep.node)} ${s(vtep.device)}  VNI ${vtep.vni}  UDP ${vtep.port}  local ${s(vtep.local ?? '?')}${underlay}${assumed}`);
    const node = topology.nodes.find((n) => n.name === vtep.node);
    if (vtep.remotes.length === 0) out.add(node?.netns.dumps.includes('fdb') ? '    no remote VTEPs in its fdb' : '    no remote VTEPs known (no bridge fdb dump)');
    for (const r of vtep.remotes) {
      const via = r.innerIP ? ` (peer VTEP ${s(r.innerIP)}${r.mac ? ` ${s(r.mac)}` : ''})` : r.mac ? ` (${s(r.mac)})` : '';
      const how = r.inferredFrom ? ' [from routes, no fdb entry dumped]' : '';
      out.add(`    → ${s(r.node ?? 'unknown node')} at ${s(r.dst)}:${vtep.port} VNI ${vtep.vni}${via}${how}`);
    }
    for (const line of missingFdb(topology, vtep)) out.add(`    ! ${line}`);
  }

  out.add('', `Services (${topology.services.length}):`);
  for (const svc of topology.services) {
    const port = `${svc.clusterIP ? s(svc.clusterIP) : '-'}:${svc.port}/${svc.protocol}`;
    const nodePorts = svc.nodePorts.length > 0 ? `  NodePort ${svc.nodePorts.join(', ')}` : '';
    // kubectl's targetPort, when it names a container port (a number is already the endpoints' port).
    const target = typeof svc.targetPort === 'string' ? `  targetPort ${s(svc.targetPort)}` : '';
    out.add(`  ${s(svc.namespace)}/${s(svc.name)}${svc.portName ? `:${s(svc.portName)}` : ''}  ${port}${nodePorts}${target}`);
    if (svc.endpoints.length === 0) out.add(`    no endpoints${svc.noEndpointsReject ? ' (kube-proxy REJECTs: "has no endpoints")' : ''}`);
    for (const e of svc.endpoints) {
      const who = e.pod ? ` ${s(e.pod)}` : '';
      const where = e.node ? ` on ${s(e.node)}` : '';
      out.add(`    → ${s(e.ip)}:${e.port}  ${percent(e.probability)}${who}${where}`);
    }
  }

  out.add('', `Warnings: ${topology.warnings.length}`);
  for (const w of topology.warnings.slice(0, MAX_WARNINGS_SHOWN)) {
    out.add(`  ${s(w.file)}${w.line !== undefined ? `:${w.line}` : ''}: ${s(w.message)}${w.text !== undefined ? `: ${s(w.text)}` : ''}`);
  }
  if (topology.warnings.length > MAX_WARNINGS_SHOWN) out.add(`  … ${topology.warnings.length - MAX_WARNINGS_SHOWN} more (--json lists them all)`);
  flush();
}

/** For each node with a route dump, the route its main table picks for every other node's pod CIDR (longest prefix). */
function podRoutes(topology: Topology): string[] {
  const s = escapeLine;
  const lines: string[] = [];
  for (const node of topology.nodes) {
    if (!node.netns.dumps.includes('route')) continue;
    for (const peer of topology.nodes) {
      if (peer.name === node.name) continue;
      for (const cidr of peer.podCIDRs) {
        const network = cidr.split('/')[0] ?? '';
        const route = node.netns.routes
          .filter((r) => r.table === 'main' && r.family === 4 && cidrContains(r.dst, network))
          .sort((a, b) => prefixLengthOf(b.dst) - prefixLengthOf(a.dst))[0];
        const target = `${s(cidr)} (${s(peer.name)}'s pods)`;
        if (!route) {
          lines.push(`! ${s(node.name)}: no route at all for ${target}`);
          continue;
        }
        const via = route.via !== undefined ? ` via ${s(route.via)}` : '';
        const dev = route.dev !== undefined ? ` dev ${s(route.dev)}` : '';
        const how = `${route.type !== 'unicast' ? `${route.type} ` : ''}${route.dst === cidr ? '' : `by ${s(route.dst)}`}${via}${dev}`.trim();
        const flag = route.dst === 'default' || route.type !== 'unicast' ? '! ' : '';
        lines.push(`${flag}${s(node.name)}: ${target} ${how}${route.dst === 'default' ? ' (no route of its own: the default route)' : ''}`);
      }
    }
  }
  if (lines.length === 0) lines.push(topology.nodes.length === 0 ? 'unknown (no node dumps)' : "none known (no route dumps, or no other node's pod CIDR)");
  return lines;
}

/**
 * Routes through a VTEP whose next hop has no FDB entry: the kernel finds the
 * neighbour's MAC but no underlay address to send the VXLAN packet to.
 */
function missingFdb(topology: Topology, vtep: Topology['vteps'][number]): string[] {
  const node = topology.nodes.find((n) => n.name === vtep.node);
  if (!node || !node.netns.dumps.includes('fdb')) return [];
  const lines: string[] = [];
  for (const route of node.netns.routes) {
    if (route.dev !== vtep.device || route.via === undefined) continue;
    const neighbour = node.netns.neighbours.find((n) => n.dev === vtep.device && n.ip === route.via);
    if (!neighbour?.mac) continue;
    if (node.netns.fdb.some((f) => f.dev === vtep.device && f.mac === neighbour.mac && f.dst !== undefined)) continue;
    lines.push(`${escapeLine(route.dst)} via ${escapeLine(route.via)}: neighbour MAC ${escapeLine(neighbour.mac)} has no fdb entry, so nothing is encapsulated to it`);
  }
  return lines;
}

/**
 * The Topology for `--json`: pods' and nodes' namespaces included, as the model has them,
 * except that each netfilter chain gives its rule count, not its rules, unless `rules` is
 * asked for: a 10,000-service kube-proxy dump is 120,000 rules, and printed in full they made
 * 170 MB of JSON (12× the dump) for a cluster of two nodes.
 */
export function renderJson(topology: Topology, options: { rules?: boolean } = {}): string {
  if (options.rules) return jsonDocument(versioned(topology));
  const withCounts = (netns: NetNamespace): object => (netns.netfilter ? { ...netns, netfilter: netfilterWithCounts(netns.netfilter) } : netns);
  return jsonDocument(
    versioned({
      ...topology,
      nodes: topology.nodes.map((node) => ({ ...node, netns: withCounts(node.netns) })),
      pods: topology.pods.map((pod) => (pod.netns ? { ...pod, netns: withCounts(pod.netns) } : pod)),
    }),
  );
}

/** The netfilter tables with `ruleCount` in place of each chain's `rules` (iptables and nf_tables alike). */
function netfilterWithCounts(netfilter: Netfilter): object {
  const mapValues = <T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> => {
    const out: Record<string, U> = {};
    for (const key of Object.keys(record)) out[key] = f(record[key]!);
    return out;
  };
  // Each key but rules, in order, then ruleCount: counted without building a lazy chain's rules.
  const counted = (chain: NfChain | NftChain): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(chain)) if (key !== 'rules') out[key] = (chain as unknown as Record<string, unknown>)[key];
    out['ruleCount'] = ruleCountOf(chain);
    return out;
  };
  return {
    ...netfilter,
    tables: mapValues(netfilter.tables, (table) => ({ ...table, chains: mapValues(table.chains, counted) })),
    ...(netfilter.nft ? { nft: netfilter.nft.map((table) => ({ ...table, chains: mapValues(table.chains, counted) })) } : {}),
  };
}
