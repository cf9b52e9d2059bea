// Kubernetes services read back from kube-proxy's iptables-mode chains
// (kubernetes pkg/proxy/iptables/proxier.go):
//
//   nat KUBE-SERVICES  -d CLUSTER-IP -p tcp --dport P  "ns/name:port cluster IP"   -j KUBE-SVC-H
//                      -d EXTERNAL-IP …               "ns/name:port external IP"  -j KUBE-EXT-H
//   nat KUBE-NODEPORTS -p tcp --dport NODEPORT        "ns/name:port"               -j KUBE-EXT-H (older: KUBE-SVC-H)
//   nat KUBE-SVC-H     [-m recent --rcheck --seconds S -j KUBE-SEP-E]… (session affinity)
//                      -m statistic --probability 1/(n-i) -j KUBE-SEP-E   … last one without
//   nat KUBE-SEP-E     -j DNAT --to-destination IP:PORT
//   filter KUBE-SERVICES / KUBE-EXTERNAL-SERVICES  "ns/name:port has no endpoints" -j REJECT
//
// H is portProtoHash(name, protocol), the same for SVC/EXT/FW/SVL chains, so
// everything about one service port is gathered under H. Names come from the
// comments; kube-proxy drops per-endpoint comments above 1000 endpoints, and
// grep'd fragments may have none, so a chain without a naming comment is named
// by recomputing H from candidate names (e.g. `kubectl get svc`).
// The rules are read through their facts (parse/iptables/rule-facts.ts): the values below, as
// the first matching option of the built rule has them, gathered by the dump scanner without
// building 110,000 NfRules.
import type { Endpoint, NfChain, NfTable, Service, Warning } from '../model.ts';
import { factsOf, jumpChainsOf } from '../parse/iptables/lazy-chains.ts';
import { factsText, type RuleFacts } from '../parse/iptables/rule-facts.ts';
import { portProtoHash, servicePortNameString } from './chain-names.ts';

const NO_RULES: readonly RuleFacts[] = [];
const rulesOf = (chain: NfChain | undefined): readonly RuleFacts[] => (chain ? factsOf(chain) : NO_RULES);

export interface ServiceCandidate {
  namespace: string;
  name: string;
  portName?: string;
  protocol: string;
}

export interface ServicesResult {
  services: Service[];
  warnings: Warning[];
}

type Protocol = Service['protocol'];
const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];
/** Chains that carry a service port's hash (KUBE-XLB- is the pre-1.24 name of KUBE-SVL-). */
const HASHED_KINDS = new Set(['SVC', 'EXT', 'FW', 'SVL', 'XLB']);

function isHash(text: string, from: number): boolean {
  if (text.length - from !== 16) return false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x32 && c <= 0x37))) return false; // A-Z, 2-7
  }
  return true;
}

/** "KUBE-SVC-<hash>" → ["SVC", hash]; string tests, not a regex: this runs on every chain of a 40k-chain dump. */
function hashedChain(name: string): [string, string] | undefined {
  if (!name.startsWith('KUBE-')) return undefined;
  const dash = name.indexOf('-', 5);
  if (dash < 0 || !isHash(name, dash + 1)) return undefined;
  const kind = name.slice(5, dash);
  return HASHED_KINDS.has(kind) ? [kind, name.slice(dash + 1)] : undefined;
}

function isEndpointChain(name: string): boolean {
  return name.length === 25 && name.startsWith('KUBE-SEP-');
}

/** What was learnt about one service port (one hash) while reading the chains. */
interface Gathered {
  hash: string;
  servicePortName?: string;
  namedAt?: RuleFacts;
  // `| undefined`: filled with ??= from lookups that may find nothing.
  protocol?: Protocol | undefined;
  clusterIP?: string | undefined;
  port?: number | undefined;
  nodePorts: number[];
  externalIPs: string[];
  loadBalancerIPs: string[];
  noEndpointsReject: boolean;
  firstSeen: RuleFacts;
  /** The KUBE-SVC chain a KUBE-SERVICES rule jumps to (jumpChainsOf: found by the scan, not looked up by name again). */
  svcChain?: NfChain | undefined;
}

function comments(rule: RuleFacts): readonly string[] {
  return rule.comments;
}

function protocolOf(rule: RuleFacts): Protocol | undefined {
  if (rule.protocol === undefined || rule.protocolNegated) return undefined;
  const value = rule.protocol.toLowerCase();
  return PROTOCOLS.find((known) => known === value);
}

