// The kernel's routing decision (fib_lookup): walk `ip rule` by priority (0 local,
// 32766 main, 32767 default when the dumps give no rules), take the longest
// matching prefix in each selected table, lower metric on a tie. A `local`
// route means "deliver to this namespace"; blackhole/unreachable/prohibit end
// the packet. Plain `ip route` shows only table main, so the local table is
// rebuilt from `ip addr`, as the kernel does when an address is added.
import type { NetNamespace, Route, RoutingRule } from '../topology/model.ts';
import type { RouteStep } from './model.ts';
import { parseIpv4, parsePrefix, prefixContains } from '../util/address.ts';

export interface RouteQuery {
  ns: NetNamespace;
  dst: string;
  src?: string;
  /** Incoming interface (forwarded or received packets); absent for locally generated ones. */
  iif?: string;
  mark: number;
}

export type RouteResult = 'local' | 'forward' | 'blackhole' | 'unreachable' | 'prohibit' | 'none' | 'unknown';

export interface RouteDecision {
  result: RouteResult;
  table: string;
  route?: Route;
  outIface?: string;
  nextHop?: string;
  /** The source address the kernel gives locally generated packets on this route. */
  preferredSource?: string;
  step: RouteStep;
}

const DEFAULT_RULES: RoutingRule[] = [
  { priority: 0, table: 'local', source: { file: '(kernel default rule)', line: 0 } },
  { priority: 32766, table: 'main', source: { file: '(kernel default rule)', line: 0 } },
  { priority: 32767, table: 'default', source: { file: '(kernel default rule)', line: 0 } },
];

const TABLE_NAMES: Record<string, string> = { '255': 'local', '254': 'main', '253': 'default' };
const tableName = (t: string | undefined) => (t === undefined ? 'main' : TABLE_NAMES[t] ?? t);

const tableCache = new WeakMap<NetNamespace, Map<string, Route[]>>();

/** The namespace's IPv4 routes by table, with the local table rebuilt from addresses when not dumped. */
function tablesOf(ns: NetNamespace): Map<string, Route[]> {
  let tables = tableCache.get(ns);
  if (tables) return tables;
  tables = new Map();
  for (const route of ns.routes) {
    if (route.family !== 4) continue;
    const name = tableName(route.table);
    const list = tables.get(name) ?? [];
    list.push(route);
    tables.set(name, list);
  }
  if (!tables.has('local')) tables.set('local', synthesizeLocalTable(ns));
  tableCache.set(ns, tables);
  return tables;
}

function synthesizeLocalTable(ns: NetNamespace): Route[] {
  const routes: Route[] = [];
  const source = (iface: { source?: { file: string; line: number } }) => iface.source ?? { file: `${ns.name} ip addr`, line: 0 };
  let loopback = false;
  for (const iface of ns.interfaces) {
    for (const address of iface.addresses) {
      if (address.family !== 4) continue;
      if (address.address.startsWith('127.')) loopback = true;
      routes.push({
        table: 'local', type: 'local', dst: `${address.address}/32`, family: 4, dev: iface.name, src: address.address,
        proto: 'kernel', scope: 'host', onlink: false, source: source(iface),
      });
    }
  }
  if (!loopback) {
    routes.push({ table: 'local', type: 'local', dst: '127.0.0.0/8', family: 4, dev: 'lo', proto: 'kernel', scope: 'host', onlink: false, source: { file: '(kernel: loopback)', line: 0 } });
  }
  return routes;
}

export function formatRoute(route: Route): string {
  const parts: string[] = [];
  if (route.type !== 'unicast') parts.push(route.type);
  parts.push(route.dst.endsWith('/32') ? route.dst.slice(0, -3) : route.dst);
  if (route.via) parts.push('via', route.via);
  if (route.dev) parts.push('dev', route.dev);
  if (route.table !== 'main' && route.table !== undefined && route.table !== '254') parts.push('table', route.table);
  if (route.proto) parts.push('proto', route.proto);
  if (route.scope) parts.push('scope', route.scope);
  if (route.src) parts.push('src', route.src);
  if (route.metric !== undefined) parts.push('metric', String(route.metric));
  if (route.onlink) parts.push('onlink');
  for (const hop of route.nexthops ?? []) {
    parts.push('nexthop');
    if (hop.via) parts.push('via', hop.via);
    if (hop.dev) parts.push('dev', hop.dev);
  }
  return parts.join(' ');
}

function prefixLength(route: Route): number {
  return parsePrefix(route.dst)?.length ?? -1;
}

