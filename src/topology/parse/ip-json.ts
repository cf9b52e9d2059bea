// `ip -j addr`, `ip -j [-d] link`, `ip -j route`, `ip -j neigh` and `bridge -j fdb` (iproute2's JSON output).
// Field names as iproute2 prints them: ifindex, ifname, link_index (the veth
// peer's ifindex, in link_netnsid's namespace), linkinfo.info_kind/info_data,
// addr_info[]; routes: dst, gateway, dev, prefsrc, protocol, scope, metric,
// table, type, flags[], nexthops[].
import type { FdbEntry, InterfaceAddress, Neighbour, NetInterface, NextHop, Route, RouteType, Warning } from '../model.ts';
import { type DumpSource, type ParseResult, familyOf, toCidr } from './tokens.ts';

type Json = Record<string, unknown>;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** Parses the JSON array; a truncated or invalid document gives one warning and no records. */
export function readJsonArray(text: string, source: DumpSource, what: string): { items: Json[]; warnings: Warning[] } {
  const line = source.firstLine ?? 1;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { items: [], warnings: [{ file: source.file, line, message: `${what}: not valid JSON (${reason}); is the file truncated?` }] };
  }
  if (!Array.isArray(data)) {
    return { items: [], warnings: [{ file: source.file, line, message: `${what}: expected a JSON array` }] };
  }
  const items: Json[] = [];
  const warnings: Warning[] = [];
  data.forEach((item, n) => {
    const o = obj(item);
    if (o) items.push(o);
    else warnings.push({ file: source.file, line, message: `${what}: element ${n} is not an object, skipped` });
  });
  return { items, warnings };
}

export function parseIpJsonAddr(text: string, source: DumpSource): ParseResult<NetInterface> {
  const { items, warnings } = readJsonArray(text, source, 'ip -j addr/link');
  const line = source.firstLine ?? 1;
  const records: NetInterface[] = [];
  items.forEach((item, n) => {
    const index = num(item['ifindex']);
    const name = str(item['ifname']);
    if (index === undefined || name === undefined) {
      warnings.push({ file: source.file, line, message: `ip -j addr/link: element ${n} has no ifindex/ifname, skipped` });
      return;
    }
    const iface: NetInterface = { index, name, flags: [], addresses: [], source: { file: source.file, line } };
    const flags = item['flags'];
    if (Array.isArray(flags)) iface.flags = flags.filter((f): f is string => typeof f === 'string');
    const mtu = num(item['mtu']);
    if (mtu !== undefined) iface.mtu = mtu;
    const mac = str(item['address']);
    const linkType = str(item['link_type']);
    if (mac && (linkType === 'ether' || linkType === 'loopback')) iface.mac = mac.toLowerCase();
    const state = str(item['operstate']);
    if (state) iface.state = state;
    const master = str(item['master']);
    if (master) iface.master = master;
    const peer = num(item['link_index']);
    if (peer !== undefined) iface.peerIndex = peer;
    const netnsid = num(item['link_netnsid']);
    if (netnsid !== undefined) iface.linkNetnsId = netnsid;
    if (linkType === 'loopback') iface.kind = 'loopback';
    const info = obj(item['linkinfo']);
    const kind = str(info?.['info_kind']);
    if (kind) iface.kind = kind;
    const data = obj(info?.['info_data']);
    if (kind === 'vxlan' && data) {
      iface.vxlan = { vni: num(data['id']) ?? 0, port: num(data['port']) ?? 8472, learning: data['learning'] !== false };
      const local = str(data['local']);
      if (local) iface.vxlan.local = local;
      const dev = str(data['link']);
      if (dev) iface.vxlan.device = dev;
    }
    if (kind === 'ipip') {
      iface.ipip = {};
      const local = str(data?.['local']);
      const remote = str(data?.['remote']);
      if (local && local !== 'any') iface.ipip.local = local;
      if (remote && remote !== 'any') iface.ipip.remote = remote;
    }
    const addrInfo = item['addr_info'];
    if (Array.isArray(addrInfo)) {
      for (const a of addrInfo) {
        const address = readAddr(obj(a));
        if (address) iface.addresses.push(address);
      }
    }
    records.push(iface);
  });
  return { records, warnings };
}

function readAddr(a: Json | undefined): InterfaceAddress | undefined {
  if (!a) return undefined;
  const local = str(a['local']);
  const prefixLength = num(a['prefixlen']);
  const family = str(a['family']);
  if (!local || prefixLength === undefined || (family !== 'inet' && family !== 'inet6')) return undefined;
  const address: InterfaceAddress = { family: family === 'inet6' ? 6 : 4, address: local, prefixLength };
  const scope = str(a['scope']);
  if (scope) address.scope = scope;
  const broadcast = str(a['broadcast']);
  if (broadcast) address.broadcast = broadcast;
  const peer = str(a['address']);
  if (peer && peer !== local) address.peer = peer;
  return address;
}

