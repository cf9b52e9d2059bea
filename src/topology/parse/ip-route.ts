// `ip route` / `ip route show table all` / `ip -6 route` text output.
//
//   default via 10.74.107.154 dev eth0 proto static
//   192.168.2.0/24 via 192.168.2.0 dev flannel.1 onlink
//   blackhole 192.168.226.64/26 proto bird
//   local 10.0.0.5 dev eth0 table local proto kernel scope host src 10.0.0.5
//   10.1.0.0/16 proto bird metric 20
//   	nexthop via 172.18.0.4 dev eth0 weight 1
//   	nexthop via 172.18.0.5 dev eth0 weight 1
//
// A route starts with an optional type and its destination; the rest are
// `key value` pairs or lone flags. Flattened dumps are split where a new
// destination appears where a key was expected.
import type { NextHop, Route, RouteType, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, familyOf, isPlaceholderAddress, isPrefix, placeholderWarning, toCidr, tokenize, toInt, onLine } from './tokens.ts';
import { UnknownTokens } from './unknown.ts';

const TYPES = new Set<RouteType>(['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'multicast', 'anycast']);

/** Keys followed by one value. */
const VALUE_KEYS = new Set([
  'via', 'dev', 'src', 'proto', 'scope', 'metric', 'table', 'mtu', 'advmss', 'weight', 'expires', 'pref', 'realm',
  'realms', 'rtt', 'rttvar', 'rto_min', 'cwnd', 'initcwnd', 'initrwnd', 'hoplimit', 'features', 'quickack', 'tos',
  'dsfield', 'from', 'nhid', 'uid', 'error', 'congctl', 'fastopen_no_cookie', 'ttl-propagate', 'encap', 'ssthresh',
  'reordering', 'window', 'lock', 'vrf', 'as',
]);

/** Flags that stand alone. */
const FLAG_WORDS = new Set([
  'onlink', 'linkdown', 'dead', 'pervasive', 'offload', 'trap', 'rt_offload', 'rt_trap', 'rt_offload_failed',
  'notify', 'cache', 'unresolved',
]);

/** Indented lines that continue the route above them (multipath next hops, route cache lines). */
const CONTINUATIONS = new Set(['nexthop', 'cache']);

/**
 * `source.table`: the table the command listed (`ip route show table 2`), whose output names it
 * on no line; a route's own `table X` still wins.
 */
export function parseIpRoute(text: string, source: DumpSource & { family?: 4 | 6; table?: string }): ParseResult<Route> {
  const firstLine = source.firstLine ?? 1;
  const tokens = tokenize(text, firstLine);
  const lines = text.split('\n');
  const shown = (line: number): string => (lines[line - firstLine] ?? '').slice(0, 200);
  const warnings: Warning[] = [];
  const unknown = new UnknownTokens(source.file, 'a route', warnings);
  const records: Route[] = [];
  /** Routes with a placeholder address: read to their end so nothing spills onto a neighbour, then dropped. */
  const dropped = new Set<Route>();
  let route: Route | undefined;
  let hop: NextHop | undefined;
  let orphanLine = false;

  const startsRoute = (i: number): number => {
    // Returns how many tokens the route's start takes (type + destination), or 0.
    // A placeholder starts a (dropped) route only where a route could start: not inside a line of prose.
    const word = tokens[i]?.text ?? '';
    const placeholders = tokens[i]!.lineStart || !(orphanLine || (route !== undefined && dropped.has(route)));
    if (word === 'default' || isPrefix(word) || (placeholders && isPlaceholderAddress(word))) return 1;
    const dst = onLine(tokens, i) ?? '';
    if (TYPES.has(word as RouteType) && (dst === 'default' || isPrefix(dst) || (placeholders && isPlaceholderAddress(dst)))) return 2;
    return 0;
  };
  const drop = (r: Route, value: string, line: number): void => {
    if (dropped.has(r)) return;
    dropped.add(r);
    warnings.push(placeholderWarning(source.file, line, value, 'route', shown(line)));
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const word = token.text;
    const value = onLine(tokens, i);
    const start = startsRoute(i);
    if (start > 0) {
      unknown.flush();
      orphanLine = false;
      const type = start === 2 ? (word as RouteType) : 'unicast';
      const dstWord = start === 2 ? value! : word;
      const dst = dstWord === 'default' ? 'default' : toCidr(dstWord);
      route = {
        table: source.table ?? (type === 'local' || type === 'broadcast' ? 'local' : 'main'),
        type,
        dst,
        family: dst === 'default' ? (source.family ?? 4) : familyOf(dst),
        onlink: false,
        source: { file: source.file, line: token.line },
      };
      records.push(route);
      if (isPlaceholderAddress(dstWord)) drop(route, dstWord, token.line);
      hop = undefined;
      i += start - 1;
      continue;
    }
    // A line must start a route, or (indented) continue the one above with a next hop.
    // Anything else is one warning and touches no route (gluing it onto the route
    // above gave that route another route's dev and src); a route may still start
    // later on the line (a comment before a flattened paste's routes).
    if (token.lineStart) orphanLine = !(token.indented && route !== undefined && CONTINUATIONS.has(word));
    if (orphanLine || !route) {
      unknown.add(token);
      continue;
    }
    if (word === 'nexthop') {
      hop = { onlink: false };
      (route.nexthops ??= []).push(hop);
      continue;
    }
    if (FLAG_WORDS.has(word)) {
      if (word === 'onlink') {
        if (hop) hop.onlink = true;
        else route.onlink = true;
      } else if (word === 'linkdown') route.linkdown = true;
      continue;
    }
    if (VALUE_KEYS.has(word) && value !== undefined) {
      i++;
      let val = value;
      // `via inet6 fe80::1` names the family before the gateway.
      if (word === 'via' && (val === 'inet' || val === 'inet6') && onLine(tokens, i) !== undefined) val = tokens[++i]!.text;
      if (word === 'mtu' && val === 'lock') {
        // `mtu lock 1400`: the route's MTU, locked (PMTU discovery never lowers it).
        const locked = onLine(tokens, i);
        if (locked !== undefined && toInt(locked) !== undefined) {
          i++;
          applyKey(route, hop, 'mtu', locked);
        }
        continue;
      }
      if (word === 'lock') continue;
      if ((word === 'via' || word === 'src' || word === 'from') && isPlaceholderAddress(val)) drop(route, val, tokens[i]!.line);
      applyKey(route, hop, word, val);
      continue;
    }
    // A dropped route's other words were reported with it.
    if (!dropped.has(route)) unknown.add(token);
  }
  unknown.flush();
  for (const r of records) {
    if (r.dst === 'default' && r.via?.includes(':')) r.family = 6;
  }
  // The kernel never prints a unicast route without a device, gateway or next hops:
  // such a "route" is an address in pasted prose.
  const real = records.filter((r) => !dropped.has(r) && (r.type !== 'unicast' || r.dev !== undefined || r.via !== undefined || r.nexthops !== undefined));
  const kept = new Set(real);
  for (const r of records) {
    if (!kept.has(r) && !dropped.has(r)) warnings.push({ file: source.file, line: r.source.line, message: `${r.dst} has no dev, via or nexthop: not read as a route`, text: shown(r.source.line) });
  }
  return { records: real, warnings };
}

function applyKey(route: Route, hop: NextHop | undefined, key: string, value: string): void {
  if (hop) {
    if (key === 'via') hop.via = value;
    else if (key === 'dev') hop.dev = value;
    else if (key === 'weight') {
      const weight = toInt(value);
      if (weight !== undefined) hop.weight = weight;
    }
    return;
  }
  switch (key) {
    case 'via':
      route.via = value;
      break;
    case 'dev':
      route.dev = value;
      break;
    case 'src':
      route.src = value;
      break;
    case 'proto':
      route.proto = value;
      break;
    case 'scope':
      route.scope = value;
      break;
    case 'table':
      route.table = value;
      break;
    case 'metric': {
      const metric = toInt(value);
      if (metric !== undefined) route.metric = metric;
      break;
    }
    case 'mtu': {
      // ip_forward and ip_append_data use this instead of the device's MTU (RTAX_MTU).
      const mtu = toInt(value);
      if (mtu !== undefined) route.mtu = mtu;
      break;
    }
  }
}
