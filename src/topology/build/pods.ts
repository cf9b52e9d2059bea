// Pods: from their own dumps (name from the prompt or pods/ folder), from
// `kubectl get pods -o wide`, or, unnamed, from what their node shows (a
// Calico `/32 dev caliX` route, a bridge neighbour + FDB port). The node-side
// interface is matched through the veth pair's indexes: the pod's
// `eth0@if11` is ifindex 3 in the pod, and the node's `veth…@if3` is ifindex
// 11 on the node (the kernel prints the peer's ifindex after `@if`).
import type { ClusterNode, NetInterface, NetNamespace, Pod, Warning } from '../model.ts';
import type { KubePod } from '../parse/kubectl.ts';
import { cidrContains } from '../../util/address.ts';
import { warningAt } from '../../util/warning.ts';
import { isRoutedPodVeth } from '../roles.ts';

export interface PodSource {
  name: string;
  netns: NetNamespace;
  /** Node folder a bundle pod sits under. */
  podNode?: string;
  /** A file its dumps came from, for warnings. */
  file: string;
}

function podInterface(netns: NetNamespace): NetInterface | undefined {
  const candidates = netns.interfaces.filter((i) => i.name !== 'lo' && i.kind !== 'loopback' && i.addresses.some((a) => a.family === 4 && a.scope !== 'host'));
  return candidates.find((i) => i.peerIndex !== undefined) ?? candidates.find((i) => i.name === 'eth0') ?? candidates[0];
}

type NodeInterface = { node: ClusterNode; iface: NetInterface };

/** Every node interface by its ifindex, so matching thousands of pods stays linear. */
function indexInterfaces(nodes: ClusterNode[]): Map<number, NodeInterface[]> {
  const byIndex = new Map<number, NodeInterface[]>();
  for (const node of nodes) {
    for (const iface of node.netns.interfaces) {
      const list = byIndex.get(iface.index) ?? [];
      list.push({ node, iface });
      byIndex.set(iface.index, list);
    }
  }
  return byIndex;
}

/** Node interfaces that are this pod's veth peer: index = pod's peerIndex and, if known, peerIndex = pod's index. */
function vethPeers(byIndex: Map<number, NodeInterface[]>, iface: NetInterface): NodeInterface[] {
  if (iface.peerIndex === undefined) return [];
  return (byIndex.get(iface.peerIndex) ?? []).filter((c) => c.iface.peerIndex === undefined || c.iface.peerIndex === iface.index);
}