const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'multicast', 'anycast']);

export function parseIpJsonRoute(text: string, source: DumpSource): ParseResult<Route> {
  const { items, warnings } = readJsonArray(text, source, 'ip -j route');
  const line = source.firstLine ?? 1;
  const records: Route[] = [];
  items.forEach((item, n) => {
    const dstText = str(item['dst']);
    if (!dstText) {
      warnings.push({ file: source.file, line, message: `ip -j route: element ${n} has no dst, skipped` });
      return;
    }
    const typeText = str(item['type']) ?? 'unicast';
    const type = (ROUTE_TYPES.has(typeText) ? typeText : 'unicast') as RouteType;
    const dst = dstText === 'default' ? 'default' : toCidr(dstText);
    const flags = Array.isArray(item['flags']) ? (item['flags'] as unknown[]) : [];
    const route: Route = {
      table: str(item['table']) ?? (type === 'local' || type === 'broadcast' ? 'local' : 'main'),
      type,
      dst,
      family: dst === 'default' ? familyOf(str(item['gateway']) ?? '0.0.0.0') : familyOf(dst),
      onlink: flags.includes('onlink'),
      source: { file: source.file, line },
    };
    if (flags.includes('linkdown')) route.linkdown = true;
    const via = str(item['gateway']) ?? str(obj(item['via'])?.['host']);
    if (via) route.via = via;
    const dev = str(item['dev']);
    if (dev) route.dev = dev;
    const src = str(item['prefsrc']);
    if (src) route.src = src;
    const proto = str(item['protocol']);
    if (proto) route.proto = proto;
    const scope = str(item['scope']);
    if (scope) route.scope = scope;
    const metric = num(item['metric']);
    if (metric !== undefined) route.metric = metric;
    const hops = item['nexthops'];
    if (Array.isArray(hops)) {
      route.nexthops = hops.map((h) => {
        const o = obj(h) ?? {};
        const hop: NextHop = { onlink: Array.isArray(o['flags']) && (o['flags'] as unknown[]).includes('onlink') };
        const hv = str(o['gateway']);
        if (hv) hop.via = hv;
        const hd = str(o['dev']);
        if (hd) hop.dev = hd;
        const w = num(o['weight']);
        if (w !== undefined) hop.weight = w;
        return hop;
      });
    }
    records.push(route);
  });
  return { records, warnings };
}

/** `ip -j neigh`: {dst, dev, lladdr, state[], router?}. `ip -j neigh show dev X` omits dev: pass it in `defaultDev`. */
export function parseIpJsonNeigh(text: string, source: DumpSource & { defaultDev?: string }): ParseResult<Neighbour> {
  const { items, warnings } = readJsonArray(text, source, 'ip -j neigh');
  const line = source.firstLine ?? 1;
  const records: Neighbour[] = [];
  items.forEach((item, n) => {
    const ip = str(item['dst']);
    const dev = str(item['dev']) ?? source.defaultDev;
    if (!ip || !dev) {
      warnings.push({ file: source.file, line, message: `ip -j neigh: element ${n} has no dst/dev, skipped` });
      return;
    }
    const state = Array.isArray(item['state']) ? (item['state'] as unknown[]).filter((s): s is string => typeof s === 'string') : [];
    const entry: Neighbour = { ip, dev, state, source: { file: source.file, line } };
    const mac = str(item['lladdr']);
    if (mac) entry.mac = mac.toLowerCase();
    if (item['router'] !== undefined && item['router'] !== false) entry.router = true;
    records.push(entry);
  });
  return { records, warnings };
}

/** `bridge -j fdb show`: {mac, ifname, dst?, master?, vlan?, flags[], state}. `… show dev X` omits ifname: pass `defaultDev`. */
export function parseBridgeJsonFdb(text: string, source: DumpSource & { defaultDev?: string }): ParseResult<FdbEntry> {
  const { items, warnings } = readJsonArray(text, source, 'bridge -j fdb');
  const line = source.firstLine ?? 1;
  const records: FdbEntry[] = [];
  items.forEach((item, n) => {
    const mac = str(item['mac']);
    const dev = str(item['ifname']) ?? source.defaultDev;
    if (!mac || !dev) {
      warnings.push({ file: source.file, line, message: `bridge -j fdb: element ${n} has no mac/ifname, skipped` });
      return;
    }
    const flags = Array.isArray(item['flags']) ? (item['flags'] as unknown[]) : [];
    const state = str(item['state']);
    const entry: FdbEntry = { mac: mac.toLowerCase(), dev, self: flags.includes('self'), permanent: state === 'permanent' || state === 'static', source: { file: source.file, line } };
    if (state) entry.state = state;
    const dst = str(item['dst']);
    if (dst) entry.dst = dst;
    const master = str(item['master']);
    if (master) entry.master = master;
    const vlan = num(item['vlan']);
    if (vlan !== undefined) entry.vlan = vlan;
    records.push(entry);
  });
  return { records, warnings };
}
