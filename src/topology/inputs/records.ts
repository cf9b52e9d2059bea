// Parses each DumpText with its parser and gathers the records per namespace
// (node or pod). Dumps of the same command for the same namespace are merged
// when filtered (`ip addr show cni0`) and compared when complete: two complete
// dumps that disagree give a warning and the first one is kept.
import { hostKey } from '../names.ts';
import type { Bridge, FdbEntry, IpSet, IpvsService, Neighbour, NetInterface, NftTable, Route, RoutingRule, Warning } from '../model.ts';
import { parseIpset } from '../parse/ipset.ts';
import { parseIpvsadm } from '../parse/ipvsadm.ts';
import { parseNftJson } from '../parse/nft/json.ts';
import { parseNftRuleset } from '../parse/nft/ruleset.ts';
import { parseBrctlShow } from '../parse/brctl.ts';
import { parseBridgeFdb } from '../parse/bridge-fdb.ts';
import { parseIpAddr } from '../parse/ip-addr.ts';
import { parseIpBrief } from '../parse/ip-brief.ts';
import { parseBridgeJsonFdb, parseIpJsonAddr, parseIpJsonNeigh, parseIpJsonRoute } from '../parse/ip-json.ts';
import { parseIpNeigh } from '../parse/ip-neigh.ts';
import { parseIpRoute } from '../parse/ip-route.ts';
import { parseIpRule } from '../parse/ip-rule.ts';
import { parseRouteTable } from '../parse/route-table.ts';
import { type KubeNamespace, type KubeNode, type KubePod, type KubeService, parseKubectlNamespaces, parseKubectlNodes, parseKubectlPods, parseKubectlServices } from '../parse/kubectl.ts';
import { type KubeEndpointSlice, parseKubectlObjects } from '../parse/kubectl-objects.ts';
import { type SysctlSetting, parseSysctl } from '../parse/sysctl.ts';
import { parseNetworkPolicies } from '../policy/parse.ts';
import type { NetworkPolicy } from '../policy/model.ts';
import { type DumpText, type HostEvidence, modelDumpName } from './dump.ts';
import { appendAll } from '../../util/append.ts';
import { warningAt } from '../../util/warning.ts';
import { ConflictTracker, type HostConflict } from './conflicts.ts';

export interface IptablesText {
  text: string;
  file: string;
  firstLine: number;
  /** Rules outside any `*table` section (`iptables -S`, grep output) go into this table. */
  table?: string;
  /** …which nothing named: the reader says it was assumed. */
  tableAssumed?: boolean;
}

export interface NamespaceRecords {
  name: string;
  /** What the input said about this namespace (bundle pods/ folder, kubectl exec …). */
  hostKind?: 'node' | 'pod';
  hostEvidence: HostEvidence[];
  /** Node folder a bundle pod sits under. */
  podNode?: string;
  interfaces: NetInterface[];
  routes: Route[];
  rules: RoutingRule[];
  neighbours: Neighbour[];
  fdb: FdbEntry[];
  bridges: Bridge[];
  iptables: IptablesText[];
  /** nf_tables tables from `nft list ruleset` / `nft -j list ruleset`. */
  nft: NftTable[];
  ipsets: IpSet[];
  ipvs: IpvsService[];
  sysctls: Map<string, string>;
  dumps: Set<string>;
  files: Set<string>;
}

export interface GatheredRecords {
  namespaces: NamespaceRecords[];
  kubePods: KubePod[];
  kubeServices: KubeService[];
  /** `kubectl get nodes [-o wide]`: node names as the cluster spells them, with their INTERNAL-IP. */
  kubeNodes: KubeNode[];
  /** `kubectl get networkpolicy -A -o yaml|json` and policy files. */
  networkPolicies: NetworkPolicy[];
  /** `kubectl get endpointslices -A -o json|yaml`: what the API says of each endpoint's readiness. */
  kubeEndpointSlices: KubeEndpointSlice[];
  /** `kubectl get ns --show-labels` / `-o json`: namespace labels. */
  kubeNamespaces: KubeNamespace[];
  warnings: Warning[];
  /** Hosts whose dumps cannot be one machine at one moment (inputs/conflicts.ts); load.ts decides what that means. */
  conflicts: HostConflict[];
}

