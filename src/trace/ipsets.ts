// ip sets the rules name but the dumps may not list (`ipset list` is rarely
// collected). Calico's own sets have documented contents (felix's ipsets
// calculator), so their members can be recovered from the routes and nodes:
//   cali40all-ipam-pools   every IPAM pool   → the Calico blocks seen in the routes
//   cali40masq-ipam-pools  pools with natOutgoing (the default pool has it) → the same blocks
//   cali40all-vxlan-net / cali40all-tunnel-net / cali40all-hosts-net → the nodes' underlay addresses
// Anything else stays unknown and the match says it assumed.
import type { NetNamespace } from '../topology/model.ts';
import type { Cluster } from './cluster.ts';
import { isTunnelDevice } from '../topology/roles.ts';

export interface IpsetMembers {
  members: string[];
  /** The set's type when it was dumped ('hash:ip,port' …); inferred sets hold addresses or networks only. */
  type?: string;
  nomatch?: string[];
  /** Other sets, for list:set members. */
  lookup?: (name: string) => IpsetMembers | undefined;
  inferred?: string;
}

export function ipsetMembers(cluster: Cluster, ns: NetNamespace, name: string): IpsetMembers | undefined {
  const sets = ns.netfilter?.ipsets;
  const dumped = sets && Object.hasOwn(sets, name) ? sets[name] : undefined;
  if (dumped) {
    const found: IpsetMembers = { members: dumped.members, type: dumped.type, lookup: (other) => ipsetMembers(cluster, ns, other) };
    if (dumped.nomatch) found.nomatch = dumped.nomatch;
    return found;
  }
  if (name === 'cali40all-ipam-pools' || name === 'cali40masq-ipam-pools') {
    const blocks = calicoBlocks(cluster);
    if (blocks.length === 0) return undefined;
    return { members: blocks, inferred: `the Calico IPAM blocks in the nodes' routes (${blocks.join(', ')})${name.includes('masq') ? ', assuming their pool has natOutgoing as the default pool does' : ''}` };
  }
  if (name === 'cali40all-vxlan-net' || name === 'cali40all-tunnel-net' || name === 'cali40all-hosts-net') {
    const hosts = [...new Set(cluster.topology.nodes.flatMap((n) => n.addresses))];
    if (hosts.length === 0) return undefined;
    return { members: hosts, inferred: `the nodes' underlay addresses (${hosts.join(', ')})` };
  }
  return undefined;
}

function calicoBlocks(cluster: Cluster): string[] {
  const blocks = new Set<string>();
  for (const node of cluster.topology.nodes) {
    for (const route of node.netns.routes) {
      if (route.family !== 4 || route.dst === 'default') continue;
      // Calico routes other nodes' blocks through its tunnel devices (vxlan.calico, tunl0).
      const calicoDevice = isTunnelDevice(node.netns, route.dev);
      const calicoBlackhole = route.type === 'blackhole' && (route.proto === 'bird' || route.proto === '80');
      if (calicoDevice || calicoBlackhole) blocks.add(route.dst);
    }
  }
  return [...blocks];
}
