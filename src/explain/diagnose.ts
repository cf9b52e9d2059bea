// Names the likely cause when a packet stops between two captured points, from the
// dumps of the node where it was last seen. The checks follow the kernel's order for
// a forwarded packet: route lookup (fib), filter FORWARD, then for an overlay route
// the vxlan driver's lookups: the neighbour entry for the onlink gateway (peer VTEP
// MAC, flannel writes it PERMANENT) and the FDB entry for that MAC (peer underlay
// address). With `nolearning` and no FDB entry the driver drops the frame
// (drivers/net/vxlan: vxlan_xmit → no fdb → drop), so tcpdump sees it on flannel.1
// and never on eth0.
import type { ClusterNode, NfRule, Route, Topology } from '../topology/model.ts';
import { inCidr, prefixLength } from './cidr.ts';
import type { FiveTuple, OuterFacts } from './facts.ts';
import type { Cause } from './model.ts';

export function routeText(r: Route): string {
  const parts = [r.type !== 'unicast' ? `${r.type} ${r.dst}` : r.dst];
  if (r.via) parts.push(`via ${r.via}`);
  if (r.dev) parts.push(`dev ${r.dev}`);
  if (r.proto) parts.push(`proto ${r.proto}`);
  if (r.scope) parts.push(`scope ${r.scope}`);
  if (r.src) parts.push(`src ${r.src}`);
  if (r.onlink) parts.push('onlink');
  return parts.join(' ');
}

/** Longest prefix match in the main table (the lab and most nodes add no `ip rule`s for pod traffic). */
export function lookupRoute(node: ClusterNode, dst: string): Route | undefined {
  let best: Route | undefined;
  for (const r of node.netns.routes) {
    if (r.table !== 'main' && r.table !== '254') continue;
    if (!inCidr(dst, r.dst)) continue;
    if (!best || prefixLength(r.dst) > prefixLength(best.dst) || (prefixLength(r.dst) === prefixLength(best.dst) && (r.metric ?? 0) < (best.metric ?? 0))) best = r;
  }
  return best;
}

function isOverlayDevice(node: ClusterNode, dev: string | undefined): boolean {
  if (!dev) return false;
  const intf = node.netns.interfaces.find((i) => i.name === dev);
  return !!intf && (intf.kind === 'vxlan' || !!intf.vxlan);
}

/** The node whose pod subnet holds `ip`. */
function podSubnetOwner(topology: Topology, ip: string): { node: ClusterNode; cidr: string } | undefined {
  for (const node of topology.nodes) {
    const cidr = node.podCIDRs.find((c) => inCidr(ip, c));
    if (cidr) return { node, cidr };
  }
  const pod = topology.pods.find((p) => p.ip === ip);
  const node = pod && topology.nodes.find((n) => n.name === pod.node);
  return node ? { node, cidr: `${ip}/32` } : undefined;
}