interface Parsed {
  interfaces?: NetInterface[];
  routes?: Route[];
  rules?: RoutingRule[];
  neighbours?: Neighbour[];
  fdb?: FdbEntry[];
  bridges?: Bridge[];
  iptables?: IptablesText;
  nft?: NftTable[];
  ipsets?: IpSet[];
  ipvs?: IpvsService[];
  sysctls?: SysctlSetting[];
}

function parseDump(dump: DumpText, warnings: Warning[]): Parsed {
  const source = { file: dump.file, firstLine: dump.firstLine };
  const dev = dump.defaultDev !== undefined ? { defaultDev: dump.defaultDev } : {};
  const take = <T>(r: { records: T[]; warnings: Warning[] }): T[] => {
    appendAll(warnings, r.warnings);
    return r.records;
  };
  switch (dump.kind) {
    case 'addr':
    case 'link':
      return { interfaces: take(parseIpAddr(dump.text, source)) };
    case 'addr-json':
      return { interfaces: take(parseIpJsonAddr(dump.text, source)) };
    case 'addr-brief':
      return { interfaces: take(parseIpBrief(dump.text, source)) };
    case 'route':
      return { routes: take(parseIpRoute(dump.text, { ...source, ...(dump.family !== undefined ? { family: dump.family } : {}), ...(dump.table !== undefined ? { table: dump.table } : {}) })) };
    case 'route-table':
      return { routes: take(parseRouteTable(dump.text, source)) };
    case 'route-json':
      return { routes: take(parseIpJsonRoute(dump.text, source)) };
    case 'rule':
      return { rules: take(parseIpRule(dump.text, source)) };
    case 'neigh':
      return { neighbours: take(parseIpNeigh(dump.text, { ...source, ...dev })) };
    case 'fdb':
      return { fdb: take(parseBridgeFdb(dump.text, { ...source, ...dev })) };
    case 'neigh-json':
      return { neighbours: take(parseIpJsonNeigh(dump.text, { ...source, ...dev })) };
    case 'fdb-json':
      return { fdb: take(parseBridgeJsonFdb(dump.text, { ...source, ...dev })) };
    case 'brctl':
      return { bridges: take(parseBrctlShow(dump.text, source)).map(({ source: _s, ...bridge }) => bridge) };
    case 'iptables': {
      const iptables: IptablesText = { text: dump.text, file: dump.file, firstLine: dump.firstLine };
      if (dump.table !== undefined) iptables.table = dump.table;
      // `iptables -S` from a file, or a grep of iptables-save: no `*table` line says where rules go.
      // Nor does one for a quote that starts inside a table (its rules, its COMMIT, then `*filter` …).
      if (dump.tableAssumed || (dump.table === undefined && rulesBeforeTableLine(dump.text))) iptables.tableAssumed = true;
      return { iptables };
    }
    case 'nft':
      return { nft: tablesOf(parseNftRuleset(dump.text, dump.file, { firstLine: dump.firstLine }), warnings) };
    case 'nft-json':
      return { nft: tablesOf(parseNftJson(dump.text, dump.file, { firstLine: dump.firstLine }), warnings) };
    case 'ipset':
      return { ipsets: take(parseIpset(dump.text, dump.file, { firstLine: dump.firstLine })) };
    case 'ipvs':
      return { ipvs: take(parseIpvsadm(dump.text, dump.file, { firstLine: dump.firstLine })) };
    case 'sysctl':
      return { sysctls: take(parseSysctl(dump.text, dump.procPath !== undefined ? { ...source, procPath: dump.procPath } : source)) };
    default:
      return {};
  }
}

function tablesOf(result: { tables: NftTable[]; warnings: Warning[] }, warnings: Warning[]): NftTable[] {
  appendAll(warnings, result.warnings);
  return result.tables;
}