function hostAddress(cidr: string | undefined): string | undefined {
  if (cidr === undefined) return undefined;
  return cidr.endsWith('/32') || cidr.endsWith('/128') ? cidr.slice(0, cidr.lastIndexOf('/')) : cidr;
}

function toPort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port > 0 && port < 65536 ? port : undefined;
}

/** "ns/name:port cluster IP" → { name: "ns/name:port", role: "cluster IP" }; a bare "ns/name:port" has role "". */
const SERVICE_COMMENT = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[-a-z0-9]*)?)(?: (cluster IP|external IP|loadbalancer IP|has no endpoints|has no local endpoints|health check node port|-> .+))?$/;

function serviceComment(text: string): { name: string; role: string } | undefined {
  const match = SERVICE_COMMENT.exec(text);
  if (!match) return undefined;
  return { name: match[1]!, role: match[5] ?? '' };
}

/** The service port a rule's comment names, if any ("ns/name:port -> ip:port", "ns/name:port"). */
function commentedName(rule: RuleFacts): string | undefined {
  for (const text of comments(rule)) {
    const parsed = serviceComment(text);
    if (parsed) return parsed.name;
  }
  return undefined;
}

/** "10.244.1.3:80" or "[fd00::3]:80" → address and port. */
function splitEndpoint(text: string): { ip: string; port: number } | undefined {
  const colon = text.lastIndexOf(':');
  const port = toPort(text.slice(colon + 1));
  if (colon <= 0 || port === undefined) return undefined;
  const ip = text.charCodeAt(0) === 0x5b && text.charCodeAt(colon - 1) === 0x5d ? text.slice(1, colon - 1) : text.slice(0, colon);
  return ip.length > 0 ? { ip, port } : undefined;
}

/**
 * Reads the services kube-proxy programmed into `tables` (from parseIptablesSave)
 * on node `nodeName`. `candidates` name service ports whose chains have no comments.
 */
export function servicesFromNetfilter(
  tables: Record<string, NfTable>,
  nodeName: string,
  candidates: readonly ServiceCandidate[] = [],
): ServicesResult {
  const warnings: Warning[] = [];
  const nat = tables['nat'];
  const gathered = new Map<string, Gathered>();
  gatherEntryJumps(nat, gathered);
  gatherNoEndpointRejects(tables['filter'], gathered);
  if (gathered.size === 0) gatherFragmentChains(nat, gathered);

  const byHash = candidatesByHash(candidates);
  const services: Service[] = [];
  for (const entry of gathered.values()) services.push(toService(entry, nat, nodeName, byHash, warnings));
  services.sort(compareServices);
  return { services, warnings };
}

function gather(gathered: Map<string, Gathered>, hash: string, rule: RuleFacts): Gathered {
  let entry = gathered.get(hash);
  if (!entry) {
    entry = { hash, nodePorts: [], externalIPs: [], loadBalancerIPs: [], noEndpointsReject: false, firstSeen: rule };
    gathered.set(hash, entry);
  }
  return entry;
}

/** The first name found wins; `namedAt` remembers the rule for warnings and the hash check. */
function nameEntry(entry: Gathered, servicePortName: string, rule: RuleFacts): void {
  if (entry.servicePortName === undefined) {
    entry.servicePortName = servicePortName;
    entry.namedAt = rule;
  }
}

function addUnique<T>(list: T[], value: T | undefined): void {
  if (value !== undefined && !list.includes(value)) list.push(value);
}

/** Step 1. Entry points: nat KUBE-SERVICES and KUBE-NODEPORTS jumps to a hashed chain. */
function gatherEntryJumps(nat: NfTable | undefined, gathered: Map<string, Gathered>): void {
  for (const chainName of ['KUBE-SERVICES', 'KUBE-NODEPORTS']) {
    const chain = nat?.chains[chainName];
    const rules = rulesOf(chain);
    const jumps = chain ? jumpChainsOf(nat!, chain) : [];
    for (let k = 0; k < rules.length; k++) {
      const rule = rules[k]!;
      const target = rule.target !== undefined ? hashedChain(rule.target) : undefined;
      if (!target) continue;
      const entry = gather(gathered, target[1], rule);
      if (target[0] === 'SVC') entry.svcChain ??= jumps[k];
      entry.protocol ??= protocolOf(rule);
      const port = toPort(rule.dport);
      let role = '';
      for (const text of comments(rule)) {
        const parsed = serviceComment(text);
        if (parsed) {
          nameEntry(entry, parsed.name, rule);
          role = parsed.role;
        }
      }
      const destination = hostAddress(rule.destination);
      if (chainName === 'KUBE-NODEPORTS') {
        // The localhost copy (-d 127.0.0.0/8, nfacct) repeats the same node port.
        addUnique(entry.nodePorts, port);
      } else if (role === 'external IP') {
        addUnique(entry.externalIPs, destination);
        entry.port ??= port;
      } else if (role === 'loadbalancer IP') {
        addUnique(entry.loadBalancerIPs, destination);
        entry.port ??= port;
      } else if (role === 'cluster IP' || target[0] === 'SVC') {
        entry.clusterIP ??= destination;
        entry.port ??= port;
      }
    }
  }
}

