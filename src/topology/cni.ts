// Which CNI, in which mode, with the evidence. What each mode leaves behind:
//   flannel vxlan:   flannel.N (vxlan, dstport 8472 by default), routes `via X dev flannel.1 onlink`, FLANNEL-* chains
//   flannel host-gw: cni0, no flannel.N carrying routes, peer /24s `via <peer underlay> dev eth0`
//   calico vxlan:    vxlan.calico (VNI 4096, port 4789), routes `dev vxlan.calico onlink`
//   calico ipip:     tunl0 (ipip), routes `via <peer> dev tunl0 proto bird onlink`
//   calico bgp:      cali* veths, routes `via <peer> dev eth0 proto bird`, no tunnel in use
//   aws-vpc-cni vpc: eni<11 hex> veths with `/32` host routes `dev eniXXXXXXXXXXX scope link`, and per pod
//                    `512: from all to POD lookup main` (plus `1536: from POD lookup N` for a secondary ENI's pods)
// Partial dumps still tell (a pasted `ip route` alone is common): `dev cali*` /32 routes and the
// block's `blackhole … proto bird` (BIRD runs: BGP) or `proto 80` (felix's own routes) say Calico;
// any route `dev flannel.N` (or IPv6's `flannel-v6.N`) says flannel's VXLAN device; a local cni0 subnet with its same-sized
// siblings routed via a gateway on a connected underlay subnet says flannel host-gw.
import { chainsOf } from './parse/iptables/lazy-chains.ts';
import { FLANNEL_VXLAN_NAME, isAwsEniVeth, isClusterDeviceRole, isFlannelVxlanName, isTunnelRole, roleOf } from './roles.ts';
import type { ClusterNode, CniDetection, Route, Vtep } from './model.ts';
import { appendAll } from '../util/append.ts';
import { cidrContains, isIpv4, networkOf, prefixLengthOf } from '../util/address.ts';

function where(node: ClusterNode, source: { file: string; line: number } | undefined): string {
  return source ? `${node.name} ${source.file}:${source.line}` : node.name;
}

