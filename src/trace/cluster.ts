// The tracer's view of the wiring between namespaces: which pod sits behind a
// host veth, which node owns an underlay address, and a stand-in namespace for
// a pod whose own dumps were not given (built the way the CNI configures pods,
// and flagged so the trace says it assumed it).
import type { ClusterNode, NetInterface, NetNamespace, Pod, Route, Topology } from '../topology/model.ts';
import { formatIpv4, inPrefix, parsePrefix } from '../util/address.ts';
import { findHost } from '../topology/names.ts';
import { isServiceAddress } from '../topology/service-addresses.ts';

export interface Place {
  ns: NetNamespace;
  iface: string;
}

export class Cluster {
  /** Pod namespaces podpath made up because the pod's dumps were missing, with the reason. */
  readonly assumed = new Map<NetNamespace, string>();
  private readonly podNamespaces = new Map<string, NetNamespace>();

  constructor(readonly topology: Topology) {}

  /** A node by the name the dumps give it, or another spelling of it (`--from K8S-Node1`). */
  node(name: string): ClusterNode | undefined {
    const found = findHost(this.topology.nodes.map((n) => n.name), name);
    return found === undefined ? undefined : this.topology.nodes.find((n) => n.name === found);
  }

  pod(name: string): Pod | undefined {
    return this.topology.pods.find((p) => p.name === name || `${p.namespace}/${p.name}` === name);
  }

  podByIp(ip: string): Pod | undefined {
    return this.topology.pods.find((p) => p.ip === ip);
  }

  podOf(ns: NetNamespace): Pod | undefined {
    return ns.kind === 'pod' ? this.topology.pods.find((p) => p.netns === ns || this.podNamespaces.get(p.name) === ns) : undefined;
  }

  podInterface(pod: Pod): string {
    return pod.podInterface ?? 'eth0';
  }

  /** The pod's network namespace: its dumps, or a stand-in built as its CNI would set it up. */
  podNamespace(pod: Pod): NetNamespace {
    if (pod.netns && pod.netns.interfaces.length > 0) return pod.netns;
    const cached = this.podNamespaces.get(pod.name);
    if (cached) return cached;
    const ns = this.standIn(pod);
    this.podNamespaces.set(pod.name, ns);
    return ns;
  }

  private standIn(pod: Pod): NetNamespace {
    const eth = this.podInterface(pod);
    const source = { file: `(assumed: ${pod.name}'s own dumps were not given)`, line: 0 };
    const iface: NetInterface = { index: 3, name: eth, flags: ['UP'], addresses: [], source };
    if (pod.mac) iface.mac = pod.mac;
    let routes: Route[];
    let how: string;
    const gateway = this.bridgeGateway(pod);
    if (gateway) {
      // Bridge CNIs (Flannel's cni0): the pod is in the bridge's subnet, its gateway the bridge's address.
      iface.addresses.push({ family: 4, address: pod.ip, prefixLength: gateway.prefixLength, scope: 'global' });
      routes = [
        { table: 'main', type: 'unicast', dst: 'default', family: 4, via: gateway.address, dev: eth, onlink: false, source },
        { table: 'main', type: 'unicast', dst: networkOf(`${gateway.address}/${gateway.prefixLength}`), family: 4, dev: eth, scope: 'link', src: pod.ip, onlink: false, source },
      ];
      how = `default via ${gateway.address} dev ${eth}, ${gateway.why}`;
    } else {
      // Routed CNIs (Calico): a /32 and a default route via 169.254.1.1, answered by proxy ARP on the host side.
      iface.addresses.push({ family: 4, address: pod.ip, prefixLength: 32, scope: 'global' });
      routes = [
        { table: 'main', type: 'unicast', dst: 'default', family: 4, via: '169.254.1.1', dev: eth, onlink: false, source },
        { table: 'main', type: 'unicast', dst: '169.254.1.1/32', family: 4, dev: eth, scope: 'link', onlink: false, source },
      ];
      // AWS VPC CNI sets pods up the same way (its docs/cni-proposal.md: `default via 169.254.1.1 dev eth0`).
      const plugin = this.topology.cni.plugin;
      const who = plugin === 'aws-vpc-cni' ? 'AWS VPC CNI' : 'Calico';
      how = `default via 169.254.1.1 dev ${eth}, as ${who} sets pods up${plugin === 'calico' || plugin === 'aws-vpc-cni' ? '' : ` (the dumps do not say which CNI this is${plugin === 'unknown' ? '' : ` beyond ${plugin}`})`}`;
    }
    const ns: NetNamespace = { name: pod.name, kind: 'pod', interfaces: [iface], routes, rules: [], neighbours: [], fdb: [], bridges: [], dumps: ['route', 'addr'] };
    this.assumed.set(ns, `${pod.name}'s own dumps were not given; podpath assumed its ${eth} holds ${pod.ip} with ${how}`);
    return ns;
  }