/** What a complete dump says, as a set of strings, to compare two dumps of one command. */
function signature(kind: string, parsed: Parsed): Set<string> {
  switch (kind) {
    case 'addr':
      return new Set((parsed.interfaces ?? []).map((i) => `${i.index}:${i.name} ${i.addresses.map((a) => `${a.address}/${a.prefixLength}`).sort().join(',')}`));
    case 'link':
      return new Set((parsed.interfaces ?? []).map((i) => `${i.index}:${i.name}`));
    case 'route':
      return new Set((parsed.routes ?? []).map((r) => `${r.table} ${r.type} ${r.dst} via ${r.via ?? '-'} dev ${r.dev ?? '-'}`));
    case 'rule':
      return new Set((parsed.rules ?? []).map((r) => `${r.priority} ${r.from ?? 'all'} ${r.table}`));
    case 'neigh':
      return new Set((parsed.neighbours ?? []).filter((n) => n.state.includes('PERMANENT')).map((n) => `${n.ip} ${n.dev} ${n.mac ?? '-'}`));
    case 'fdb':
      return new Set((parsed.fdb ?? []).filter((f) => f.permanent).map((f) => `${f.mac} ${f.dev} ${f.dst ?? '-'}`));
    case 'brctl':
      return new Set((parsed.bridges ?? []).map((b) => `${b.name}: ${[...b.ports].sort().join(',')}`));
    case 'iptables':
      return new Set(
        (parsed.iptables?.text ?? '')
          .split('\n')
          .map((l) => l.replace(/^\[\d+:\d+\]\s*/, '').replace(/\s\[\d+:\d+\]$/, '').trim())
          .filter((l) => l.startsWith('-A ') || l.startsWith('*')),
      );
    default:
      return new Set();
  }
}

function firstDifference(a: Set<string>, b: Set<string>): string | undefined {
  for (const x of b) if (!a.has(x)) return `only in this one: ${x}`;
  for (const x of a) if (!b.has(x)) return `only in the other: ${x}`;
  return undefined;
}