/** Step 2. Services without endpoints exist only as filter REJECTs; name them by their comment's hash. */
function gatherNoEndpointRejects(filter: NfTable | undefined, gathered: Map<string, Gathered>): void {
  for (const chainName of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES']) {
    for (const rule of rulesOf(filter?.chains[chainName])) {
      if (rule.target !== 'REJECT') continue;
      const parsed = comments(rule).map(serviceComment).find((c) => c?.role === 'has no endpoints');
      const protocol = protocolOf(rule);
      if (!parsed || !protocol) continue;
      const entry = gather(gathered, portProtoHash(parsed.name, protocol), rule);
      nameEntry(entry, parsed.name, rule);
      entry.protocol ??= protocol;
      entry.noEndpointsReject = true;
      const port = toPort(rule.dport);
      const destination = hostAddress(rule.destination);
      if (chainName === 'KUBE-SERVICES') {
        entry.clusterIP ??= destination;
        entry.port ??= port;
      } else if (rule.hasDstType && !rule.dstTypeNegated && rule.dstType === 'LOCAL' && destination === undefined) addUnique(entry.nodePorts, port);
      else if (destination !== undefined) {
        addUnique(entry.externalIPs, destination);
        entry.port ??= port;
      }
    }
  }
}

/**
 * Step 3, only when steps 1 and 2 found nothing. A fragment without KUBE-SERVICES jumps (grep'd
 * KUBE-SVC lines): every hashed chain with rules is a service port. In a dump that has the jumps, a
 * hashed chain nothing jumps to is stale (kube-proxy in large clusters deletes old chains only now
 * and then), not a service; skipping the walk also spares going through all 40k chains of a big dump.
 */
function gatherFragmentChains(nat: NfTable | undefined, gathered: Map<string, Gathered>): void {
  for (const chainName in nat?.chains) {
    const match = hashedChain(chainName);
    const first = match ? rulesOf(nat.chains[chainName])[0] : undefined;
    if (match && first) gather(gathered, match[1], first);
  }
}

type CandidatesByHash = Map<string, { servicePortName: string; protocol: Protocol }>;

function candidatesByHash(candidates: readonly ServiceCandidate[]): CandidatesByHash {
  const byHash: CandidatesByHash = new Map();
  for (const candidate of candidates) {
    const protocol = PROTOCOLS.find((p) => p === candidate.protocol.toLowerCase());
    if (!protocol) continue;
    const servicePortName = servicePortNameString(candidate);
    byHash.set(portProtoHash(servicePortName, protocol), { servicePortName, protocol });
  }
  return byHash;
}

