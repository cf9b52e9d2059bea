// VXLAN tunnel endpoints: each node's vxlan device with its VNI and UDP port,
// and the remote VTEPs its FDB sends to. Flannel programs, per peer, an FDB
// entry `<peer VTEP MAC> dst <peer underlay IP>` and a permanent neighbour
// `<peer's flannel.1 address> lladdr <peer VTEP MAC>`; Calico does the same
// on vxlan.calico. When `ip -d link` was not dumped, the CNI's defaults are
// assumed and said so (flannel.1: VNI 1, port 8472; vxlan.calico: VNI 4096, port 4789).
import type { ClusterNode, Vtep } from '../model.ts';

export interface VtepResult {
  vteps: Vtep[];
  evidence: string[];
}

const DEFAULTS: { pattern: RegExp; vni: (name: string) => number; port: number; who: string }[] = [
  { pattern: /^flannel\.(\d+)$/, vni: (name) => Number(name.split('.')[1]), port: 8472, who: 'flannel' },
  { pattern: /^vxlan\.calico$/, vni: () => 4096, port: 4789, who: 'Calico' },
];

export function buildVteps(nodes: ClusterNode[]): VtepResult {
  const vteps: Vtep[] = [];
  const evidence: string[] = [];
  const nodeByAddress = new Map<string, string>();
  for (const node of nodes) for (const a of node.addresses) nodeByAddress.set(a, node.name);

  for (const node of nodes) {
    for (const iface of node.netns.interfaces) {
      let vni: number;
      let port: number;
      let local: string | undefined;
      let assumedDefaults = false;
      if (iface.vxlan) {
        vni = iface.vxlan.vni;
        port = iface.vxlan.port;
        local = iface.vxlan.local;
      } else {
        const assumed = DEFAULTS.find((d) => d.pattern.test(iface.name));
        if (!assumed) continue;
        vni = assumed.vni(iface.name);
        port = assumed.port;
        assumedDefaults = true;
        evidence.push(`${node.name}: ${iface.name} has no \`ip -d link\` details; assumed ${assumed.who}'s defaults VNI ${vni}, port ${port}`);
      }
      const vtep: Vtep = { node: node.name, device: iface.name, vni, port, remotes: [] };
      if (assumedDefaults) vtep.assumed = true;
      local ??= node.addresses[0];
      if (local !== undefined) vtep.local = local;
      if (iface.mac !== undefined) vtep.mac = iface.mac;
      if (iface.vxlan?.device !== undefined) vtep.underlayDevice = iface.vxlan.device;
      for (const entry of node.netns.fdb) {
        if (entry.dev !== iface.name || entry.dst === undefined) continue;
        const remote: Vtep['remotes'][number] = { mac: entry.mac, dst: entry.dst };
        const peer = nodeByAddress.get(entry.dst);
        if (peer !== undefined) remote.node = peer;
        const neighbour = node.netns.neighbours.find((n) => n.dev === iface.name && n.mac === entry.mac);
        if (neighbour) remote.innerIP = neighbour.ip;
        vtep.remotes.push(remote);
      }
      vteps.push(vtep);
    }
  }
  return { vteps, evidence };
}

/**
 * Without an FDB dump (only then), a route `<peer pod CIDR> via <peer VTEP address> dev
 * flannel.1 onlink` still says which node the tunnel reaches: the node that
 * serves that pod CIDR.
 */
export function inferRemotes(vteps: Vtep[], nodes: ClusterNode[]): void {
  for (const vtep of vteps) {
    const node = nodes.find((n) => n.name === vtep.node);
    // Only when no FDB was dumped: a dumped FDB without the entry is a real fault, not a gap to fill.
    if (!node || node.netns.dumps.includes('fdb')) continue;
    for (const route of node.netns.routes) {
      if (route.dev !== vtep.device || route.via === undefined) continue;
      const peer = nodes.find((n) => n.name !== node.name && n.podCIDRs.includes(route.dst));
      const dst = peer?.addresses[0];
      if (!peer || dst === undefined || vtep.remotes.some((r) => r.node === peer.name || r.dst === dst)) continue;
      const neighbour = node.netns.neighbours.find((n) => n.dev === vtep.device && n.ip === route.via);
      vtep.remotes.push({
        mac: neighbour?.mac ?? '',
        dst,
        node: peer.name,
        innerIP: route.via,
        inferredFrom: `${route.source.file}:${route.source.line} (${route.dst} via ${route.via} dev ${vtep.device}; ${peer.name} serves ${route.dst})`,
      });
    }
  }
}