/** A host route's prefix for `ip`: `/32`, or `/128` for IPv6 (`ip -6 route` writes it without one). */
function hostRoute(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

/** The address of a host route (`/32`, `/128`), else undefined. */
function hostRouteAddress(dst: string): string | undefined {
  if (dst.endsWith('/32') && !dst.includes(':')) return dst.slice(0, -3);
  if (dst.endsWith('/128') && dst.includes(':')) return dst.slice(0, -4);
  return undefined;
}

/** The node interface a pod IP is reached through, from the node's own tables. */
export function hostInterfaceByIP(node: ClusterNode, ip: string): string | undefined {
  // Calico: `192.168.226.74 dev cali6abd5b4bbeb scope link` (and `fd00::5 dev cali… metric 1024`).
  const host = hostRoute(ip);
  const route = node.netns.routes.find((r) => r.dst === host && r.dev !== undefined && r.via === undefined && r.table === 'main');
  if (route?.dev && route.dev !== 'lo') return route.dev;
  // Bridge: neighbour (IP → MAC on cni0), then the FDB port that MAC was learnt on.
  const neighbour = node.netns.neighbours.find((n) => n.ip === ip && n.mac !== undefined);
  if (neighbour) {
    const port = node.netns.fdb.find((f) => f.mac === neighbour.mac && f.master === neighbour.dev && !f.permanent);
    if (port) return port.dev;
  }
  return undefined;
}

function nodeServing(nodes: ClusterNode[], ip: string): ClusterNode | undefined {
  const serving = nodes.filter((n) => n.podCIDRs.some((c) => cidrContains(c, ip)));
  if (serving.length === 1) return serving[0];
  // The most specific: a host route on a routed pod veth (Calico's cali*, AWS VPC CNI's eni*).
  const host = hostRoute(ip);
  return nodes.find((n) => n.netns.routes.some((r) => r.dst === host && isRoutedPodVeth(r.dev)));
}

export function buildPods(sources: PodSource[], nodes: ClusterNode[], kubePods: KubePod[], warnings: Warning[]): Pod[] {
  const pods: Pod[] = [];
  const byIndex = indexInterfaces(nodes);
  const kubeByName = new Map(kubePods.map((k) => [k.name, k]));
  const kubeByIP = new Map(kubePods.filter((k) => k.ip !== undefined).map((k) => [k.ip!, k]));
  for (const source of sources) {
    const iface = podInterface(source.netns);
    const ip = iface?.addresses.find((a) => a.family === 4 && a.scope !== 'host')?.address;
    // A namespace named by its netns (`cni-…` from the collector) takes the pod name kubectl gives its IP.
    const kube = kubeByName.get(source.name) ?? (ip !== undefined ? kubeByIP.get(ip) : undefined);
    const pod: Pod = { name: kube?.name ?? source.name, node: '', ip: ip ?? kube?.ip ?? '', netns: source.netns };
    if (kube?.namespace !== undefined) pod.namespace = kube.namespace;
    if (kube?.labels !== undefined) pod.labels = kube.labels;
    if (kube?.containerPorts !== undefined) pod.containerPorts = kube.containerPorts;
    if (iface) {
      pod.podInterface = iface.name;
      if (iface.mac !== undefined) pod.mac = iface.mac;
    }
    let node: ClusterNode | undefined;
    if (iface?.peerIndex !== undefined) {
      let peers = vethPeers(byIndex, iface);
      if (peers.length > 1 && pod.ip) {
        const narrowed = peers.filter((p) => p.node.podCIDRs.some((c) => cidrContains(c, pod.ip)));
        if (narrowed.length > 0) peers = narrowed;
      }
      if (source.podNode !== undefined) peers = peers.filter((p) => p.node.name === source.podNode);
      if (peers.length === 1) {
        node = peers[0]!.node;
        pod.hostInterface = peers[0]!.iface.name;
      } else if (peers.length > 1) {
        warnings.push(warningAt(iface.source, source.file, `${source.name}: ${iface.name}@if${iface.peerIndex} matches interfaces on ${peers.map((p) => `${p.node.name}/${p.iface.name}`).join(', ')}; cannot tell which`));
      }
    }
    if (!node && source.podNode !== undefined) node = nodes.find((n) => n.name === source.podNode);
    if (!node && kube?.node !== undefined) node = nodes.find((n) => n.name === kube.node);
    if (!node && pod.ip) node = nodeServing(nodes, pod.ip);
    if (node) {
      pod.node = node.name;
      if (pod.hostInterface === undefined && pod.ip) {
        const host = hostInterfaceByIP(node, pod.ip);
        if (host !== undefined) pod.hostInterface = host;
      }
    } else {
      pod.node = source.podNode ?? kube?.node ?? '';
      // With no node read at all, load.ts's one warning says so for every pod.
      if (nodes.length > 0) warnings.push(warningAt(iface?.source, source.file, `${source.name}: could not tell which node it runs on (no matching veth peer among the nodes' interfaces)`));
    }
    // The line is the pod interface's own ip addr entry (the one with no inet under it), when there is one.
    if (!pod.ip) warnings.push(warningAt(iface?.source, source.file, `${source.name}: no IPv4 address in its dumps`));
    pods.push(pod);
  }
  // Pods only kubectl knows (also those on nodes we have no dump of: the tracer can still name their IPs).
  const named = new Set(pods.map((p) => p.name));
  for (const kube of kubePods) {
    if (named.has(kube.name) || kube.ip === undefined) continue;
    // hostNetwork pods (kube-proxy, flannel) share their node's address: that IP is the node's, not a pod's.
    if (kube.hostNetwork === true || nodes.some((n) => n.addresses.includes(kube.ip!))) continue;
    const node = nodes.find((n) => n.name === kube.node);
    const pod: Pod = { name: kube.name, node: kube.node ?? '', ip: kube.ip };
    if (kube.namespace !== undefined) pod.namespace = kube.namespace;
    if (kube.labels !== undefined) pod.labels = kube.labels;
    if (kube.containerPorts !== undefined) pod.containerPorts = kube.containerPorts;
    if (node) {
      const host = hostInterfaceByIP(node, kube.ip);
      if (host !== undefined) pod.hostInterface = host;
    }
    pods.push(pod);
  }
  // Unnamed pods the nodes' tables show: host routes on routed pod veths (Calico's cali*, AWS VPC
  // CNI's eni*), bridge neighbours learnt on a veth port.
  const seen = new Set(pods.map((p) => p.ip));
  for (const node of nodes) {
    // One pod per device: a dual-stack pod's /128 beside its /32 is the same pod (a Pod has one
    // address; the IPv4 one, as for a named pod), an IPv6-only pod is known by its /128.
    const devices = new Set(pods.filter((p) => p.node === node.name && p.hostInterface !== undefined).map((p) => p.hostInterface));
    const hostRoutes = node.netns.routes.filter((r) => r.via === undefined && isRoutedPodVeth(r.dev) && hostRouteAddress(r.dst) !== undefined);
    for (const family of [4, 6]) {
      for (const route of hostRoutes) {
        const ip = hostRouteAddress(route.dst)!;
        if ((family === 6) !== ip.includes(':') || seen.has(ip) || devices.has(route.dev)) continue;
        pods.push({ name: ip, node: node.name, ip, hostInterface: route.dev!, unnamed: true });
        seen.add(ip);
        devices.add(route.dev);
      }
    }
    for (const neighbour of node.netns.neighbours) {
      if (seen.has(neighbour.ip) || neighbour.mac === undefined || !node.podCIDRs.some((c) => cidrContains(c, neighbour.ip))) continue;
      const port = node.netns.fdb.find((f) => f.mac === neighbour.mac && f.master === neighbour.dev && !f.permanent);
      if (!port) continue;
      pods.push({ name: neighbour.ip, node: node.name, ip: neighbour.ip, hostInterface: port.dev, mac: neighbour.mac, unnamed: true });
      seen.add(neighbour.ip);
    }
  }
  return pods;
}
