// Writes the `nft -f` input that kube-proxy's nftables mode (IPv4, Cluster traffic
// policies) writes for a set of services, so the lab can load real-shaped rules.
//
//   node bin/run-ts.js test/lab/kube-proxy-nft-rules.ts SPEC.json NODE-IP > rules.nft
//   nft -f rules.nft                          (in a throwaway network namespace)
//
// Modelled line by line on kubernetes pkg/proxy/nftables/proxier.go syncProxyRules() as
// its own test spells the result (proxier_test.go baseRules and TestOverallNFTablesRules):
// table `ip kube-proxy`; sets cluster-ips and nodeport-ips; verdict maps service-ips,
// service-nodeports, no-endpoint-services, no-endpoint-nodeports, firewall-ips; the
// filter-*/nat-* base chains; per service port a `service-HASH-ns/name/proto/port` chain
// (masquerade rule, `numgen random mod N vmap`), an `external-…` chain when it has a
// NodePort, and one `endpoint-HASH-…__IP/PORT` chain per endpoint. A service without
// endpoints gets only its no-endpoint-services element (goto reject-chain).
// Not modelled: LoadBalancer IPs and source ranges, Local traffic policy, session affinity, IPv6.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { nftChainNameBase } from '../../src/topology/kube-proxy/chain-names.ts';
import { checkSpec, type KubeProxySpec, type ServiceSpec } from './kube-proxy-rules.ts';

const T = 'ip kube-proxy';