function ruleSelects(rule: RoutingRule, query: RouteQuery): boolean {
  const address = (text: string | undefined) => (text === undefined ? undefined : parseIpv4(text));
  const within = (prefix: string | undefined, value: string | undefined) => {
    if (prefix === undefined || prefix === 'all') return true;
    const p = parsePrefix(prefix);
    const a = address(value);
    return p !== undefined && a !== undefined && prefixContains(p, a);
  };
  let selects = within(rule.from, query.src) && within(rule.to, query.dst);
  if (rule.iif !== undefined) selects &&= rule.iif === query.iif;
  if (rule.fwmark !== undefined) {
    const [v = '0', m] = rule.fwmark.split('/');
    const mask = m === undefined ? 0xffffffff : Number(m) >>> 0;
    selects &&= ((query.mark & mask) >>> 0) === (Number(v) >>> 0);
  }
  return rule.not ? !selects : selects;
}

/** Routes of one table that contain `dst`, best first (longest prefix, then lowest metric). */
function matchingRoutes(routes: Route[], dst: number): Route[] {
  return routes
    .filter((r) => {
      const p = parsePrefix(r.dst);
      return p !== undefined && prefixContains(p, dst);
    })
    .sort((a, b) => prefixLength(b) - prefixLength(a) || (a.metric ?? 0) - (b.metric ?? 0));
}

/**
 * `gateway`: this lookup resolves the device of a `via` route given without `dev`. The kernel
 * does that once, when the route is added (fib_check_nh): the gateway must be reachable by a
 * directly connected route, never through another gateway ("Nexthop has invalid gateway"). So
 * the lookup goes one level deep, whatever the dumps say — a route whose gateway resolves back
 * through itself is a dead end, not an endless recursion.
 */
export function lookupRoute(query: RouteQuery, gateway = false): RouteDecision {
  const { ns } = query;
  const dst = parseIpv4(query.dst);
  const base = { type: 'route' as const, losers: [] as string[] };
  if (dst === undefined) {
    return { result: 'none', table: 'main', step: { ...base, table: 'main', result: 'none', explanation: `${query.dst} is not an IPv4 address; podpath routes IPv4 only` } };
  }
  if (ns.routes.length === 0 && !ns.dumps.includes('route')) {
    return {
      result: 'unknown', table: 'main',
      step: { ...base, table: 'main', result: 'none', explanation: `${ns.name}'s routes are not in the dumps (\`ip route\` on ${ns.name} would settle where ${query.dst} goes)` },
    };
  }
  const tables = tablesOf(ns);
  const rules = ns.rules.length > 0 ? [...ns.rules].sort((a, b) => a.priority - b.priority) : DEFAULT_RULES;
  for (const rule of rules) {
    if (!ruleSelects(rule, query)) continue;
    if (rule.action && ['blackhole', 'unreachable', 'prohibit'].includes(rule.action)) {
      const result = rule.action as RouteResult;
      return { result, table: tableName(rule.table), step: { ...base, table: tableName(rule.table), result, explanation: `ip rule ${rule.priority} (${rule.action}) ends the lookup` } };
    }
    const table = tableName(rule.table);
    const candidates = matchingRoutes(tables.get(table) ?? [], dst);
    const chosen = candidates[0];
    if (!chosen || chosen.type === 'throw') continue; // the kernel tries the next rule
    return decide(query, table, chosen, candidates.slice(1), gateway);
  }
  return {
    result: 'none', table: 'main',
    step: { ...base, table: 'main', result: 'none', explanation: `${ns.name} has no route to ${query.dst}: no route in the tables its rules select contains it` },
  };
}

