// VXLAN ports from a bundle (for `decode --dumps`; here, not in decode/, so decode never imports topology): the `dstport` of every vxlan device that `ip -d link`
// shows on the nodes (and pods), read through the topology loader. A cluster that
// runs VXLAN on an unusual port then decodes without --vxlan-port.
import { loadTopology } from './load.ts';

export async function vxlanPortsFromDumps(dir: string): Promise<number[]> {
  const topology = await loadTopology([dir]);
  const ports = new Set<number>();
  const namespaces = [...topology.nodes.map((n) => n.netns), ...topology.pods.flatMap((p) => (p.netns ? [p.netns] : []))];
  for (const netns of namespaces) {
    for (const device of netns.interfaces) if (device.vxlan) ports.add(device.vxlan.port);
  }
  return [...ports].sort((a, b) => a - b);
}
