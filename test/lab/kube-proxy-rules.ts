// Writes the iptables-restore input that kube-proxy (iptables mode, IPv4,
// Cluster traffic policies) would write for a given set of services, so the lab
// and the benchmarks can load real-shaped kube-proxy rules without a cluster.
//
//   node bin/run-ts.js test/lab/kube-proxy-rules.ts SPEC.json > rules.txt
//   iptables-restore < rules.txt            (in a throwaway network namespace)
//
// Modelled on kubernetes pkg/proxy/iptables/proxier.go syncProxyRules() (1.27+):
// the argument order of each line is the order proxier.go appends them; the
// file holds *filter then *nat, chain declarations before rules, as
// proxier.iptablesData does. Two additions make the file loadable on its own
// with a plain (flushing) iptables-restore: the built-in chains are declared,
// and the jumps into kube-proxy's chains, which kube-proxy itself adds with
// `iptables -I` (EnsureRule Prepend, so the last listed ends up first) and
// kubelet adds for KUBE-FIREWALL, are written as -A lines in the order the
// kernel ends up holding them. Set builtinJumps:false to get only kube-proxy's
// own restore input (for `iptables-restore --noflush` on a node with rules).
//
// Not modelled: LoadBalancer IPs and source ranges (KUBE-FW-), Local traffic
// policies (KUBE-SVL-), health-check node ports, nfacct counters, IPv6.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  endpointChainName,
  externalChainName,
  ruleProbabilityText,
  serviceChainName,
  servicePortNameString,
} from '../../src/topology/kube-proxy/chain-names.ts';

export interface EndpointSpec {
  ip: string;
  port: number;
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  /** Absent or "" for an unnamed port (chain hash input "ns/name" then). */
  portName?: string;
  clusterIP: string;
  port: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  nodePort?: number;
  externalIPs?: string[];
  /** sessionAffinity: ClientIP with this timeout (kube-proxy's default is 10800). */
  sessionAffinitySeconds?: number;
  endpoints: EndpointSpec[];
}

export interface KubeProxySpec {
  /** --cluster-cidr: traffic from outside it to a cluster IP is marked for masquerade. */
  clusterCIDR: string;
  services: ServiceSpec[];
  /** --masquerade-all: mark all cluster IP traffic (no `! -s clusterCIDR`). */
  masqueradeAll?: boolean;
  /** 1 << --iptables-masquerade-bit (14 by default). */
  masqueradeMark?: string;
  /** MASQUERADE --random-fully, which kube-proxy adds when iptables supports it (all current ones). */
  randomFully?: boolean;
  /** kube-proxy drops per-endpoint comments when the cluster has more than 1000 endpoints. */
  largeClusterMode?: boolean;
  /** Declare the built-in chains and write the jumps into kube-proxy's chains (default true). */
  builtinJumps?: boolean;
}

/** kube-proxy's largeClusterEndpointsThreshold. */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;
const DEFAULT_MASQUERADE_MARK = '0x4000';

const quote = (text: string): string => `"${text}"`;

