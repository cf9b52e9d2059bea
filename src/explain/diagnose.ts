// Names the likely cause when a packet stops between two captured points, from the
// dumps of the node where it was last seen. The checks follow the kernel's order for
// a forwarded packet: route lookup (fib), filter FORWARD, then for an overlay route
// the vxlan driver's lookups: the neighbour entry for the onlink gateway (peer VTEP
// MAC, flannel writes it PERMANENT) and the FDB entry for that MAC (peer underlay
// address). With `nolearning` and no FDB entry the driver drops the frame
// (drivers/net/vxlan: vxlan_xmit → no fdb → drop), so tcpdump sees it on flannel.1
// and never on eth0.
import type { ClusterNode, Neighbour, NfRule, Route, Topology } from '../topology/model.ts';
import { inCidr, prefixLength } from './cidr.ts';
import type { FiveTuple, OuterFacts } from './facts.ts';
import type { Cause } from './model.ts';
import { isVxlanDevice } from '../topology/roles.ts';
import { evaluateHook } from '../trace/netfilter.ts';
import { newConntrack } from '../trace/flow.ts';
import { addressType } from '../trace/routing.ts';
import type { Packet } from '../trace/model.ts';

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
  if (podRouteExpected && !isVxlanDevice(node.netns, route.dev) && !viaPeer && prefixLength(route.dst) < prefixLength(remote.cidr)) {
    const stuck = unresolvedNextHop(node, dst);
    const fate = stuck
      ? `, whose next hop ${route.via ?? dst} is ${stuck.state.includes('INCOMPLETE') ? 'INCOMPLETE' : 'FAILED'} in \`ip neigh\` (the kernel gives up on ARP and answers ICMP host unreachable)`
      : ', so the packet leaves outside the overlay';
    return {
      kind: 'no-route',
      node: node.name,
      text: `${node.name} has no route to ${remote.node.name}'s pod subnet ${remote.cidr}: ${dst} only matches \`${routeText(route)}\`${fate}`,
      source: route.source,
    };
  }
  return undefined;
}

