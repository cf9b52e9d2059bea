// Which mode kube-proxy runs in on each node, with the evidence, from what its
// rules leave in the dumps:
//   nftables  `table ip kube-proxy` with its service-ips map (pkg/proxy/nftables)
//   ipvs      an IPVS table (`ipvsadm -Ln`), the kube-ipvs0 dummy holding service
//             addresses, or nat KUBE-SERVICES matching `--match-set KUBE-CLUSTER-IP`
//   iptables  nat KUBE-SERVICES jumping to KUBE-SVC-/KUBE-EXT- chains
// A node can carry leftovers of an earlier mode (kube-proxy cleans up at start, not
// always fully); all of them are listed, and the mode is the one most nodes show.
import type { ClusterNode, KubeProxyDetection, KubeProxyMode } from '../model.ts';
import { appendAll } from '../../util/append.ts';
import { factsOf } from '../parse/iptables/lazy-chains.ts';
import type { RuleFacts } from '../parse/iptables/rule-facts.ts';

function nodeModes(node: ClusterNode): { mode: KubeProxyMode; evidence: string }[] {
  const found: { mode: KubeProxyMode; evidence: string }[] = [];
  const netfilter = node.netns.netfilter;
  const where = (ref: { file: string; line: number }) => `${ref.file}:${ref.line}`;
  for (const table of netfilter?.nft ?? []) {
    if (table.name !== 'kube-proxy' || (table.family !== 'ip' && table.family !== 'ip6')) continue;
    const map = table.sets['service-ips'];
    const chains = Object.keys(table.chains).filter((c) => /^service-[A-Z2-7]{8}-/.test(c)).length;
    found.push({ mode: 'nftables', evidence: `${node.name}: table ${table.family} kube-proxy (${where(table.source)})${map ? ` with map service-ips (${map.elements.length} elements)` : ''}, ${chains} service chains` });
  }
  if (netfilter?.ipvs?.length) {
    found.push({ mode: 'ipvs', evidence: `${node.name}: IPVS table with ${netfilter.ipvs.length} virtual services (${where(netfilter.ipvs[0]!.source)})` });
  }
  const ipvs0 = node.netns.interfaces.find((i) => i.name === 'kube-ipvs0');
  if (ipvs0) found.push({ mode: 'ipvs', evidence: `${node.name}: dummy kube-ipvs0 holds ${ipvs0.addresses.length} service addresses` });
  // The rules' facts (parse/iptables/rule-facts.ts): KUBE-SERVICES is 10,000 rules on a big node.
  const servicesChain = netfilter?.tables['nat']?.chains['KUBE-SERVICES'];
  const services = servicesChain ? factsOf(servicesChain) : [];
  const at = (r: RuleFacts) => ({ file: r.origin.file, line: r.line });
  const matchSet = services.find((r) => r.matchesClusterIPSet);
  if (matchSet) found.push({ mode: 'ipvs', evidence: `${node.name}: nat KUBE-SERVICES matches ipset KUBE-CLUSTER-IP (${where(at(matchSet))})` });
  const jumps = services.filter((r) => /^KUBE-(SVC|EXT|FW|SVL)-/.test(r.target ?? ''));
  if (jumps.length > 0) found.push({ mode: 'iptables', evidence: `${node.name}: nat KUBE-SERVICES jumps to ${jumps.length} KUBE-SVC/KUBE-EXT chains (${where(at(jumps[0]!))})` });
  return found;
}

export function detectKubeProxy(nodes: readonly ClusterNode[]): KubeProxyDetection {
  const evidence: string[] = [];
  const votes = new Map<KubeProxyMode, number>();
  for (const node of nodes) {
    const found = nodeModes(node);
    appendAll(evidence, found.map((f) => f.evidence));
    for (const mode of new Set(found.map((f) => f.mode))) votes.set(mode, (votes.get(mode) ?? 0) + 1);
  }
  let mode: KubeProxyMode = 'unknown';
  let best = 0;
  for (const [m, count] of votes) if (count > best) [mode, best] = [m, count];
  return { mode, evidence };
}