/** The iptables-restore input kube-proxy would write for `spec`. */
export function kubeProxyRestoreInput(spec: KubeProxySpec): string {
  const mark = spec.masqueradeMark ?? DEFAULT_MASQUERADE_MARK;
  const totalEndpoints = spec.services.reduce((sum, svc) => sum + svc.endpoints.length, 0);
  const largeClusterMode = spec.largeClusterMode ?? totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
  const jumps = spec.builtinJumps ?? true;

  const filterChains: string[] = [];
  const filterRules: string[] = [];
  const natChains: string[] = [];
  const natRules: string[] = [];
  const chainLine = (name: string): string => `:${name} - [0:0]`;

  if (jumps) {
    for (const builtin of ['INPUT', 'FORWARD', 'OUTPUT']) filterChains.push(`:${builtin} ACCEPT [0:0]`);
    for (const builtin of ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']) natChains.push(`:${builtin} ACCEPT [0:0]`);
  }
  for (const chain of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) {
    filterChains.push(chainLine(chain));
  }
  for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) natChains.push(chainLine(chain));

  if (jumps) {
    // iptablesJumpChains, each inserted at the top (so the list reversed per source chain), then kubelet's KUBE-FIREWALL.
    const ctNew = '-m conntrack --ctstate NEW';
    filterRules.push(
      `-A INPUT ${ctNew} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
      '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      `-A INPUT ${ctNew} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
      '-A INPUT -j KUBE-FIREWALL',
      `-A FORWARD ${ctNew} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      `-A FORWARD ${ctNew} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
      `-A FORWARD ${ctNew} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
      `-A OUTPUT ${ctNew} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
      `-A OUTPUT ${ctNew} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
      '-A OUTPUT -j KUBE-FIREWALL',
    );
    natRules.push(
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    );
  }

  natRules.push(
    `-A KUBE-POSTROUTING -m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${mark}`,
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE' +
      (spec.randomFully ?? true ? ' --random-fully' : ''),
    `-A KUBE-MARK-MASQ -j MARK --or-mark ${mark}`,
  );
  // localhostNodePorts (the default) on IPv4: kube-proxy owns the rule kubelet also creates.
  filterChains.push(chainLine('KUBE-FIREWALL'));
  filterRules.push(
    '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  );

  for (const svc of spec.services) {
    const svcName = servicePortNameString(svc);
    const proto = svc.protocol;
    const protoArgs = `-m ${proto} -p ${proto}`;
    const svcChain = serviceChainName(svcName, proto);
    const extChain = externalChainName(svcName, proto);
    const hasEndpoints = svc.endpoints.length > 0;
    const externalIPs = svc.externalIPs ?? [];
    const externallyAccessible = svc.nodePort !== undefined || externalIPs.length > 0;
    const noEndpointsComment = quote(`${svcName} has no endpoints`);
    const clusterIPArgs = `-m comment --comment ${quote(`${svcName} cluster IP`)} ${protoArgs} -d ${svc.clusterIP} --dport ${svc.port}`;
    const serviceComment = (args: string): string => (largeClusterMode ? args : `${args} -m comment --comment ${svcName}`);

    if (hasEndpoints) natRules.push(`-A KUBE-SERVICES ${clusterIPArgs} -j ${svcChain}`);
    else {
      filterRules.push(
        `-A KUBE-SERVICES -m comment --comment ${noEndpointsComment} ${protoArgs} -d ${svc.clusterIP} --dport ${svc.port} -j REJECT`,
      );
    }
    for (const externalIP of externalIPs) {
      if (hasEndpoints) {
        natRules.push(
          `-A KUBE-SERVICES -m comment --comment ${quote(`${svcName} external IP`)} ${protoArgs} -d ${externalIP} --dport ${svc.port} -j ${extChain}`,
        );
      } else {
        filterRules.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${noEndpointsComment} ${protoArgs} -d ${externalIP} --dport ${svc.port} -j REJECT`,
        );
      }
    }
    if (svc.nodePort !== undefined) {
      if (hasEndpoints) {
        natRules.push(`-A KUBE-NODEPORTS -m comment --comment ${svcName} ${protoArgs} --dport ${svc.nodePort} -j ${extChain}`);
      } else {
        filterRules.push(
          `-A KUBE-EXTERNAL-SERVICES -m comment --comment ${noEndpointsComment} -m addrtype --dst-type LOCAL ${protoArgs} --dport ${svc.nodePort} -j REJECT`,
        );
      }
    }
    if (!hasEndpoints) continue; // no nat chains at all for a service without endpoints

    natRules.push(
      spec.masqueradeAll
        ? `-A ${svcChain} ${clusterIPArgs} -j KUBE-MARK-MASQ`
        : `-A ${svcChain} ${clusterIPArgs} ! -s ${spec.clusterCIDR} -j KUBE-MARK-MASQ`,
    );
    if (externallyAccessible) {
      natChains.push(chainLine(extChain));
      natRules.push(
        `-A ${extChain} -m comment --comment ${quote(`masquerade traffic for ${svcName} external destinations`)} -j KUBE-MARK-MASQ`,
        `-A ${extChain} -j ${svcChain}`,
      );
    }

    // writeServiceToEndpointRules: affinity checks first, then the chained 1/(n-i) draw.
    natChains.push(chainLine(svcChain));
    const endpoints = svc.endpoints.map((ep) => {
      const endpoint = `${ep.ip}:${ep.port}`;
      return { ep, endpoint, chain: endpointChainName(svcName, proto, endpoint) };
    });
    const endpointComment = (endpoint: string): string =>
      largeClusterMode ? '' : ` -m comment --comment ${quote(`${svcName} -> ${endpoint}`)}`;
    if (svc.sessionAffinitySeconds !== undefined) {
      for (const { endpoint, chain } of endpoints) {
        natRules.push(
          `-A ${svcChain}${endpointComment(endpoint)} -m recent --name ${chain} --rcheck --seconds ${svc.sessionAffinitySeconds} --reap -j ${chain}`,
        );
      }
    }
    endpoints.forEach(({ endpoint, chain }, i) => {
      const draw = i < endpoints.length - 1 ? ` -m statistic --mode random --probability ${ruleProbabilityText(endpoints.length - i)}` : '';
      natRules.push(`-A ${svcChain}${endpointComment(endpoint)}${draw} -j ${chain}`);
    });

    for (const { ep, endpoint, chain } of endpoints) {
      natChains.push(chainLine(chain));
      natRules.push(`${serviceComment(`-A ${chain}`)} -s ${ep.ip} -j KUBE-MARK-MASQ`);
      const affinity = svc.sessionAffinitySeconds !== undefined ? ` -m recent --name ${chain} --set` : '';
      natRules.push(`${serviceComment(`-A ${chain}`)}${affinity} ${protoArgs} -j DNAT --to-destination ${endpoint}`);
    }
  }

  natRules.push(
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  filterRules.push(
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );

  return ['*filter', ...filterChains, ...filterRules, 'COMMIT', '*nat', ...natChains, ...natRules, 'COMMIT', ''].join('\n');
}