/** Step 4. One gathered hash → a Service: its endpoints, then its name settled, then the record. */
function toService(entry: Gathered, nat: NfTable | undefined, nodeName: string, byHash: CandidatesByHash, warnings: Warning[]): Service {
  const svcChain = entry.svcChain ?? nat?.chains[`KUBE-SVC-${entry.hash}`] ?? nat?.chains[`KUBE-SVL-${entry.hash}`] ?? nat?.chains[`KUBE-XLB-${entry.hash}`];
  const svcRules = rulesOf(svcChain);
  const read = readEndpoints(svcRules, svcChain && nat ? jumpChainsOf(nat, svcChain) : [], nat, warnings, entry.servicePortName === undefined, entry.clusterIP === undefined);
  fillFromServiceChain(entry, read, svcRules[0]);
  const recoveredByHash = settleName(entry, byHash, warnings);

  const servicePortName = entry.servicePortName ?? '';
  const slash = servicePortName.indexOf('/');
  const colon = servicePortName.indexOf(':', slash + 1);
  const service: Service = {
    namespace: slash > 0 ? servicePortName.slice(0, slash) : '',
    name: slash > 0 ? servicePortName.slice(slash + 1, colon > 0 ? colon : undefined) : `KUBE-SVC-${entry.hash}`,
    port: entry.port ?? 0,
    protocol: entry.protocol ?? 'tcp',
    nodePorts: entry.nodePorts,
    externalIPs: entry.externalIPs,
    endpoints: read.endpoints,
    noEndpointsReject: entry.noEndpointsReject,
    seenOn: [nodeName],
  };
  if (colon > 0 && colon < servicePortName.length - 1) service.portName = servicePortName.slice(colon + 1);
  if (entry.clusterIP !== undefined) service.clusterIP = entry.clusterIP;
  if (svcChain) service.svcChain = svcChain.name;
  if (read.sessionAffinitySeconds !== undefined) service.sessionAffinitySeconds = read.sessionAffinitySeconds;
  if (entry.loadBalancerIPs.length > 0) service.loadBalancerIPs = entry.loadBalancerIPs;
  if (recoveredByHash) service.recoveredByHash = true;
  return service;
}

/** What the SVC chain itself tells when the KUBE-SERVICES jump is missing (fragment, damaged line). */
function fillFromServiceChain(entry: Gathered, read: EndpointsRead, firstRule: RuleFacts | undefined): void {
  if (entry.clusterIP === undefined && read.masqueradeRule) {
    // The SVC chain's own "cluster IP" masquerade rule repeats -d CLUSTER-IP --dport PORT.
    entry.clusterIP = hostAddress(read.masqueradeRule.destination);
    entry.port ??= toPort(read.masqueradeRule.dport);
    entry.protocol ??= protocolOf(read.masqueradeRule);
  }
  if (entry.servicePortName === undefined && read.commentName && firstRule) nameEntry(entry, read.commentName, firstRule);
  entry.protocol ??= read.protocolFromSep;
}

/**
 * Checks a commented name against the chain hash, or recovers a missing name from the candidates.
 * Returns true when the name came from a candidate's hash.
 */
function settleName(entry: Gathered, byHash: CandidatesByHash, warnings: Warning[]): boolean {
  const where = entry.namedAt ?? entry.firstSeen;
  if (entry.servicePortName !== undefined) {
    // The hash decides the protocol when no rule said it, and checks a name that came from
    // elsewhere than the KUBE-SERVICES/KUBE-NODEPORTS jump itself (sha256 is the costly part
    // of indexing 10k services, and kube-proxy writes that jump's comment and chain together).
    const namedByJump = entry.namedAt !== undefined && entry.namedAt.target?.endsWith(entry.hash) === true;
    const protocols = entry.protocol ? [entry.protocol] : PROTOCOLS;
    const matching = namedByJump && entry.protocol ? entry.protocol : protocols.find((p) => portProtoHash(entry.servicePortName!, p) === entry.hash);
    if (matching) entry.protocol = matching;
    else {
      warnings.push({
        file: where.origin.file,
        line: where.line,
        message: `comment names ${entry.servicePortName} but its chain hash ${entry.hash} is not that name's (${entry.protocol ?? 'tcp/udp/sctp'}); kept the comment's name`,
        text: factsText(where),
      });
    }
    return false;
  }
  const candidate = byHash.get(entry.hash);
  if (candidate) {
    entry.servicePortName = candidate.servicePortName;
    entry.protocol = candidate.protocol;
    return true;
  }
  warnings.push({
    file: where.origin.file,
    line: where.line,
    message: `no comment names the service of KUBE-SVC-${entry.hash} and no candidate name hashes to it; listed under its chain name`,
    text: factsText(where),
  });
  return false;
}

function compareServices(a: Service, b: Service): number {
  return a.namespace !== b.namespace ? (a.namespace < b.namespace ? -1 : 1)
    : a.name !== b.name ? (a.name < b.name ? -1 : 1)
    : (a.portName ?? '') !== (b.portName ?? '') ? ((a.portName ?? '') < (b.portName ?? '') ? -1 : 1)
    : a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0;
}

interface EndpointsRead {
  endpoints: Endpoint[];
  sessionAffinitySeconds?: number;
  /** The service name from a "ns/name:port -> ip:port" or "ns/name:port" comment in the chain. */
  commentName?: string | undefined;
  protocolFromSep?: Protocol | undefined;
  /** `-j KUBE-MARK-MASQ` rule with a "… cluster IP" comment, as kube-proxy writes first in KUBE-SVC chains. */
  masqueradeRule?: RuleFacts;
}