export function gatherRecords(dumps: DumpText[], warnings: Warning[]): GatheredRecords {
  const byName = new Map<string, NamespaceRecords>();
  // The first complete dump of each kind per host; its signature is only worked out when a
  // second one arrives (a 120k-rule iptables-save's lines, kept as a set, were most of the heap).
  const complete = new Map<string, { parsed: Parsed; signature?: Set<string>; file: string; line: number }>();
  const conflicts = new ConflictTracker();
  const result: GatheredRecords = {
    namespaces: [], kubePods: [], kubeServices: [], kubeNodes: [], networkPolicies: [], kubeEndpointSlices: [], kubeNamespaces: [], warnings, conflicts: conflicts.conflicts,
  };

  for (const dump of dumps) {
    if (dump.kind === 'kubectl-pods') {
      const r = parseKubectlPods(dump.text, { file: dump.file, firstLine: dump.firstLine });
      appendAll(result.kubePods, r.records);
      appendAll(warnings, r.warnings);
      continue;
    }
    if (dump.kind === 'kubectl-nodes') {
      const r = parseKubectlNodes(dump.text, { file: dump.file, firstLine: dump.firstLine });
      appendAll(result.kubeNodes, r.records);
      appendAll(warnings, r.warnings);
      continue;
    }
    if (dump.kind === 'kubectl-networkpolicy') {
      addPolicies(result, parseNetworkPolicies(dump.text, { file: dump.file, firstLine: dump.firstLine }), dump.file);
      continue;
    }
    if (dump.kind === 'kubectl-objects') {
      const source = { file: dump.file, firstLine: dump.firstLine };
      const r = parseKubectlObjects(dump.text, source);
      appendAll(result.kubePods, r.pods);
      appendAll(result.kubeServices, r.services);
      appendAll(result.kubeEndpointSlices, r.endpointSlices);
      appendAll(result.kubeNamespaces, r.namespaces);
      appendAll(warnings, r.warnings);
      // `kubectl get pods,netpol -o yaml`: the policies in the same List are read by their own reader.
      if (r.networkPolicies > 0) addPolicies(result, parseNetworkPolicies(dump.text, source, { otherKinds: 'skip' }), dump.file);
      continue;
    }
    if (dump.kind === 'kubectl-namespaces') {
      const r = parseKubectlNamespaces(dump.text, { file: dump.file, firstLine: dump.firstLine });
      appendAll(result.kubeNamespaces, r.records);
      appendAll(warnings, r.warnings);
      continue;
    }
    if (dump.kind === 'kubectl-svc') {
      const r = parseKubectlServices(dump.text, { file: dump.file, firstLine: dump.firstLine });
      appendAll(result.kubeServices, r.records);
      appendAll(warnings, r.warnings);
      continue;
    }
    if (dump.host === undefined) continue;
    const parseWarnings: Warning[] = [];
    const parsed = parseDump(dump, parseWarnings);
    appendAll(warnings, parseWarnings);
    const count =
      (parsed.interfaces?.length ?? 0) + (parsed.routes?.length ?? 0) + (parsed.rules?.length ?? 0) + (parsed.neighbours?.length ?? 0) +
      (parsed.fdb?.length ?? 0) + (parsed.bridges?.length ?? 0) + (parsed.iptables ? 1 : 0) + (parsed.sysctls?.length ?? 0) +
      (parsed.nft?.length ?? 0) + (parsed.ipsets?.length ?? 0) + (parsed.ipvs?.length ?? 0);
    if (count === 0) {
      // An empty neighbour table or fdb is a real answer; other dumps must hold something.
      if (!['neigh', 'neigh-json', 'fdb', 'fdb-json', 'rule', 'brctl'].includes(dump.kind) || parseWarnings.length > 0) {
        // The parser's own warnings say why; add one only when it said nothing.
        if (parseWarnings.length === 0) warnings.push({ file: dump.file, line: dump.firstLine, message: `nothing usable in this ${dump.command ?? dump.kind} output` });
        continue;
      }
    }
    if (parsed.interfaces) conflicts.see(hostKey(dump.host), dump.host, parsed.interfaces, dump.file, dump.firstLine);
    let kindName = modelDumpName(dump.kind);
    if (dump.kind === 'addr-json' && !(parsed.interfaces ?? []).some((i) => i.addresses.length > 0) && !dump.text.includes('"addr_info"')) kindName = 'link';
    const key = `${hostKey(dump.host)}\u0000${kindName}`;
    if (!dump.partial) {
      const earlier = complete.get(key);
      if (earlier) {
        earlier.signature ??= signature(kindName, earlier.parsed);
        const difference = firstDifference(earlier.signature, signature(kindName, parsed));
        if (difference !== undefined) {
          warnings.push({
            file: dump.file,
            line: dump.firstLine,
            message: `${kindName} dump for ${dump.host} disagrees with ${earlier.file}:${earlier.line} (${difference}); kept the first`,
          });
          continue;
        }
      } else complete.set(key, { parsed, file: dump.file, line: dump.firstLine });
    }
    // One host however its dumps spell it (`HostGW-Node` and `hostgw-node`): the first spelling names it.
    let ns = byName.get(hostKey(dump.host));
    if (!ns) {
      ns = {
        name: dump.host, hostEvidence: [], interfaces: [], routes: [], rules: [], neighbours: [], fdb: [], bridges: [], iptables: [], nft: [], ipsets: [], ipvs: [], sysctls: new Map(),
        dumps: new Set(), files: new Set(),
      };
      byName.set(hostKey(dump.host), ns);
      result.namespaces.push(ns);
    }
    if (dump.hostKind) ns.hostKind ??= dump.hostKind;
    if (dump.podNode !== undefined) ns.podNode ??= dump.podNode;
    if (dump.hostEvidence && !ns.hostEvidence.includes(dump.hostEvidence)) ns.hostEvidence.push(dump.hostEvidence);
    ns.dumps.add(kindName);
    // `ip -d addr` carries what `ip -d link` would.
    if (kindName === 'addr' && (parsed.interfaces ?? []).some((i) => i.kind !== undefined && i.kind !== 'loopback')) ns.dumps.add('link');
    ns.files.add(dump.file);
    mergeInto(ns, parsed, warnings);
  }
  return result;
}

/** The same policy twice (a List and the file it was applied from): the first one counts. */
function addPolicies(result: GatheredRecords, r: { records: NetworkPolicy[]; warnings: Warning[] }, file: string): void {
  for (const policy of r.records) {
    const earlier = result.networkPolicies.find((p) => p.namespace === policy.namespace && p.name === policy.name);
    if (earlier) result.warnings.push({ file, line: policy.source.line, message: `NetworkPolicy ${policy.namespace}/${policy.name} again (first at ${earlier.source.file}:${earlier.source.line}); kept the first` });
    else result.networkPolicies.push(policy);
  }
  appendAll(result.warnings, r.warnings);
}