export function checkRoute(topology: Topology, node: ClusterNode, dst: string): Cause | undefined {
  const route = lookupRoute(node, dst);
  const owner = podSubnetOwner(topology, dst);
  const remote = owner && owner.node.name !== node.name ? owner : undefined;
  if (!route) {
    return { kind: 'no-route', node: node.name, text: `${node.name} has no route to ${dst}${remote ? ` (${remote.node.name}'s pod subnet ${remote.cidr})` : ''}: the kernel drops it (network unreachable)` };
  }
  if (route.type === 'blackhole' || route.type === 'unreachable' || route.type === 'prohibit') {
    return { kind: 'no-route', node: node.name, text: `${node.name} routes ${dst} by \`${routeText(route)}\`: the kernel drops it`, source: route.source };
  }
  // A pod on another node reached only by a default or underlay route: the CNI's route is missing.
  const podRouteExpected = remote && (topology.cni.mode === 'vxlan' || topology.cni.mode === 'host-gw' || topology.cni.mode === 'bgp' || topology.cni.mode === 'ipip');
  const viaPeer = remote && route.via !== undefined && remote.node.addresses.includes(route.via);
  if (podRouteExpected && !isOverlayDevice(node, route.dev) && !viaPeer && prefixLength(route.dst) < prefixLength(remote.cidr)) {
    return {
      kind: 'no-route',
      node: node.name,
      text: `${node.name} has no route to ${remote.node.name}'s pod subnet ${remote.cidr}: ${dst} only matches \`${routeText(route)}\`, so the packet leaves outside the overlay`,
      source: route.source,
    };
  }
  return undefined;
}

export function checkOverlay(topology: Topology, node: ClusterNode, dst: string): Cause | undefined {
  const route = lookupRoute(node, dst);
  if (!route || !isOverlayDevice(node, route.dev)) return undefined;
  const dev = route.dev!;
  const gateway = route.via ?? dst;
  const neighbour = node.netns.neighbours.find((n) => n.ip === gateway && n.dev === dev && n.mac && !n.state.includes('FAILED'));
  if (!neighbour?.mac) {
    return {
      kind: 'neighbour-missing',
      node: node.name,
      text: `${node.name} has no neighbour entry for ${gateway} on ${dev} (the peer VTEP's MAC), which \`${routeText(route)}\` needs`,
      source: route.source,
    };
  }
  const mac = neighbour.mac.toLowerCase();
  const fdb = node.netns.fdb.find((f) => f.dev === dev && f.mac.toLowerCase() === mac && f.dst);
  if (!fdb) {
    const vtep = topology.vteps.flatMap((v) => v.remotes).find((r) => r.mac.toLowerCase() === mac);
    const peer = topology.vteps.find((v) => v.mac?.toLowerCase() === mac);
    const who = peer ? ` (${peer.node}'s ${peer.device}${peer.local ? `, ${peer.local}` : ''})` : vtep?.node ? ` (${vtep.node})` : '';
    return {
      kind: 'fdb-missing',
      node: node.name,
      text: `${node.name}'s ${dev} has no FDB entry for VTEP MAC ${mac}${who}: \`bridge fdb show\` gives it no underlay destination, so the vxlan driver drops the frame`,
      source: neighbour.source,
    };
  }
  return undefined;
}

// ---- a small FORWARD evaluation for the first packet of a connection (conntrack NEW, no mark) ----

interface PacketContext {
  tuple: FiveTuple;
  inInterface?: string;
  outInterface?: string;
}

function ifaceMatches(pattern: string, name: string | undefined): boolean | undefined {
  if (name === undefined) return undefined;
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** true / false, or undefined when the rule uses a match podpath cannot decide here. */
function ruleMatches(rule: NfRule, ctx: PacketContext): boolean | undefined {
  let unknown = false;
  for (const o of rule.options) {
    const value = o.values[0] ?? '';
    let m: boolean | undefined;
    if (o.option === 's' || o.option === 'source') m = inCidr(ctx.tuple.src, value);
    else if (o.option === 'd' || o.option === 'destination') m = inCidr(ctx.tuple.dst, value);
    else if (o.option === 'i' || o.option === 'in-interface') m = ifaceMatches(value, ctx.inInterface);
    else if (o.option === 'o' || o.option === 'out-interface') m = ifaceMatches(value, ctx.outInterface);
    else if (o.option === 'p' || o.option === 'protocol') m = value === 'all' || value === ctx.tuple.proto;
    else if (o.option === 'dport' || o.option === 'destination-port') m = String(ctx.tuple.dport) === value;
    else if (o.option === 'sport' || o.option === 'source-port') m = String(ctx.tuple.sport) === value;
    else if (o.option === 'ctstate' || o.option === 'state') m = value.split(',').includes('NEW');
    else if (o.option === 'mark') m = /^0x0*0(\/|$)/.test(value);
    else if (o.module === 'comment' || o.option === 'comment') m = true;
    else m = undefined;
    if (m === undefined) {
      unknown = true;
      continue;
    }
    if (o.negated ? m : !m) return false;
  }
  return unknown ? undefined : true;
}

type Verdict = { verdict: 'accept' | 'drop' | 'return' | 'unknown'; rule?: NfRule };

function walkChain(topology: Topology, node: ClusterNode, chainName: string, ctx: PacketContext, depth: number): Verdict {
  const table = node.netns.netfilter?.tables['filter'];
  const chain = table?.chains[chainName];
  if (!chain || depth > 20) return { verdict: 'unknown' };
  for (const rule of chain.rules) {
    const m = ruleMatches(rule, ctx);
    if (m === false) continue;
    const target = rule.target?.name;
    if (!target) continue;
    if (m === undefined) {
      // A rule we cannot decide: only an ACCEPT matters (it could let the packet through).
      if (target === 'ACCEPT') return { verdict: 'unknown', rule };
      continue;
    }
    if (target === 'ACCEPT') return { verdict: 'accept', rule };
    if (target === 'DROP' || target === 'REJECT') return { verdict: 'drop', rule };
    if (target === 'RETURN') return { verdict: 'return', rule };
    if (table?.chains[target]) {
      const inner = walkChain(topology, node, target, ctx, depth + 1);
      if (inner.verdict === 'return') continue;
      if (inner.verdict !== 'unknown' || inner.rule) return inner;
      if (rule.target?.goto) return inner;
    }
  }
  return { verdict: 'return' };
}

export function checkForward(topology: Topology, node: ClusterNode, tuple: FiveTuple, inInterface?: string): Cause | undefined {
  const filter = node.netns.netfilter?.tables['filter'];
  const forward = filter?.chains['FORWARD'];
  if (!forward) return undefined;
  const route = lookupRoute(node, tuple.dst);
  const ctx: PacketContext = { tuple, ...(inInterface ? { inInterface } : {}), ...(route?.dev ? { outInterface: route.dev } : {}) };
  const result = walkChain(topology, node, 'FORWARD', ctx, 0);
  if (result.verdict === 'drop' && result.rule) {
    const rejects = result.rule.target?.name === 'REJECT';
    return {
      kind: rejects ? 'rejected' : 'forward-drop',
      node: node.name,
      text: `${node.name}'s filter FORWARD ${rejects ? 'rejects' : 'drops'} ${tuple.src} → ${tuple.dst}${result.rule.chain !== 'FORWARD' ? ` in ${result.rule.chain}` : ''}: \`${result.rule.text}\``,
      source: result.rule.source,
    };
  }
  if (result.verdict === 'return' && forward.policy === 'DROP') {
    return {
      kind: 'forward-drop',
      node: node.name,
      text: `${node.name}'s filter FORWARD policy is DROP and no rule accepts a new connection ${tuple.src} → ${tuple.dst} (the CNI's accept rule for the pod network is missing)`,
    };
  }
  return undefined;
}

/** A packet seen on the underlay of the receiving node but not on its VXLAN device: port or VNI not served. */
export function checkReceiver(topology: Topology, node: ClusterNode, outer: OuterFacts): Cause | undefined {
  const vteps = topology.vteps.filter((v) => v.node === node.name);
  if (vteps.length === 0 || outer.encapsulation !== 'vxlan') return undefined;
  if (vteps.some((v) => v.port === outer.dport && v.vni === outer.vni)) return undefined;
  const have = vteps.map((v) => `${v.device} VNI ${v.vni} port ${v.port}`).join(', ');
  return { kind: 'vxlan-port-mismatch', node: node.name, text: `${node.name} has no VXLAN device for VNI ${outer.vni ?? '?'} on UDP ${outer.dport ?? '?'} (it has ${have}): the kernel drops the packet` };
}
