// Records → Topology. Knows nothing of command formats: it takes the parsed
// records per namespace and decides nodes and pods, underlay addresses, pod
// CIDRs, VTEPs, services and the CNI.
import { findHost } from '../names.ts';
import type { Bridge, ClusterNode, NetNamespace, Topology, Warning } from '../model.ts';
import type { GatheredRecords, NamespaceRecords } from '../inputs/records.ts';
import { BUILTIN_CHAINS, parseIptablesSave } from '../parse/iptables-save.ts';
import type { NftTable } from '../model.ts';
import { detectCni } from '../cni.ts';
import { detectKubeProxy } from '../kube-proxy/mode.ts';
import { type Classification, classify, guessWarnings } from './classify.ts';
import { bridgeRouteConflicts, ownPodCIDRs, underlayAddresses } from './nodes.ts';
import { buildPods, type PodSource } from './pods.ts';
import { buildServices } from './services.ts';
import { applyKubeServices, checkEndpointSlices, mergeKubePods, namespaceLabels } from './kube-objects.ts';
import { buildVteps, inferRemotes } from './vteps.ts';
import { appendAll } from '../../util/append.ts';
import { collectGarbageIfLarge } from '../../util/collect-garbage.ts';
import { classifyInterface } from '../roles.ts';

/** One namespace's records as the model's NetNamespace; iptables-save text parsed here. */
function toNetNamespace(ns: NamespaceRecords, kind: 'node' | 'pod', warnings: Warning[]): NetNamespace {
  const netns: NetNamespace = {
    name: ns.name,
    kind,
    interfaces: ns.interfaces,
    routes: ns.routes,
    rules: ns.rules,
    neighbours: ns.neighbours,
    fdb: ns.fdb,
    bridges: bridgesOf(ns),
    dumps: [...ns.dumps].sort(),
  };
  for (const dump of ns.iptables) {
    const parsed = parseIptablesSave(dump.text, dump.file, {
      firstLine: dump.firstLine,
      ...(dump.table !== undefined ? { tableFromCommand: dump.table } : {}),
      ...(dump.tableAssumed ? { guessTables: true } : {}),
    });
    appendAll(warnings, parsed.warnings);
    netns.netfilter ??= { tables: {} };
    for (const [name, table] of Object.entries(parsed.tables)) {
      // Several partial dumps (`iptables-save -t nat`, `-t filter`) add up.
      if (!netns.netfilter.tables[name]) netns.netfilter.tables[name] = table;
    }
  }
  if (ns.nft.length > 0) {
    netns.netfilter ??= { tables: {} };
    for (const table of ns.nft) if (isIptablesNftTable(table)) table.iptablesNft = true;
    netns.netfilter.nft = ns.nft;
  }
  if (ns.ipsets.length > 0) {
    netns.netfilter ??= { tables: {} };
    netns.netfilter.ipsets = Object.fromEntries(ns.ipsets.map((s) => [s.name, s]));
  }
  if (ns.ipvs.length > 0) {
    netns.netfilter ??= { tables: {} };
    netns.netfilter.ipvs = ns.ipvs;
  }
  if (ns.sysctls.size > 0) {
    netns.sysctls = Object.fromEntries([...ns.sysctls].sort(([a], [b]) => a.localeCompare(b)));
    // Calico turns proxy_arp on for its cali* veths; the tracer needs it to answer for 169.254.1.1.
    for (const iface of netns.interfaces) {
      const proxyArp = ns.sysctls.get(`net.ipv4.conf.${iface.name}.proxy_arp`);
      if (proxyArp !== undefined) iface.proxyArp = proxyArp !== '0';
    }
  }
  // A veth with an `@ifN` peer in another namespace is a veth even without `ip -d link`.
  for (const iface of netns.interfaces) {
    if (iface.kind === undefined && iface.peerIndex !== undefined && (iface.linkNetnsId !== undefined || iface.linkNetns !== undefined)) iface.kind = 'veth';
  }
  // Every interface's role, decided here once (roles.ts); everyone else asks roleOf.
  for (const iface of netns.interfaces) iface.role = classifyInterface(iface, kind);
  return netns;
}

/**
 * iptables-nft keeps iptables' tables in nf_tables (`table ip nat`, its base chains named
 * PREROUTING …), so `nft list ruleset` shows them beside native tables. nft itself warns
 * "managed by iptables-nft" (on stderr, rarely in a dump); the table's name and built-in
 * chain names tell it too. The tracer reads such a table from iptables-save when that was
 * dumped (its text keeps every match), and from the nft listing otherwise.
 */
function isIptablesNftTable(table: NftTable): boolean {
  if (table.iptablesNft) return true;
  if ((table.family !== 'ip' && table.family !== 'ip6') || !Object.hasOwn(BUILTIN_CHAINS, table.name)) return false;
  const builtins = BUILTIN_CHAINS[table.name]!;
  const bases = Object.values(table.chains).filter((c) => c.base !== undefined);
  return bases.length > 0 && bases.every((c) => builtins.includes(c.name));
}

