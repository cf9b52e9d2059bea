// Services from each node's kube-proxy rules (read by kube-proxy/services.ts),
// merged across nodes: every node programs the same services, so one entry
// per namespace/name/port, with `seenOn` listing the nodes. Endpoint IPs are
// then named with the pods and nodes the model knows.
import { appendAll } from '../../util/append.ts';
import type { ClusterNode, Pod, Service, Warning } from '../model.ts';
import { type ServiceCandidate, servicesFromNetfilter } from '../kube-proxy/services.ts';
import type { KubeService } from '../parse/kubectl.ts';
import { servicesFromNft } from '../kube-proxy/nft-services.ts';
import { firstRuleSource } from '../parse/iptables/lazy-chains.ts';

export function candidatesFrom(kubeServices: KubeService[]): ServiceCandidate[] {
  const candidates: ServiceCandidate[] = [];
  for (const svc of kubeServices) {
    for (const port of svc.ports) {
      // `kubectl get svc` does not show port names (unnamed single-port services are the common case); its JSON does.
      const candidate: ServiceCandidate = { namespace: svc.namespace ?? 'default', name: svc.name, protocol: port.protocol };
      if (port.name !== undefined) candidate.portName = port.name;
      candidates.push(candidate);
    }
  }
  return candidates;
}

function serviceKey(s: Service): string {
  return `${s.namespace}/${s.name}:${s.portName ?? ''}/${s.protocol}/${s.port}`;
}

/** The dump line of a service's chain on a node, for warnings. */
function serviceSource(node: ClusterNode, service: Service): { file: string; line: number } {
  const chain = service.svcChain !== undefined ? node.netns.netfilter?.tables['nat']?.chains[service.svcChain] : undefined;
  return (chain ? firstRuleSource(chain) : undefined) ?? { file: node.name, line: 0 };
}

export function buildServices(nodes: ClusterNode[], pods: Pod[], kubeServices: KubeService[], warnings: Warning[]): Service[] {
  const merged = new Map<string, Service>();
  const candidates = candidatesFrom(kubeServices);
  for (const node of nodes) {
    const netfilter = node.netns.netfilter;
    if (!netfilter) continue;
    // iptables mode's chains and nftables mode's table fill the same Service model.
    const result = servicesFromNetfilter(netfilter.tables, node.name, candidates);
    const nft = servicesFromNft(netfilter.nft ?? [], node.name);
    appendAll(appendAll(warnings, result.warnings), nft.warnings);
    for (const service of [...result.services, ...nft.services]) {
      const key = serviceKey(service);
      const existing = merged.get(key);
      if (!existing) {
        if (!service.seenOn.includes(node.name)) service.seenOn.push(node.name);
        merged.set(key, service);
        continue;
      }
      if (!existing.seenOn.includes(node.name)) existing.seenOn.push(node.name);
      for (const p of service.nodePorts) if (!existing.nodePorts.includes(p)) existing.nodePorts.push(p);
      for (const ip of service.externalIPs) if (!existing.externalIPs.includes(ip)) existing.externalIPs.push(ip);
      const endpoints = (s: Service) => s.endpoints.map((e) => `${e.ip}:${e.port}`).sort().join(',');
      if (endpoints(existing) !== endpoints(service)) {
        const where = serviceSource(node, service);
        warnings.push({
          file: where.file,
          line: where.line,
          message: `service ${key}: endpoints on ${node.name} (${endpoints(service) || 'none'}) differ from ${existing.seenOn[0]} (${endpoints(existing) || 'none'})`,
        });
      }
    }
  }
  const services = [...merged.values()];
  for (const service of services) {
    for (const endpoint of service.endpoints) {
      const pod = pods.find((p) => p.ip === endpoint.ip);
      if (pod) {
        if (!pod.unnamed) endpoint.pod = pod.name;
        if (pod.node) endpoint.node = pod.node;
        continue;
      }
      const node = nodes.find((n) => n.addresses.includes(endpoint.ip));
      if (node) endpoint.node = node.name;
    }
  }
  return services;
}