export function detectCni(nodes: ClusterNode[], vteps: Vtep[]): CniDetection {
  const evidence: string[] = [];
  const flannelVteps = vteps.filter((v) => isFlannelVxlanName(v.device));
  const calicoVteps = vteps.filter((v) => v.device.startsWith('vxlan.calico') || v.device.startsWith('vxlan-v6.calico'));
  // chainsOf, not for-in: a kube-proxy table has 40k chains, and enumerating them sorts its dictionary.
  const hasChain = (n: ClusterNode, prefix: string): boolean => {
    for (const t of Object.values(n.netns.netfilter?.tables ?? {})) for (const c of chainsOf(t)) if (c.name.startsWith(prefix)) return true;
    return false;
  };
  const flannelChains = nodes.filter((n) => hasChain(n, 'FLANNEL'));
  const calicoChains = nodes.filter((n) => hasChain(n, 'cali-'));
  const caliIfaces = nodes.filter((n) => n.netns.interfaces.some((i) => /^cali[0-9a-f]{6,}/.test(i.name)));
  const routesVia = (dev: RegExp) =>
    nodes.flatMap((n) => n.netns.routes.filter((r) => r.dev !== undefined && dev.test(r.dev) && r.via !== undefined).map((r) => ({ node: n, route: r })));
  const birdRoutes = nodes.flatMap((n) => n.netns.routes.filter((r) => r.proto === 'bird' && r.via !== undefined && r.type === 'unicast').map((r) => ({ node: n, route: r })));
  // Calico's IPAM block on this node: BIRD (`proto bird`) or felix (`proto 80`) blackholes it.
  const blockRoutes = nodes.flatMap((n) => n.netns.routes.filter((r) => r.type === 'blackhole' && (r.proto === 'bird' || r.proto === '80')).map((r) => ({ node: n, route: r })));
  const caliRoutes = nodes.filter((n) => n.netns.routes.some((r) => r.dev !== undefined && /^cali[0-9a-f]{6,}/.test(r.dev)));

  for (const v of flannelVteps) evidence.push(`${v.node}: ${v.device} vxlan id ${v.vni} dstport ${v.port}${v.assumed ? ' (assumed: flannel defaults, no ip -d link)' : ''}`);
  for (const v of calicoVteps) evidence.push(`${v.node}: ${v.device} vxlan id ${v.vni} dstport ${v.port}${v.assumed ? " (assumed: Calico's defaults, no ip -d link)" : ''}`);
  for (const n of flannelChains) evidence.push(`${n.name}: FLANNEL-* iptables chains`);
  for (const n of calicoChains) evidence.push(`${n.name}: cali-* iptables chains`);

  const flannelRoutes = routesVia(FLANNEL_VXLAN_NAME);
  // Older flannel routed the whole network `dev flannel.1 proto kernel` (no via) and resolved peers by L3 miss.
  const flannelDevRoutes = nodes.flatMap((n) => n.netns.routes.filter((r) => isFlannelVxlanName(r.dev)).map((r) => ({ node: n, route: r })));
  const calicoVxlanRoutes = routesVia(/^vxlan(-v6)?\.calico$/);
  const tunlRoutes = routesVia(/^tunl\d+$/);
  const first = (list: { node: ClusterNode; route: { dst: string; via?: string; dev?: string; source: { file: string; line: number } } }[]) => {
    const item = list[0];
    return item ? `${item.route.dst} via ${item.route.via} dev ${item.route.dev} (${where(item.node, item.route.source)})` : '';
  };

  // Calico: the routes say which encapsulation is in use (a vxlan.calico or tunl0 may exist unused,
  // e.g. CrossSubnet mode between nodes of one subnet routes `proto bird` straight to the peer).
  const calicoSeen = calicoVteps.length > 0 || caliIfaces.length > 0 || calicoChains.length > 0 || birdRoutes.length > 0 || blockRoutes.length > 0 || caliRoutes.length > 0;
  const caliEvidence = () => {
    if (caliIfaces.length > 0) evidence.push(`cali* veths on ${caliIfaces.map((n) => n.name).join(', ')}`);
    else if (caliRoutes.length > 0) evidence.push(`routes dev cali* on ${caliRoutes.map((n) => n.name).join(', ')}`);
  };
  if (calicoVxlanRoutes.length > 0) {
    evidence.push(`route ${first(calicoVxlanRoutes)}`);
    caliEvidence();
    return { plugin: 'calico', mode: 'vxlan', evidence };
  }
  if (tunlRoutes.length > 0) {
    evidence.push(`route ${first(tunlRoutes)}`);
    caliEvidence();
    return { plugin: 'calico', mode: 'ipip', evidence };
  }
  if (flannelVteps.length > 0 || flannelRoutes.length > 0 || flannelDevRoutes.length > 0) {
    if (flannelRoutes.length > 0) evidence.push(`route ${first(flannelRoutes)}`);
    else if (flannelVteps.length === 0) {
      const item = flannelDevRoutes[0]!;
      evidence.push(`route ${item.route.dst} dev ${item.route.dev} (${where(item.node, item.route.source)}): flannel.N (flannel-v6.N for IPv6) is flannel's VXLAN device (N is its VNI)`);
    }
    return { plugin: 'flannel', mode: 'vxlan', evidence };
  }
  const aws = awsVpcCniEvidence(nodes);
  if (aws.length > 0) {
    appendAll(evidence, aws);
    return { plugin: 'aws-vpc-cni', mode: 'vpc', evidence };
  }
  if (calicoSeen) {
    caliEvidence();
    const birdDirect = birdRoutes.filter((b) => b.route.dev === undefined || !isTunnelRole(roleOf(b.node.netns, b.route.dev)));
    if (birdDirect.length > 0) {
      evidence.push(`route ${first(birdDirect)} proto bird, straight to the peer (no tunnel)`);
      return { plugin: 'calico', mode: 'bgp', evidence };
    }
    // A VXLAN device and no routes to tell: its presence is the best evidence left.
    if (calicoVteps.length > 0) return { plugin: 'calico', mode: 'vxlan', evidence };
    // BIRD blackholes the node's block only when it runs, i.e. Calico routes by BGP; no tunnel route is in use.
    const birdBlock = blockRoutes.find((b) => b.route.proto === 'bird');
    if (birdBlock) {
      evidence.push(`blackhole ${birdBlock.route.dst} proto bird (${where(birdBlock.node, birdBlock.route.source)}): BIRD programs this node's block, and no route goes via tunl0 or vxlan.calico`);
      return { plugin: 'calico', mode: 'bgp', evidence };
    }
    const felixBlock = blockRoutes[0];
    if (felixBlock) evidence.push(`blackhole ${felixBlock.route.dst} proto 80 (${where(felixBlock.node, felixBlock.route.source)}): felix's route for this node's block`);
    evidence.push('no routes to other nodes\' pods in the dumps to tell the mode');
    return { plugin: 'calico', mode: 'unknown', evidence };
  }
  // host-gw: the bridge, and peers' pod CIDRs routed straight to their underlay addresses.
  const underlay = new Set(nodes.flatMap((n) => n.addresses));
  const hostGw = nodes.flatMap((n) =>
    n.netns.routes
      .filter((r) => r.via !== undefined && underlay.has(r.via) && r.dst !== 'default' && nodes.some((p) => p.name !== n.name && p.podCIDRs.includes(r.dst)))
      .map((r) => ({ node: n, route: r })),
  );
  const bridges = nodes.filter((n) => n.netns.interfaces.some((i) => i.name === 'cni0') || n.netns.bridges.some((b) => b.name === 'cni0') || n.netns.routes.some((r) => r.dev === 'cni0'));
  if (hostGw.length === 0) appendAll(hostGw, siblingRoutes(nodes));
  if (bridges.length > 0 && hostGw.length > 0) {
    evidence.push(`cni0 on ${bridges.map((n) => n.name).join(', ')}, no flannel.N`);
    evidence.push(`route ${first(hostGw)} straight to the peer node`);
    return { plugin: 'flannel', mode: 'host-gw', evidence };
  }
  if (flannelChains.length > 0) return { plugin: 'flannel', mode: 'unknown', evidence };
  if (bridges.length > 0) evidence.push(`cni0 on ${bridges.map((n) => n.name).join(', ')}, but no route to a peer's pod network`);
  return { plugin: 'unknown', mode: 'unknown', evidence };
}