/**
 * A cluster of `services` ClusterIP services with `endpointsPerService` endpoints each
 * (every tenth one also a NodePort), for benchmarks. Addresses are laid out so that
 * no two services or endpoints collide: cluster IPs from 10.96.0.0/12, pods from 10.244.0.0/16.
 */
export function syntheticSpec(services: number, endpointsPerService: number): KubeProxySpec {
  const ipv4 = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  const serviceBase = (10 << 24) | (96 << 16); // 10.96.0.0
  const podBase = (10 << 24) | (244 << 16); // 10.244.0.0
  const specs: ServiceSpec[] = [];
  let pod = 2;
  for (let i = 0; i < services; i++) {
    const endpoints: EndpointSpec[] = [];
    for (let j = 0; j < endpointsPerService; j++) endpoints.push({ ip: ipv4(podBase + pod++), port: 8080 });
    const svc: ServiceSpec = {
      namespace: `ns${i % 50}`,
      name: `svc-${i}`,
      portName: 'http',
      clusterIP: ipv4(serviceBase + 10 + i),
      port: 80,
      protocol: 'tcp',
      endpoints,
    };
    if (i % 10 === 0) svc.nodePort = 30000 + (i / 10) % 2768;
    specs.push(svc);
  }
  return { clusterCIDR: '10.244.0.0/16', services: specs };
}

// ---- spec file reading (the lab passes JSON) ----

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([12]?\d|3[0-2])$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class SpecError extends Error {
  override name = 'SpecError';
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536;
}