/** Bridges from `brctl show`, completed with `master` from `ip link` and from `bridge fdb`'s port entries. */
function bridgesOf(ns: NamespaceRecords): Bridge[] {
  const bridges: Bridge[] = ns.bridges.map((b) => ({ ...b, ports: [...b.ports] }));
  for (const iface of ns.interfaces) {
    if (iface.kind === 'bridge' && !bridges.some((b) => b.name === iface.name)) bridges.push({ name: iface.name, ports: [] });
  }
  for (const iface of ns.interfaces) {
    if (iface.master === undefined) continue;
    let bridge = bridges.find((b) => b.name === iface.master);
    const master = ns.interfaces.find((i) => i.name === iface.master);
    if (!bridge) {
      // `master` also names bonds and VRFs; only bridges (by kind or brctl) are listed, or unknown-kind masters.
      if (master?.kind !== undefined && master.kind !== 'bridge') continue;
      bridge = { name: iface.master, ports: [] };
      bridges.push(bridge);
    }
    if (!bridge.ports.includes(iface.name)) bridge.ports.push(iface.name);
  }
  // `bridge fdb` prints `dev P master B` only for a port P of bridge B (the bridge's own entries
  // say `dev B master B`): a node whose only dump is `bridge fdb show dev vtep1042` still shows it.
  for (const entry of ns.fdb) {
    if (entry.master === undefined || entry.master === entry.dev || entry.dev === '') continue;
    const master = ns.interfaces.find((i) => i.name === entry.master);
    if (master?.kind !== undefined && master.kind !== 'bridge') continue;
    let bridge = bridges.find((b) => b.name === entry.master);
    if (!bridge) {
      bridge = { name: entry.master, ports: [] };
      bridges.push(bridge);
    }
    if (!bridge.ports.includes(entry.dev)) bridge.ports.push(entry.dev);
  }
  return bridges;
}

/**
 * kubectl's node names and the dumps' (prompts, folders) may spell one host differently
 * (`k8s-Node1`, or `ip-10-0-1-5` for `ip-10-0-1-5.ec2.internal`): they are made the dumps'
 * spelling here, once, so everything after compares names exactly.
 */
function canonicalHostNames(gathered: GatheredRecords): void {
  const names = gathered.namespaces.map((ns) => ns.name);
  for (const pod of gathered.kubePods) {
    if (pod.node === undefined) continue;
    const name = findHost(names, pod.node);
    if (name !== undefined) pod.node = name;
  }
  for (const ns of gathered.namespaces) {
    if (ns.podNode === undefined) continue;
    const name = findHost(names, ns.podNode);
    if (name !== undefined) ns.podNode = name;
  }
}

export function buildTopology(gathered: GatheredRecords): Topology {
  const warnings = gathered.warnings;
  canonicalHostNames(gathered);
  const classes = new Map<string, Classification>();
  for (const ns of gathered.namespaces) classes.set(ns.name, classify(ns, gathered.kubePods));
  appendAll(warnings, guessWarnings(gathered.namespaces, classes));

  const nodes: ClusterNode[] = [];
  const podSources: PodSource[] = [];
  for (const ns of gathered.namespaces) {
    const kind = classes.get(ns.name)?.kind ?? 'node';
    const netns = toNetNamespace(ns, kind, warnings);
    if (kind === 'node') {
      nodes.push({ name: ns.name, addresses: underlayAddresses(netns), podCIDRs: ownPodCIDRs(netns), netns });
      for (const { route, held } of bridgeRouteConflicts(netns)) {
        warnings.push({
          file: route.source.file,
          line: route.source.line,
          message: `${ns.name}: the route sends ${route.dst} to ${route.dev}, but ${route.dev} holds ${held.join(', ')} in ip addr (the kernel would route its own subnet there): the dumps disagree, from two nodes or two moments?; the pod CIDR is taken from ${route.dev}'s address`,
        });
      }
    } else {
      const source: PodSource = { name: ns.name, netns, file: [...ns.files][0] ?? '' };
      if (ns.podNode !== undefined) source.podNode = ns.podNode;
      podSources.push(source);
    }
  }
  for (const node of nodes) {
    if (node.addresses.length === 0) {
      warnings.push({ file: [...(gathered.namespaces.find((n) => n.name === node.name)?.files ?? [])][0] ?? '', message: `${node.name}: no underlay address found (no ip addr on its own interfaces, no kernel route with src)` });
    }
  }
  const kubePods = mergeKubePods(gathered.kubePods);
  const pods = buildPods(podSources, nodes, kubePods, warnings);
  const { vteps } = buildVteps(nodes);
  inferRemotes(vteps, nodes);
  // The dumps are read: their reader's garbage goes before the services are built on top of it.
  collectGarbageIfLarge();
  const services = buildServices(nodes, pods, gathered.kubeServices, warnings);
  applyKubeServices(services, gathered.kubeServices, pods, warnings);
  checkEndpointSlices(services, gathered.kubeEndpointSlices, warnings);
  const cni = detectCni(nodes, vteps);
  const topology: Topology = { nodes, pods, services, vteps, cni, kubeProxy: detectKubeProxy(nodes), networkPolicies: gathered.networkPolicies, warnings };
  const namespaces = namespaceLabels(gathered.kubeNamespaces);
  if (namespaces) topology.namespaces = namespaces;
  return topology;
}