/**
 * The endpoints of a KUBE-SVC chain in rule order. kube-proxy writes probability
 * 1/(n-i) on the i-th of n rules (none on the last), so endpoint i really gets
 * p_i · ∏_{j<i} (1 − p_j) of new connections: 1/n each, give or take the
 * statistic match's fixed-point rounding (0.3333333333 reads back as 0.33333333349).
 */
function readEndpoints(
  rules: readonly RuleFacts[],
  /** The chain each rule jumps to (jumpChainsOf), undefined where none is known: looked up by name. */
  jumps: readonly (NfChain | undefined)[],
  nat: NfTable | undefined,
  warnings: Warning[],
  wantName: boolean,
  wantClusterIP: boolean,
): EndpointsRead {
  const read: EndpointsRead = { endpoints: [] };
  let remaining = 1;
  for (let k = 0; k < rules.length; k++) {
    const rule = rules[k]!;
    const target = rule.target;
    if (target === 'KUBE-MARK-MASQ') {
      if (wantClusterIP && read.masqueradeRule === undefined && comments(rule).some((c) => serviceComment(c)?.role === 'cluster IP')) {
        read.masqueradeRule = rule;
      }
      continue;
    }
    if (target === undefined || !isEndpointChain(target)) continue;
    if (wantName && read.commentName === undefined) read.commentName = commentedName(rule);
    if (rule.recentCheck) {
      // Session affinity: a connection seen within --seconds goes back to its endpoint; not a draw.
      const seconds = Number(rule.seconds);
      if (Number.isInteger(seconds) && seconds > 0) read.sessionAffinitySeconds = seconds;
      continue;
    }
    const ruleProbability = rule.probability !== undefined ? Number(rule.probability) : undefined;
    const draw = ruleProbability !== undefined && Number.isFinite(ruleProbability) ? Math.min(Math.max(ruleProbability, 0), 1) : 1;
    const share = remaining * draw;
    remaining *= 1 - draw;

    const sep = jumps[k] ?? nat?.chains[target];
    let address: { ip: string; port: number } | undefined;
    let dnat: (typeof rule) | undefined;
    for (const sepRule of rulesOf(sep)) {
      if (sepRule.target !== 'DNAT') continue;
      dnat = sepRule;
      const destination = sepRule.toDestination;
      address = destination === undefined ? undefined : splitEndpoint(destination);
      read.protocolFromSep ??= protocolOf(sepRule);
      if (wantName && read.commentName === undefined) read.commentName = commentedName(sepRule);
      break;
    }
    if (!address && dnat !== undefined) {
      // The DNAT rule is there but sends nowhere (`--to-destination :0 … 0.0.0.0:0`, kubernetes#114537):
      // that is what the kernel does, so the comment's "-> ip:port" is not taken for it.
      warnings.push({
        file: dnat.origin.file,
        line: dnat.line,
        message: `${target}: its DNAT rule's --to-destination (${dnat.toDestination ?? 'none'}) names no endpoint (an address and a port): this endpoint (share ${share.toFixed(4)}) leads nowhere and is not listed`,
        text: factsText(dnat),
      });
      continue;
    }
    if (!address) {
      // Without the KUBE-SEP chain (a grep'd fragment) the "-> ip:port" comment still tells where it goes.
      const arrow = comments(rule).map((c) => /-> (\S+)$/.exec(c)?.[1]).find((c) => c !== undefined);
      address = arrow === undefined ? undefined : splitEndpoint(arrow);
    }
    if (!address) {
      warnings.push({
        file: rule.origin.file,
        line: rule.line,
        message: `${target}: no DNAT rule in the dump tells this endpoint's address; its share (${share.toFixed(4)}) is counted but the endpoint is not listed`,
        text: factsText(rule),
      });
      continue;
    }
    // Born with its final shape: adding ruleProbability afterwards gave 30,000 endpoints a property store each.
    read.endpoints.push(
      ruleProbability !== undefined && Number.isFinite(ruleProbability)
        ? { ip: address.ip, port: address.port, probability: share, sepChain: target, ruleProbability }
        : { ip: address.ip, port: address.port, probability: share, sepChain: target },
    );
  }
  return read;
}