function decide(query: RouteQuery, table: string, route: Route, losers: Route[], gateway: boolean): RouteDecision {
  const { ns } = query;
  const text = formatRoute(route);
  const step: RouteStep = { type: 'route', table, chosen: text, losers: losers.slice(0, 5).map(formatRoute), result: 'forward', explanation: '', source: route.source };
  const why = `${ns.name} looks up ${query.dst} in table ${table}: "${text}" is the longest matching prefix (/${prefixLength(route)})`;
  switch (route.type) {
    case 'local':
    case 'broadcast': {
      step.result = 'local';
      step.explanation = `${why}; ${query.dst} is one of ${ns.name}'s own addresses, so the packet is delivered locally`;
      const decision: RouteDecision = { result: 'local', table, route, step };
      if (route.dev) decision.outIface = route.dev;
      return decision;
    }
    case 'blackhole':
    case 'unreachable':
    case 'prohibit': {
      step.result = route.type;
      step.explanation = `${why}; it is a ${route.type} route, so the packet goes no further`;
      return { result: route.type, table, route, step };
    }
    default:
      break;
  }
  const hop = route.nexthops?.[0];
  const via = route.via ?? hop?.via;
  let dev = route.dev ?? hop?.dev;
  if (gateway) {
    // Resolving another route's gateway: only a directly connected route gives its device.
    const decision: RouteDecision = { result: 'forward', table, route, step };
    if (dev && !via) decision.outIface = dev;
    return decision;
  }
  let unresolved = '';
  if (!dev && via) {
    // A gateway's device comes from its own (directly connected) route.
    dev = lookupRoute({ ...query, dst: via }, true).outIface;
    if (!dev) unresolved = ` (no directly connected route reaches the gateway ${via}, so the kernel would not have accepted this route: "Nexthop has invalid gateway")`;
  }
  const nextHop = via ?? query.dst;
  step.explanation = `${why}; it leaves by ${dev ?? `(unknown device${unresolved})`}${via ? ` to the next hop ${via}${route.onlink ? ' (onlink: reachable on that device without a covering subnet route)' : ''}` : ', directly to the destination'}`;
  if (route.nexthops && route.nexthops.length > 1) step.explanation += `; a multipath route: podpath follows the first of ${route.nexthops.length} next hops (the kernel hashes the flow)`;
  const decision: RouteDecision = { result: 'forward', table, route, nextHop, step };
  if (dev) {
    decision.outIface = dev;
    step.outInterface = dev;
  }
  step.nextHop = nextHop;
  const source = route.src ?? (dev ? selectSource(ns, dev, nextHop) : undefined);
  if (source) decision.preferredSource = source;
  return decision;
}

/**
 * inet_select_addr(dev, dst, RT_SCOPE_UNIVERSE): the first global-scope primary IPv4 address on
 * the device in the same subnet as `near`, else its first global-scope address, else the first
 * global-scope address on any other interface. MASQUERADE and locally generated packets use this.
 */
export function selectSource(ns: NetNamespace, dev: string, near?: string): string | undefined {
  return selectSourceOn(ns, dev, near)?.address;
}

/** selectSource, also saying which interface the address belongs to (another one when `dev` has none). */
export function selectSourceOn(ns: NetNamespace, dev: string, near?: string): { address: string; iface: string } | undefined {
  const global = (scope: string | undefined) => scope === undefined || scope === 'global';
  const iface = ns.interfaces.find((i) => i.name === dev);
  const own = (iface?.addresses ?? []).filter((a) => a.family === 4 && global(a.scope));
  const nearAddress = near === undefined ? undefined : parseIpv4(near);
  if (nearAddress !== undefined) {
    const same = own.find((a) => {
      const p = parsePrefix(`${a.address}/${a.prefixLength}`);
      return p !== undefined && prefixContains(p, nearAddress);
    });
    if (same) return { address: same.address, iface: dev };
  }
  if (own[0]) return { address: own[0].address, iface: dev };
  for (const other of ns.interfaces) {
    const address = other.addresses.find((a) => a.family === 4 && global(a.scope));
    if (address) return { address: address.address, iface: other.name };
  }
  return undefined;
}

/** `-m addrtype` types: LOCAL (an own address), BROADCAST, MULTICAST, or the route's type. */
export function addressType(ns: NetNamespace, address: string, limitToIface?: string): string {
  const value = parseIpv4(address);
  if (value === undefined) return 'UNSPEC';
  if (address === '255.255.255.255') return 'BROADCAST';
  if (value >>> 28 === 0xe) return 'MULTICAST';
  for (const iface of ns.interfaces) {
    if (limitToIface !== undefined && iface.name !== limitToIface) continue;
    for (const a of iface.addresses) {
      if (a.family !== 4) continue;
      if (a.address === address) return 'LOCAL';
      if (a.broadcast === address) return 'BROADCAST';
    }
  }
  if (limitToIface === undefined && address.startsWith('127.')) return 'LOCAL';
  const local = tablesOf(ns).get('local') ?? [];
  if (limitToIface === undefined && matchingRoutes(local, value).some((r) => r.type === 'local')) return 'LOCAL';
  const main = matchingRoutes(tablesOf(ns).get('main') ?? [], value)[0];
  if (main && ['blackhole', 'unreachable', 'prohibit'].includes(main.type)) return main.type.toUpperCase();
  return 'UNICAST';
}