function baseRules(spec: KubeProxySpec, nodeIPs: readonly string[], mark: string): string[] {
  return [
    `add table ${T} { comment "rules for kube-proxy" ; }`,
    `add set ${T} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add set ${T} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
    `add map ${T} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`,
    `add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
    `add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
    `add chain ${T} cluster-ips-check`,
    `add chain ${T} filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }`,
    `add chain ${T} filter-output-pre-dnat { type filter hook output priority -110 ; }`,
    `add chain ${T} filter-forward { type filter hook forward priority 0 ; }`,
    `add chain ${T} filter-input { type filter hook input priority 0 ; }`,
    `add chain ${T} filter-output { type filter hook output priority 0 ; }`,
    `add chain ${T} firewall-check`,
    `add chain ${T} mark-for-masquerade`,
    `add chain ${T} masquerading`,
    `add chain ${T} nat-output { type nat hook output priority -100 ; }`,
    `add chain ${T} nat-postrouting { type nat hook postrouting priority 100 ; }`,
    `add chain ${T} nat-prerouting { type nat hook prerouting priority -100 ; }`,
    `add chain ${T} nodeport-endpoints-check`,
    `add chain ${T} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
    `add chain ${T} services`,
    `add chain ${T} service-endpoints-check`,
    `add rule ${T} cluster-ips-check ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"`,
    // The service CIDR (kube-proxy's --service-cluster-ip-range): the lab's cluster IPs sit in 10.96.0.0/16.
    `add rule ${T} cluster-ips-check ip daddr { 10.96.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"`,
    `add rule ${T} filter-prerouting-pre-dnat ct state new jump firewall-check`,
    `add rule ${T} filter-forward ct state new jump service-endpoints-check`,
    `add rule ${T} filter-forward ct state new jump cluster-ips-check`,
    `add rule ${T} filter-input ct state new jump nodeport-endpoints-check`,
    `add rule ${T} filter-input ct state new jump service-endpoints-check`,
    `add rule ${T} filter-output ct state new jump service-endpoints-check`,
    `add rule ${T} filter-output-pre-dnat ct state new jump firewall-check`,
    `add rule ${T} filter-output ct state new jump cluster-ips-check`,
    `add rule ${T} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips`,
    `add rule ${T} mark-for-masquerade mark set mark or ${mark}`,
    `add rule ${T} masquerading mark and ${mark} == 0 return`,
    `add rule ${T} masquerading mark set mark xor ${mark}`,
    `add rule ${T} masquerading masquerade fully-random`,
    `add rule ${T} nat-output jump services`,
    `add rule ${T} nat-postrouting jump masquerading`,
    `add rule ${T} nat-prerouting jump services`,
    `add rule ${T} nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports`,
    `add rule ${T} reject-chain reject`,
    `add rule ${T} services ip daddr . meta l4proto . th dport vmap @service-ips`,
    `add rule ${T} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`,
    ...nodeIPs.map((ip) => `add element ${T} nodeport-ips { ${ip} }`),
    `add rule ${T} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
  ];
}

function serviceRules(spec: KubeProxySpec, svc: ServiceSpec): string[] {
  const portName = svc.portName ?? '';
  const base = `${svc.namespace}/${svc.name}/${svc.protocol}/${portName}`;
  const serviceChain = `service-${nftChainNameBase(base)}`;
  const externalChain = `external-${nftChainNameBase(base)}`;
  const comment = `${svc.namespace}/${svc.name}${portName ? `:${portName}` : ''}`;
  const lines = [`# ${comment}`];
  if (svc.endpoints.length === 0) {
    lines.push(`add element ${T} cluster-ips { ${svc.clusterIP} }`);
    lines.push(`add element ${T} no-endpoint-services { ${svc.clusterIP} . ${svc.protocol} . ${svc.port} comment "${comment}" : goto reject-chain }`);
    if (svc.nodePort !== undefined) lines.push(`add element ${T} no-endpoint-nodeports { ${svc.protocol} . ${svc.nodePort} comment "${comment}" : goto reject-chain }`);
    return lines;
  }
  const endpoints = svc.endpoints.map((ep) => ({ ...ep, chain: `endpoint-${nftChainNameBase(`${base}__${ep.ip}/${ep.port}`)}` }));
  // kube-proxy adds every chain of the transaction before the rules that name them.
  lines.push(`add chain ${T} ${serviceChain}`);
  if (svc.nodePort !== undefined) lines.push(`add chain ${T} ${externalChain}`);
  for (const ep of endpoints) lines.push(`add chain ${T} ${ep.chain}`);
  const masq = spec.masqueradeAll ? '' : ` ip saddr != ${spec.clusterCIDR}`;
  lines.push(`add rule ${T} ${serviceChain} ip daddr ${svc.clusterIP}${masq} jump mark-for-masquerade`);
  lines.push(`add rule ${T} ${serviceChain} numgen random mod ${endpoints.length} vmap { ${endpoints.map((ep, i) => `${i} : goto ${ep.chain}`).join(' , ')} }`);
  if (svc.nodePort !== undefined) {
    lines.push(`add rule ${T} ${externalChain} jump mark-for-masquerade`);
    lines.push(`add rule ${T} ${externalChain} goto ${serviceChain}`);
  }
  for (const ep of endpoints) {
    lines.push(`add rule ${T} ${ep.chain} ip saddr ${ep.ip} jump mark-for-masquerade`);
    lines.push(`add rule ${T} ${ep.chain} meta l4proto ${svc.protocol} dnat to ${ep.ip}:${ep.port}`);
  }
  lines.push(`add element ${T} cluster-ips { ${svc.clusterIP} }`);
  lines.push(`add element ${T} service-ips { ${svc.clusterIP} . ${svc.protocol} . ${svc.port} : goto ${serviceChain} }`);
  if (svc.nodePort !== undefined) lines.push(`add element ${T} service-nodeports { ${svc.protocol} . ${svc.nodePort} : goto ${externalChain} }`);
  return lines;
}

/** The `nft -f` input kube-proxy's nftables mode would write on a node whose NodePort addresses are `nodeIPs`. */
export function kubeProxyNftInput(spec: KubeProxySpec, nodeIPs: readonly string[]): string {
  const mark = spec.masqueradeMark ?? '0x4000';
  return [...baseRules(spec, nodeIPs, mark), '', ...spec.services.flatMap((svc) => serviceRules(spec, svc)), ''].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, ...nodeIPs] = process.argv.slice(2);
  if (!file || nodeIPs.length === 0) {
    console.error('usage: kube-proxy-nft-rules.ts SPEC.json NODE-IP…');
    process.exitCode = 2;
  } else process.stdout.write(kubeProxyNftInput(checkSpec(JSON.parse(readFileSync(file, 'utf8'))), nodeIPs));
}