  /**
   * A bridge CNI's gateway for a pod without dumps: the bridge its veth is a port of, else a
   * bridge of its node whose subnet holds the pod's IP (from `ip addr`, else the src of the
   * bridge's connected route), else, on Flannel, the first address of the node's pod CIDR
   * (flanneld's FLANNEL_SUBNET=10.244.1.1/24 is what cni0 gets).
   */
  private bridgeGateway(pod: Pod): { address: string; prefixLength: number; why: string } | undefined {
    const node = this.node(pod.node);
    if (!node) return undefined;
    const holds = (a: { family: number; address: string; prefixLength: number }) => a.family === 4 && inPrefix(pod.ip, `${a.address}/${a.prefixLength}`);
    const host = node.netns.interfaces.find((i) => i.name === pod.hostInterface);
    const ports = host?.master ? node.netns.interfaces.filter((i) => i.name === host.master) : [];
    const bridges = [...ports, ...node.netns.interfaces.filter((i) => i.kind === 'bridge' || /^(?:cni\d*|cbr0)$/.test(i.name))];
    for (const bridge of bridges) {
      const address = bridge.addresses.find(holds);
      if (address) return { address: address.address, prefixLength: address.prefixLength, why: `the bridge ${bridge.name}'s address` };
    }
    // Without `ip addr`, the bridge's connected route names its address: `… dev cni0 proto kernel scope link src 10.244.1.1`.
    for (const route of node.netns.routes) {
      if (!route.dev || !/^(?:cni\d*|cbr0)$/.test(route.dev) || !route.src || route.via !== undefined || !inPrefix(pod.ip, route.dst)) continue;
      const prefix = parsePrefix(route.dst);
      if (prefix) return { address: route.src, prefixLength: prefix.length, why: `${route.dev}'s address (the src of ${node.name}'s route ${route.dst} dev ${route.dev})` };
    }
    if (this.topology.cni.plugin !== 'flannel') return undefined;
    for (const cidr of node.podCIDRs) {
      const prefix = parsePrefix(cidr);
      if (!prefix || !inPrefix(pod.ip, cidr) || prefix.length > 30) continue;
      const address = formatIpv4(prefix.network + 1);
      return { address, prefixLength: prefix.length, why: `the first address of ${node.name}'s pod CIDR ${cidr}, which flannel gives cni0 (${node.name}'s cni0 address is not in the dumps)` };
    }
    return undefined;
  }

  /** The other end of a veth pair. */
  linkPeer(ns: NetNamespace, iface: string): Place | undefined {
    if (ns.kind === 'pod') {
      const pod = this.podOf(ns) ?? this.topology.pods.find((p) => p.name === ns.name);
      const node = pod ? this.node(pod.node) : undefined;
      if (pod && node && pod.hostInterface && iface === this.podInterface(pod)) return { ns: node.netns, iface: pod.hostInterface };
      return undefined;
    }
    const pod = this.topology.pods.find((p) => p.node === ns.name && p.hostInterface === iface);
    return pod ? { ns: this.podNamespace(pod), iface: this.podInterface(pod) } : undefined;
  }

  /** The node (and its interface) that holds an underlay address. */
  nodeOwning(address: string): { node: ClusterNode; iface: string } | undefined {
    for (const node of this.topology.nodes) {
      const iface = node.netns.interfaces.find((i) => i.addresses.some((a) => a.address === address));
      if (iface) return { node, iface: iface.name };
    }
    for (const node of this.topology.nodes) {
      if (node.addresses.includes(address)) return { node, iface: node.netns.interfaces.find((i) => i.kind === 'ether' || i.name === 'eth0')?.name ?? 'eth0' };
    }
    return undefined;
  }

  /** Pods attached to a bridge's ports on a node. */
  podOnBridge(node: NetNamespace, bridge: string, ip: string): Pod | undefined {
    return this.topology.pods.find((p) => {
      if (p.node !== node.name || p.ip !== ip || !p.hostInterface) return false;
      const host = node.interfaces.find((i) => i.name === p.hostInterface);
      return host?.master === bridge || (node.bridges.find((b) => b.name === bridge)?.ports.includes(p.hostInterface) ?? false);
    });
  }

  /**
   * True when the address belongs to the cluster as the dumps show it: a node's pod CIDR, a pod,
   * an address of any node or pod interface, or a service's cluster, external or load-balancer IP.
   * A packet routed out towards anything else leaves the cluster.
   */
  holdsAddress(ip: string): boolean {
    const t = this.topology;
    if (t.nodes.some((n) => n.addresses.includes(ip) || n.podCIDRs.some((c) => inPrefix(ip, c)))) return true;
    if (t.pods.some((p) => p.ip === ip)) return true;
    if (isServiceAddress(t.services, ip)) return true;
    const namespaces = [...t.nodes.map((n) => n.netns), ...t.pods.flatMap((p) => (p.netns ? [p.netns] : []))];
    return namespaces.some((ns) => ns.interfaces.some((i) => i.addresses.some((a) => a.address === ip)));
  }

  macOf(place: Place): string | undefined {
    return place.ns.interfaces.find((i) => i.name === place.iface)?.mac;
  }
}

export function interfaceOf(ns: NetNamespace, name: string): NetInterface | undefined {
  return ns.interfaces.find((i) => i.name === name);
}

/** The bridge an interface is a port of, from `ip -d link` (master) or `brctl show`. */
export function bridgeOfPort(ns: NetNamespace, name: string): string | undefined {
  const master = interfaceOf(ns, name)?.master;
  if (master && (interfaceOf(ns, master)?.kind === 'bridge' || ns.bridges.some((b) => b.name === master))) return master;
  return ns.bridges.find((b) => b.ports.includes(name))?.name ?? (master && !interfaceOf(ns, master)?.kind ? master : undefined);
}

export function isBridge(ns: NetNamespace, name: string): boolean {
  return interfaceOf(ns, name)?.kind === 'bridge' || ns.bridges.some((b) => b.name === name);
}

function networkOf(cidr: string): string {
  const prefix = parsePrefix(cidr);
  return prefix ? `${formatIpv4(prefix.network)}/${prefix.length}` : cidr;
}