/** Checks a spec read from JSON; throws SpecError naming the bad field. */
export function checkSpec(value: unknown): KubeProxySpec {
  const fail = (where: string, what: string): never => {
    throw new SpecError(`${where}: expected ${what}`);
  };
  if (typeof value !== 'object' || value === null) fail('spec', 'a JSON object');
  const spec = value as Record<string, unknown>;
  if (typeof spec['clusterCIDR'] !== 'string' || !CIDR4.test(spec['clusterCIDR'])) fail('clusterCIDR', 'an IPv4 CIDR like "10.244.0.0/16"');
  if (!Array.isArray(spec['services'])) fail('services', 'an array');
  const seen = new Set<string>();
  (spec['services'] as unknown[]).forEach((raw, i) => {
    const at = `services[${i}]`;
    if (typeof raw !== 'object' || raw === null) fail(at, 'an object');
    const svc = raw as Record<string, unknown>;
    for (const key of ['namespace', 'name'] as const) {
      if (typeof svc[key] !== 'string' || !DNS_LABEL.test(svc[key])) fail(`${at}.${key}`, 'a DNS label');
    }
    if (svc['portName'] !== undefined && (typeof svc['portName'] !== 'string' || (svc['portName'] !== '' && !DNS_LABEL.test(svc['portName'])))) {
      fail(`${at}.portName`, 'a DNS label or ""');
    }
    if (typeof svc['clusterIP'] !== 'string' || !IPV4.test(svc['clusterIP'])) fail(`${at}.clusterIP`, 'an IPv4 address');
    if (!isPort(svc['port'])) fail(`${at}.port`, 'a port 1-65535');
    if (svc['protocol'] !== 'tcp' && svc['protocol'] !== 'udp' && svc['protocol'] !== 'sctp') fail(`${at}.protocol`, '"tcp", "udp" or "sctp"');
    if (svc['nodePort'] !== undefined && !isPort(svc['nodePort'])) fail(`${at}.nodePort`, 'a port 1-65535');
    if (svc['sessionAffinitySeconds'] !== undefined && !(Number.isInteger(svc['sessionAffinitySeconds']) && (svc['sessionAffinitySeconds'] as number) > 0)) {
      fail(`${at}.sessionAffinitySeconds`, 'a positive integer');
    }
    if (svc['externalIPs'] !== undefined) {
      if (!Array.isArray(svc['externalIPs'])) fail(`${at}.externalIPs`, 'an array');
      (svc['externalIPs'] as unknown[]).forEach((ip, j) => {
        if (typeof ip !== 'string' || !IPV4.test(ip)) fail(`${at}.externalIPs[${j}]`, 'an IPv4 address');
      });
    }
    if (!Array.isArray(svc['endpoints'])) fail(`${at}.endpoints`, 'an array');
    (svc['endpoints'] as unknown[]).forEach((ep, j) => {
      const e = (typeof ep === 'object' && ep !== null ? ep : {}) as Record<string, unknown>;
      if (typeof e['ip'] !== 'string' || !IPV4.test(e['ip'])) fail(`${at}.endpoints[${j}].ip`, 'an IPv4 address');
      if (!isPort(e['port'])) fail(`${at}.endpoints[${j}].port`, 'a port 1-65535');
    });
    const key = `${String(svc['namespace'])}/${String(svc['name'])}:${String(svc['portName'] ?? '')}/${String(svc['protocol'])}`;
    if (seen.has(key)) fail(at, `a service port not listed twice (${key})`);
    seen.add(key);
  });
  return spec as unknown as KubeProxySpec;
}

async function main(argv: string[]): Promise<number> {
  const [file] = argv;
  if (!file || argv.length > 1) {
    process.stderr.write('usage: node bin/run-ts.js test/lab/kube-proxy-rules.ts SPEC.json\n');
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    process.stderr.write(`${file}: cannot read: ${(error as Error).message}\n`);
    return 1;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    process.stderr.write(`${file}: not JSON: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    process.stdout.write(kubeProxyRestoreInput(checkSpec(parsed)));
  } catch (error) {
    if (error instanceof SpecError) {
      process.stderr.write(`${file}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