function mergeInto(ns: NamespaceRecords, parsed: Parsed, warnings: Warning[]): void {
  for (const iface of parsed.interfaces ?? []) {
    const same = ns.interfaces.find((i) => i.name === iface.name);
    if (!same) {
      ns.interfaces.push(iface);
      continue;
    }
    // `ip -br` prints no ifindex (0 here): take the real one from the other dump.
    if (same.index === 0) same.index = iface.index;
    if (same.index !== iface.index && iface.index !== 0) {
      warnings.push(warningAt(iface.source, '', `${ns.name}: interface ${iface.name} has index ${iface.index} here but ${same.index} in ${same.source?.file ?? '?'}:${same.source?.line ?? 0}; kept the first`));
      continue;
    }
    // `ip addr` gives addresses, `ip -d link` gives the kind and VXLAN details: keep both.
    // `ip -6 addr` next to `ip addr`, `ip -br` next to either: every address once.
    for (const address of iface.addresses) {
      if (!same.addresses.some((a) => a.address === address.address && a.prefixLength === address.prefixLength)) same.addresses.push(address);
    }
    if (iface.kind !== undefined && (same.kind === undefined || same.kind === 'ether')) same.kind = iface.kind;
    if (iface.vxlan && !same.vxlan) same.vxlan = iface.vxlan;
    if (iface.ipip && !same.ipip) same.ipip = iface.ipip;
    if (same.mtu === undefined && iface.mtu !== undefined) same.mtu = iface.mtu;
    if (same.mac === undefined && iface.mac !== undefined) same.mac = iface.mac;
    if (same.state === undefined && iface.state !== undefined) same.state = iface.state;
    if (same.master === undefined && iface.master !== undefined) same.master = iface.master;
    if (same.peerIndex === undefined && iface.peerIndex !== undefined) same.peerIndex = iface.peerIndex;
    if (same.linkNetnsId === undefined && iface.linkNetnsId !== undefined) same.linkNetnsId = iface.linkNetnsId;
    if (same.linkNetns === undefined && iface.linkNetns !== undefined) same.linkNetns = iface.linkNetns;
    if (same.flags.length === 0) same.flags = iface.flags;
  }
  const routeKey = (r: Route) => `${r.table} ${r.type} ${r.dst} ${r.metric ?? ''}`;
  const routes = new Set(ns.routes.map(routeKey));
  for (const r of parsed.routes ?? []) if (!routes.has(routeKey(r))) ns.routes.push(r);
  const rules = new Set(ns.rules.map((r) => `${r.priority} ${r.from} ${r.to} ${r.table} ${r.fwmark}`));
  for (const r of parsed.rules ?? []) if (!rules.has(`${r.priority} ${r.from} ${r.to} ${r.table} ${r.fwmark}`)) ns.rules.push(r);
  const neigh = new Set(ns.neighbours.map((n) => `${n.ip} ${n.dev}`));
  for (const n of parsed.neighbours ?? []) if (!neigh.has(`${n.ip} ${n.dev}`)) ns.neighbours.push(n);
  const fdb = new Set(ns.fdb.map((f) => `${f.mac} ${f.dev} ${f.dst ?? ''} ${f.vlan ?? ''}`));
  for (const f of parsed.fdb ?? []) if (!fdb.has(`${f.mac} ${f.dev} ${f.dst ?? ''} ${f.vlan ?? ''}`)) ns.fdb.push(f);
  for (const b of parsed.bridges ?? []) {
    const same = ns.bridges.find((x) => x.name === b.name);
    if (!same) {
      ns.bridges.push(b);
      continue;
    }
    for (const p of b.ports) if (!same.ports.includes(p)) same.ports.push(p);
  }
  if (parsed.iptables) ns.iptables.push(parsed.iptables);
  // Two listings of one table (`nft list table ip nat`, then the whole ruleset): the first is kept.
  for (const table of parsed.nft ?? []) if (!ns.nft.some((t) => t.family === table.family && t.name === table.name)) ns.nft.push(table);
  for (const set of parsed.ipsets ?? []) if (!ns.ipsets.some((s) => s.name === set.name)) ns.ipsets.push(set);
  for (const svc of parsed.ipvs ?? []) if (!ns.ipvs.some((s) => s.protocol === svc.protocol && s.address === svc.address && s.port === svc.port)) ns.ipvs.push(svc);
  // Later readings win: a transcript that runs `sysctl -w` then reads it back ends with the new value.
  for (const setting of parsed.sysctls ?? []) ns.sysctls.set(setting.key, setting.value);
}

/** A rule line (`-A …`, `[n:m] -A …`) comes before any `*table` line, or the text has none. */
function rulesBeforeTableLine(text: string): boolean {
  const header = /^\*[A-Za-z]/m.exec(text);
  if (header === null) return true;
  return /^\s*(?:\[\d+:\d+\]\s+)?-[AI]\s/m.test(text.slice(0, header.index));
}