/**
 * AWS VPC CNI (docs/cni-proposal.md of aws/amazon-vpc-cni-k8s): each pod's veth is `eni` + 11 hex
 * digits with a host route to the pod's VPC address, and the pod's own policy rules: priority 512
 * (toContainerRulePriority) `from all to POD lookup main`, and priority 1536 (fromContainerRulePriority)
 * `from POD lookup <ENI's table>` when the address belongs to a secondary ENI. Either one tells;
 * Calico in policy-only mode beside it leaves cali-* chains but no cali* veths, so this comes first.
 */
function awsVpcCniEvidence(nodes: ClusterNode[]): string[] {
  const evidence: string[] = [];
  for (const n of nodes) {
    const route = n.netns.routes.find((r) => r.via === undefined && isAwsEniVeth(r.dev));
    if (route) evidence.push(`route ${route.dst} dev ${route.dev} (${where(n, route.source)}): an AWS VPC CNI pod veth`);
    else {
      const iface = n.netns.interfaces.find((i) => isAwsEniVeth(i.name));
      if (iface) evidence.push(`${n.name}: ${iface.name}, an AWS VPC CNI pod veth`);
    }
    const toPod = n.netns.rules.filter((r) => r.priority === 512 && r.from === undefined && r.to !== undefined && r.table === 'main' && !r.not);
    const fromPod = n.netns.rules.filter((r) => r.priority === 1536 && r.from !== undefined && /^\d+$/.test(r.table) && !r.not);
    if (toPod.length > 0) {
      const more = fromPod.length > 0 ? `, ${fromPod.length} \`1536: from POD lookup N\` (pods on secondary ENIs)` : '';
      evidence.push(`${n.name}: ${toPod.length} ip rule \`512: from all to POD lookup main\`${more}: AWS VPC CNI's per-pod rules`);
    }
  }
  return evidence;
}

/**
 * host-gw seen from one node's routes alone: the node's cni0 subnet (10.244.3.0/24) and routes for
 * same-sized subnets of the same /16 (10.244.0.0/24, 10.244.1.0/24) via a gateway on a connected
 * underlay subnet, not through a CNI device: flanneld's host-gw routes to its peers.
 */
function siblingRoutes(nodes: ClusterNode[]): { node: ClusterNode; route: Route }[] {
  const isV4Cidr = (text: string) => text.includes('/') && isIpv4(text.split('/')[0]!);
  return nodes.flatMap((n) => {
    const local = n.netns.routes.find((r) => r.dev === 'cni0' && r.type === 'unicast' && r.via === undefined && isV4Cidr(r.dst))?.dst;
    if (local === undefined || prefixLengthOf(local) < 16) return [];
    const slash16 = (cidr: string) => networkOf(cidr.split('/')[0]!, 16);
    const connected = n.netns.routes
      .filter((r) => r.type === 'unicast' && r.via === undefined && r.dev !== undefined && !isClusterDeviceRole(roleOf(n.netns, r.dev)) && isV4Cidr(r.dst))
      .map((r) => r.dst);
    return n.netns.routes
      .filter((r) => {
        if (r.type !== 'unicast' || r.via === undefined || r.dev === undefined || isClusterDeviceRole(roleOf(n.netns, r.dev)) || !isV4Cidr(r.dst)) return false;
        if (r.dst === local || prefixLengthOf(r.dst) !== prefixLengthOf(local) || slash16(r.dst) !== slash16(local)) return false;
        const via = r.via;
        return connected.some((c) => cidrContains(c, via));
      })
      .map((route) => ({ node: n, route }));
  });
}
