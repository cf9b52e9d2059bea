// Kubernetes services read back from kube-proxy's nftables mode (kubernetes
// pkg/proxy/nftables/proxier.go), all in `table ip kube-proxy` (ip6 for IPv6):
//
//   map service-ips       { CLUSTER-IP . tcp . 80 : goto service-H-ns/name/tcp/port,
//                           EXTERNAL-IP . tcp . 80 : goto external-H-ns/name/tcp/port }
//   map service-nodeports { tcp . 30080 : goto external-H-ns/name/tcp/port }
//   chain service-H-ns/name/tcp/port {
//       ip daddr CLUSTER-IP ip saddr != CLUSTER-CIDR jump mark-for-masquerade
//       numgen random mod N vmap { 0 : goto endpoint-E0-…__IP0/PORT, 1 : goto … }   each endpoint 1/N
//   }
//   chain endpoint-E-ns/name/tcp/port__IP/PORT { …; meta l4proto tcp dnat to IP:PORT }
//   map no-endpoint-services  { CLUSTER-IP . tcp . 80 comment "ns/name:port" : goto reject-chain }
//   map no-endpoint-nodeports { tcp . 30080 comment "ns/name:port" : goto reject-chain }
//
// H is base32(sha256("ns/name/proto/port"))[:8]: the name is in the chain name itself, so no
// comment or candidate list is needed. The result is the same Service model the iptables
// mode's reader fills (services.ts).
import type { Endpoint, NftChain, NftElement, NftTable, Service, Warning } from '../model.ts';

type Protocol = Service['protocol'];
const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];
/** service-, local- (Local traffic policy), external- prefixes, the 8-character hash, then ns/name/proto/port. */
const SERVICE_CHAIN = /^(service|local|external|firewall)-([A-Z2-7]{8})-([^/]+)\/([^/]+)\/(tcp|udp|sctp)\/(.*)$/;

interface Gathered {
  hash: string;
  namespace: string;
  name: string;
  protocol: Protocol;
  portName: string;
  clusterIP?: string | undefined;
  port?: number | undefined;
  nodePorts: number[];
  externalIPs: string[];
  noEndpointsReject: boolean;
  svcChain?: NftChain | undefined;
}

/** The kube-proxy tables of a node's nft ruleset (`ip kube-proxy`, `ip6 kube-proxy`). */
export function kubeProxyNftTables(tables: readonly NftTable[]): NftTable[] {
  return tables.filter((t) => t.name === 'kube-proxy' && (t.family === 'ip' || t.family === 'ip6'));
}

function targetOf(element: NftElement): string | undefined {
  const v = element.verdict;
  return v && (v.kind === 'goto' || v.kind === 'jump') ? v.target : undefined;
}

function toPort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port > 0 && port < 65536 ? port : undefined;
}

export function servicesFromNft(tables: readonly NftTable[], nodeName: string): { services: Service[]; warnings: Warning[] } {
  const warnings: Warning[] = [];
  const services: Service[] = [];
  for (const table of kubeProxyNftTables(tables)) {
    const gathered = new Map<string, Gathered>();
    const gather = (chainName: string): Gathered | undefined => {
      const m = SERVICE_CHAIN.exec(chainName);
      if (!m) return undefined;
      const key = `${m[3]}/${m[4]}/${m[5]}/${m[6]}`;
      let entry = gathered.get(key);
      if (!entry) {
        const protocol = PROTOCOLS.find((p) => p === m[5])!;
        entry = { hash: m[2]!, namespace: m[3]!, name: m[4]!, protocol, portName: m[6]!.replace(/\.\.\.$/, ''), nodePorts: [], externalIPs: [], noEndpointsReject: false };
        gathered.set(key, entry);
      }
      if (m[1] === 'service' || m[1] === 'local') entry.svcChain ??= table.chains[chainName];
      return entry;
    };

    for (const element of table.sets['service-ips']?.elements ?? []) {
      const target = targetOf(element);
      const entry = target === undefined ? undefined : gather(target);
      if (!entry) continue;
      const [address, , port] = element.key;
      if (target!.startsWith('external-')) {
        if (address !== undefined && !entry.externalIPs.includes(address)) entry.externalIPs.push(address);
      } else entry.clusterIP ??= address;
      entry.port ??= toPort(port);
    }
    for (const element of table.sets['service-nodeports']?.elements ?? []) {
      const target = targetOf(element);
      const entry = target === undefined ? undefined : gather(target);
      const port = toPort(element.key[1]);
      if (entry && port !== undefined && !entry.nodePorts.includes(port)) entry.nodePorts.push(port);
    }
    // Services without endpoints have no chains: only these elements, named by their comment.
    const clusterIPs = new Set((table.sets['cluster-ips']?.elements ?? []).map((e) => e.key[0]));
    for (const mapName of ['no-endpoint-services', 'no-endpoint-nodeports']) {
      for (const element of table.sets[mapName]?.elements ?? []) {
        const comment = /^([^/]+)\/([^:]+)(?::(.*))?$/.exec(element.comment ?? '');
        const nodePort = mapName === 'no-endpoint-nodeports';
        const protocol = PROTOCOLS.find((p) => p === element.key[nodePort ? 0 : 1]);
        if (!comment || !protocol) {
          warnings.push({ file: table.sets[mapName]!.source.file, line: table.sets[mapName]!.source.line, message: `${mapName}: an element without a "namespace/name:port" comment (${element.key.join(' . ')}); not listed as a service` });
          continue;
        }
        const key = `${comment[1]}/${comment[2]}/${protocol}/${comment[3] ?? ''}`;
        let entry = gathered.get(key);
        if (!entry) {
          entry = { hash: '', namespace: comment[1]!, name: comment[2]!, protocol, portName: comment[3] ?? '', nodePorts: [], externalIPs: [], noEndpointsReject: false };
          gathered.set(key, entry);
        }
        // drop (Local policy without local endpoints) is not a REJECT; reject-chain is.
        const rejects = element.verdict?.kind === 'goto' || element.verdict?.kind === 'jump';
        if (rejects) entry.noEndpointsReject = true;
        if (nodePort) {
          const port = toPort(element.key[1]);
          if (port !== undefined && !entry.nodePorts.includes(port)) entry.nodePorts.push(port);
        } else {
          const [address, , port] = element.key;
          if (address !== undefined && clusterIPs.has(address)) entry.clusterIP ??= address;
          else if (address !== undefined && !entry.externalIPs.includes(address)) entry.externalIPs.push(address);
          entry.port ??= toPort(port);
        }
      }
    }

    // A fragment without the maps (`nft list chain …`, a cut listing): every service chain is a service port.
    if (gathered.size === 0) for (const name of Object.keys(table.chains)) if (/^(service|local)-/.test(name)) gather(name);

    for (const entry of gathered.values()) {
      // Without its service-ips element the cluster IP is still in the chain's masquerade rule (`ip daddr CIP … jump mark-for-masquerade`).
      entry.clusterIP ??= entry.svcChain ? masqueradeDestination(entry.svcChain) : undefined;
      const service: Service = {
        namespace: entry.namespace,
        name: entry.name,
        port: entry.port ?? 0,
        protocol: entry.protocol,
        nodePorts: entry.nodePorts,
        externalIPs: entry.externalIPs,
        endpoints: entry.svcChain ? readEndpoints(table, entry.svcChain, warnings) : [],
        noEndpointsReject: entry.noEndpointsReject,
        seenOn: [nodeName],
      };
      if (entry.portName !== '') service.portName = entry.portName;
      if (entry.clusterIP !== undefined) service.clusterIP = entry.clusterIP;
      if (entry.svcChain) service.svcChain = entry.svcChain.name;
      const affinity = entry.svcChain ? affinitySeconds(table, entry.svcChain) : undefined;
      if (affinity !== undefined) service.sessionAffinitySeconds = affinity;
      services.push(service);
    }
  }
  return { services, warnings };
}