export function checkOverlay(topology: Topology, node: ClusterNode, dst: string): Cause | undefined {
  const route = lookupRoute(node, dst);
  if (!route || !isVxlanDevice(node.netns, route.dev)) return undefined;
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

// ---- a small FORWARD evaluation for the first packet of a connection (conntrack NEW) ----
// It follows jumps, gotos, RETURN and the skb mark (MARK --set-xmark/--set-mark/--or-mark/
// --and-mark and -m mark), which Calico's chains use to carry "policy accepted" (0x10000).
// A match it cannot decide (ipsets, addrtype …) makes the rule unknown: an unknown ACCEPT
// stops the walk without a verdict, anything else unknown is passed over.

interface PacketContext {
  tuple: FiveTuple;
  inInterface?: string;
  outInterface?: string;
  mark: number;
  /** Conntrack state: NEW for a connection's first packet, ESTABLISHED for its replies. */
  state: 'NEW' | 'ESTABLISHED';
}

function ifaceMatches(pattern: string, name: string | undefined): boolean | undefined {
  if (name === undefined) return undefined;
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

function valueMask(text: string): { value: number; mask: number } {
  const [v, m] = text.split('/');
  return { value: Number(v) >>> 0, mask: m === undefined ? 0xffffffff : Number(m) >>> 0 };
}

function portMatches(spec: string, port: number | undefined): boolean | undefined {
  if (port === undefined) return undefined;
  return spec.split(',').some((part) => {
    const [lo, hi] = part.split(':');
    return hi === undefined ? Number(lo) === port : port >= Number(lo || 0) && port <= Number(hi || 65535);
  });
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
    else if (o.option === 'dport' || o.option === 'destination-port' || o.option === 'dports') m = portMatches(value, ctx.tuple.dport);
    else if (o.option === 'sport' || o.option === 'source-port' || o.option === 'sports') m = portMatches(value, ctx.tuple.sport);
    else if (o.option === 'ctstate' || o.option === 'state') m = value.split(',').includes(ctx.state);
    else if (o.option === 'mark' && o.module === 'mark') {
      const { value: v, mask } = valueMask(value);
      m = ((ctx.mark & mask) >>> 0) === v;
    } else if (o.module === 'comment' || o.option === 'comment') m = true;
    else m = undefined;
    if (m === undefined) {
      unknown = true;
      continue;
    }
    if (o.negated ? m : !m) return false;
  }
  return unknown ? undefined : true;
}

function applyMark(rule: NfRule, ctx: PacketContext): void {
  for (const o of rule.target?.options ?? []) {
    const { value, mask } = valueMask(o.values[0] ?? '0');
    if (o.option === 'set-xmark') ctx.mark = ((ctx.mark & ~mask) ^ value) >>> 0;
    else if (o.option === 'set-mark') ctx.mark = ((ctx.mark & ~mask) | value) >>> 0;
    else if (o.option === 'or-mark') ctx.mark = (ctx.mark | value) >>> 0;
    else if (o.option === 'and-mark') ctx.mark = (ctx.mark & value) >>> 0;
    else if (o.option === 'xor-mark') ctx.mark = (ctx.mark ^ value) >>> 0;
  }
}

type Verdict = { verdict: 'accept' | 'drop' | 'return' | 'unknown'; rule?: NfRule };

function walkChain(node: ClusterNode, chainName: string, ctx: PacketContext, depth: number): Verdict {
  const table = node.netns.netfilter?.tables['filter'];
  const chain = table?.chains[chainName];
  if (!chain || depth > 32) return { verdict: 'unknown' };
  for (const rule of chain.rules) {
    const target = rule.target?.name;
    if (!target) continue;
    const m = ruleMatches(rule, ctx);
    if (m === false) continue;
    if (m === undefined) {
      if (target === 'ACCEPT') return { verdict: 'unknown', rule };
      continue;
    }
    if (target === 'ACCEPT') return { verdict: 'accept', rule };
    if (target === 'DROP' || target === 'REJECT') return { verdict: 'drop', rule };
    if (target === 'RETURN') return { verdict: 'return', rule };
    if (target === 'MARK') {
      applyMark(rule, ctx);
      continue;
    }
    if (table?.chains[target]) {
      const inner = walkChain(node, target, ctx, depth + 1);
      if (inner.verdict !== 'return') return inner;
      // A goto'd chain that falls off its end returns from the chain that went to it.
      if (rule.target?.goto) return { verdict: 'return' };
    }
  }
  return { verdict: 'return' };
}

export function checkForward(node: ClusterNode, tuple: FiveTuple, inInterface?: string, state: 'NEW' | 'ESTABLISHED' = 'NEW'): Cause | undefined {
  const filter = node.netns.netfilter?.tables['filter'];
  const forward = filter?.chains['FORWARD'];
  if (!forward) return undefined;
  const route = lookupRoute(node, tuple.dst);
  const ctx: PacketContext = { tuple, mark: 0, state, ...(inInterface ? { inInterface } : {}), ...(route?.dev ? { outInterface: route.dev } : {}) };
  const result = walkChain(node, 'FORWARD', ctx, 0);
  if (result.verdict === 'drop' && result.rule) {
    const rejects = result.rule.target?.name === 'REJECT';
    return {
      kind: rejects ? 'rejected' : 'forward-drop',
      node: node.name,
      text: `${node.name}'s filter FORWARD ${rejects ? 'rejects' : 'drops'} ${tuple.src} → ${tuple.dst}${result.rule.chain !== 'FORWARD' ? ` in ${result.rule.chain}` : ''}: \`${result.rule.text}\``,
      source: result.rule.source,
    };
  }
  if (result.verdict !== 'drop') {
    const nft = nftForward(node, tuple, inInterface, route?.dev, state);
    if (nft) return nft;
  }
  if (result.verdict === 'return' && forward.policy === 'DROP') {
    return {
      kind: 'forward-drop',
      node: node.name,
      text: `${node.name}'s filter FORWARD policy is DROP and no rule accepts ${state === 'NEW' ? 'a new connection' : 'the reply'} ${tuple.src} → ${tuple.dst} (the CNI's accept rule for the pod network is missing)`,
    };
  }
  return undefined;
}

/**
 * nf_tables base chains at the forward hook (kube-proxy's nftables mode: `filter-forward` →
 * `service-endpoints-check` → `@no-endpoint-services` → `reject-chain`), asked of the tracer's
 * own evaluator: a new connection's first packet, the nft tables only (iptables' FORWARD was
 * walked above).
 */
function nftForward(node: ClusterNode, tuple: FiveTuple, inInterface: string | undefined, outInterface: string | undefined, state: 'NEW' | 'ESTABLISHED'): Cause | undefined {
  const nft = node.netns.netfilter?.nft ?? [];
  if (state !== 'NEW' || !nft.some((t) => Object.values(t.chains).some((c) => c.base?.hook === 'forward'))) return undefined;
  if (tuple.proto === 'other') return undefined;
  const packet: Packet = { src: tuple.src, dst: tuple.dst, proto: tuple.proto };
  if (tuple.sport !== undefined) packet.sport = tuple.sport;
  if (tuple.dport !== undefined) packet.dport = tuple.dport;
  const ns = { ...node.netns, netfilter: { tables: {}, nft } };
  const input: Parameters<typeof evaluateHook>[0] = {
    ns, hook: 'FORWARD', flow: { packet, mark: 0, ct: newConntrack(packet), ttl: 64 },
    choose: () => false, addressType: (address, limit) => addressType(node.netns, address, limit), ipset: () => undefined,
  };
  if (inInterface) input.inIface = inInterface;
  if (outInterface) input.outIface = outInterface;
  const { verdict, steps } = evaluateHook(input);
  if (verdict.kind === 'accept') return undefined;
  const last = [...steps].reverse().find((s) => s.type === 'netfilter');
  const cause: Cause = {
    kind: verdict.kind === 'reject' ? 'rejected' : 'forward-drop',
    node: node.name,
    text: `${node.name}'s nftables forward hook ${verdict.kind === 'reject' ? 'rejects' : 'drops'} ${tuple.src} → ${tuple.dst}${last && last.type === 'netfilter' ? ` in ${last.table} ${last.chain}: \`${last.rule}\`` : ''}`,
  };
  if (last?.source) cause.source = last.source;
  return cause;
}

/** The route's next hop has no link-layer address: `ip neigh` shows it FAILED or INCOMPLETE (ARP never answered). */
function unresolvedNextHop(node: ClusterNode, dst: string): Neighbour | undefined {
  const route = lookupRoute(node, dst);
  if (!route?.dev) return undefined;
  const hop = route.via ?? dst;
  const entry = node.netns.neighbours.find((n) => n.ip === hop && n.dev === route.dev);
  return entry && entry.state.some((s) => s === 'FAILED' || s === 'INCOMPLETE') ? entry : undefined;
}

export function checkNextHop(node: ClusterNode, dst: string): Cause | undefined {
  const route = lookupRoute(node, dst);
  const entry = unresolvedNextHop(node, dst);
  if (!route || !entry) return undefined;
  const hop = route.via ?? dst;
  return {
    kind: 'neighbour-missing',
    node: node.name,
    text: `${node.name} routes ${dst} by \`${routeText(route)}\`, and its next hop ${hop} is ${entry.state.join(' ')} in \`ip neigh\` (it never answered ARP): the packet is dropped waiting for it`,
    source: entry.source,
  };
}

/** A packet seen on the underlay of the receiving node but not on its VXLAN device: port or VNI not served. */
export function checkReceiver(topology: Topology, node: ClusterNode, outer: OuterFacts): Cause | undefined {
  const vteps = topology.vteps.filter((v) => v.node === node.name);
  if (vteps.length === 0 || outer.encapsulation !== 'vxlan') return undefined;
  if (vteps.some((v) => v.port === outer.dport && v.vni === outer.vni)) return undefined;
  const have = vteps.map((v) => `${v.device} VNI ${v.vni} port ${v.port}`).join(', ');
  return { kind: 'vxlan-port-mismatch', node: node.name, text: `${node.name} has no VXLAN device for VNI ${outer.vni ?? '?'} on UDP ${outer.dport ?? '?'} (it has ${have}): the kernel drops the packet` };
}
