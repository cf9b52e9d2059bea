// Which CNI, in which mode, with the evidence. What each mode leaves behind:
//   flannel vxlan:   flannel.N (vxlan, dstport 8472 by default), routes `via X dev flannel.1 onlink`, FLANNEL-* chains
//   flannel host-gw: cni0, no flannel.N carrying routes, peer /24s `via <peer underlay> dev eth0`
//   calico vxlan:    vxlan.calico (VNI 4096, port 4789), routes `dev vxlan.calico onlink`
//   calico ipip:     tunl0 (ipip), routes `via <peer> dev tunl0 proto bird onlink`
//   calico bgp:      cali* veths, routes `via <peer> dev eth0 proto bird`, no tunnel in use
import { isTunnelDevice } from './build/devices.ts';
import type { ClusterNode, CniDetection, Vtep } from './model.ts';

function where(node: ClusterNode, source: { file: string; line: number } | undefined): string {
  return source ? `${node.name} ${source.file}:${source.line}` : node.name;
}

export function detectCni(nodes: ClusterNode[], vteps: Vtep[]): CniDetection {
  const evidence: string[] = [];
  const flannelVteps = vteps.filter((v) => /^flannel\.\d+$/.test(v.device));
  const calicoVteps = vteps.filter((v) => v.device.startsWith('vxlan.calico') || v.device.startsWith('vxlan-v6.calico'));
  const flannelChains = nodes.filter((n) => Object.values(n.netns.netfilter?.tables ?? {}).some((t) => Object.keys(t.chains).some((c) => c.startsWith('FLANNEL'))));
  const calicoChains = nodes.filter((n) => Object.values(n.netns.netfilter?.tables ?? {}).some((t) => Object.keys(t.chains).some((c) => c.startsWith('cali-'))));
  const caliIfaces = nodes.filter((n) => n.netns.interfaces.some((i) => /^cali[0-9a-f]{6,}/.test(i.name)));
  const routesVia = (dev: RegExp) =>
    nodes.flatMap((n) => n.netns.routes.filter((r) => r.dev !== undefined && dev.test(r.dev) && r.via !== undefined).map((r) => ({ node: n, route: r })));
  const birdRoutes = nodes.flatMap((n) => n.netns.routes.filter((r) => r.proto === 'bird' && r.via !== undefined && r.type === 'unicast').map((r) => ({ node: n, route: r })));

  for (const v of flannelVteps) evidence.push(`${v.node}: ${v.device} vxlan id ${v.vni} dstport ${v.port}${v.assumed ? ' (assumed: flannel defaults, no ip -d link)' : ''}`);
  for (const v of calicoVteps) evidence.push(`${v.node}: ${v.device} vxlan id ${v.vni} dstport ${v.port}${v.assumed ? " (assumed: Calico's defaults, no ip -d link)" : ''}`);
  for (const n of flannelChains) evidence.push(`${n.name}: FLANNEL-* iptables chains`);
  for (const n of calicoChains) evidence.push(`${n.name}: cali-* iptables chains`);

  const flannelRoutes = routesVia(/^flannel\.\d+$/);
  const calicoVxlanRoutes = routesVia(/^vxlan(-v6)?\.calico$/);
  const tunlRoutes = routesVia(/^tunl\d+$/);
  const first = (list: { node: ClusterNode; route: { dst: string; via?: string; dev?: string; source: { file: string; line: number } } }[]) => {
    const item = list[0];
    return item ? `${item.route.dst} via ${item.route.via} dev ${item.route.dev} (${where(item.node, item.route.source)})` : '';
  };

  // Calico: the routes say which encapsulation is in use (a vxlan.calico or tunl0 may exist unused,
  // e.g. CrossSubnet mode between nodes of one subnet routes `proto bird` straight to the peer).
  const calicoSeen = calicoVteps.length > 0 || caliIfaces.length > 0 || calicoChains.length > 0 || birdRoutes.length > 0;
  const caliEvidence = () => {
    if (caliIfaces.length > 0) evidence.push(`cali* veths on ${caliIfaces.map((n) => n.name).join(', ')}`);
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
  if (flannelVteps.length > 0 || flannelRoutes.length > 0) {
    if (flannelRoutes.length > 0) evidence.push(`route ${first(flannelRoutes)}`);
    return { plugin: 'flannel', mode: 'vxlan', evidence };
  }
  if (calicoSeen) {
    caliEvidence();
    const birdDirect = birdRoutes.filter((b) => b.route.dev === undefined || !isTunnelDevice(b.route.dev));
    if (birdDirect.length > 0) {
      evidence.push(`route ${first(birdDirect)} proto bird, straight to the peer (no tunnel)`);
      return { plugin: 'calico', mode: 'bgp', evidence };
    }
    // A VXLAN device and no routes to tell: its presence is the best evidence left.
    if (calicoVteps.length > 0) return { plugin: 'calico', mode: 'vxlan', evidence };
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
  const bridges = nodes.filter((n) => n.netns.interfaces.some((i) => i.name === 'cni0') || n.netns.bridges.some((b) => b.name === 'cni0'));
  if (bridges.length > 0 && hostGw.length > 0) {
    evidence.push(`cni0 on ${bridges.map((n) => n.name).join(', ')}, no flannel.N`);
    evidence.push(`route ${first(hostGw)} straight to the peer node`);
    return { plugin: 'flannel', mode: 'host-gw', evidence };
  }
  if (flannelChains.length > 0) return { plugin: 'flannel', mode: 'unknown', evidence };
  if (bridges.length > 0) evidence.push(`cni0 on ${bridges.map((n) => n.name).join(', ')}, but no route to a peer's pod network`);
  return { plugin: 'unknown', mode: 'unknown', evidence };
}