/**
 * The endpoints of a service chain: its `numgen random mod N vmap { i : goto endpoint-… }`
 * gives each of the N elements 1/N of new connections (numgen draws 0…N-1 uniformly).
 * The address is the endpoint chain's `dnat to IP:PORT`, else the chain name's `__IP/PORT`.
 */
function readEndpoints(table: NftTable, chain: NftChain, warnings: Warning[]): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const rule of chain.rules) {
    for (const expr of rule.exprs) {
      if (expr.kind !== 'vmap' || expr.key.kind !== 'numgen' || expr.map.kind !== 'elements') continue;
      const elements = expr.map.elements;
      for (const element of elements) {
        const target = targetOf(element);
        if (target === undefined) continue;
        const address = endpointAddress(table.chains[target], target);
        if (!address) {
          warnings.push({ file: rule.source.file, line: rule.source.line, message: `${target}: neither a dnat rule nor the chain name tells this endpoint's address; not listed`, text: rule.text });
          continue;
        }
        endpoints.push({ ip: address.ip, port: address.port, probability: 1 / expr.key.mod, sepChain: target });
      }
      if (elements.length !== expr.key.mod) {
        warnings.push({ file: rule.source.file, line: rule.source.line, message: `numgen random mod ${expr.key.mod} has ${elements.length} elements: a draw without an element falls through to the next rule`, text: rule.text });
      }
    }
  }
  return endpoints;
}

function endpointAddress(chain: NftChain | undefined, name: string): { ip: string; port: number } | undefined {
  for (const rule of chain?.rules ?? []) {
    for (const expr of rule.exprs) {
      if (expr.kind === 'nat' && expr.type === 'dnat' && expr.addr !== undefined && expr.port !== undefined) return { ip: expr.addr, port: expr.port };
    }
  }
  const m = /__([0-9.]+|[0-9a-f:]+)\/(\d{1,5})$/.exec(name);
  return m ? { ip: m[1]!, port: Number(m[2]) } : undefined;
}

/**
 * ClientIP session affinity: `ip saddr @affinity-… goto endpoint-…` before the numgen rule, each
 * affinity set made with `flags dynamic,timeout; timeout <sessionAffinity timeout>`.
 */
function affinitySeconds(table: NftTable, chain: NftChain): number | undefined {
  for (const rule of chain.rules) {
    for (const expr of rule.exprs) {
      if (expr.kind !== 'match' || expr.right.kind !== 'set' || !expr.right.name.startsWith('affinity-')) continue;
      const set = Object.hasOwn(table.sets, expr.right.name) ? table.sets[expr.right.name] : undefined;
      if (set?.timeoutSeconds !== undefined) return set.timeoutSeconds;
    }
  }
  return undefined;
}

function masqueradeDestination(chain: NftChain): string | undefined {
  for (const rule of chain.rules) {
    const jump = rule.exprs.find((e) => e.kind === 'verdict' && e.verdict.kind === 'jump' && e.verdict.target === 'mark-for-masquerade');
    if (!jump) continue;
    for (const e of rule.exprs) {
      if (e.kind === 'match' && e.op === '==' && e.left.kind === 'payload' && e.left.field === 'daddr' && e.right.kind === 'values' && e.right.values.length === 1) return e.right.values[0]![0];
    }
  }
  return undefined;
}
