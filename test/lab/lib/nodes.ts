// The part of a node that does not depend on the CNI: the underlay link between the two
// nodes (a veth pair named eth0 on both sides, addresses and MACs from the user's dumps),
// the default route, forwarding, and the idle docker0 bridge the user's nodes still carry.
import { run } from './exec.ts';
import type { Lab } from './lab.ts';

export function buildNodes(lab: Lab): void {
  const [first, second] = lab.spec.nodes;
  if (first === undefined || second === undefined || lab.spec.nodes.length !== 2) {
    throw new Error(`lab ${lab.spec.name}: the lab builds exactly two nodes`);
  }
  // ifindex 2 for eth0 as on the user's nodes (1 is lo).
  run([
    'ip', 'link', 'add', 'eth0', 'netns', lab.ns(first.name), 'index', '2', 'address', first.underlayMac,
    'type', 'veth', 'peer', 'name', 'eth0', 'netns', lab.ns(second.name), 'index', '2', 'address', second.underlayMac,
  ]);
  for (const node of lab.spec.nodes) {
    lab.ip(node.name, 'addr', 'add', `${node.underlay}/24`, 'dev', 'eth0');
    lab.ip(node.name, 'link', 'set', 'eth0', 'up');
    // The user's nodes route everything else via 10.74.107.154. Nothing in the lab answers
    // there; the route matters because cluster IPs are not local addresses: without a
    // route the kernel would refuse them before kube-proxy's rules ever saw the packet.
    lab.ip(node.name, 'route', 'add', 'default', 'via', lab.spec.gateway, 'dev', 'eth0', 'proto', 'static');
    lab.sysctl(node.name, 'net.ipv4.ip_forward=1');
    // Kubernetes nodes load br_netfilter so bridged pod-to-pod replies pass conntrack
    // (needed to undo kube-proxy's DNAT when client and endpoint share cni0).
    lab.sysctl(node.name, 'net.bridge.bridge-nf-call-iptables=1');
    if (node.docker0Mac !== undefined) {
      lab.ip(node.name, 'link', 'add', 'docker0', 'index', '3', 'address', node.docker0Mac, 'type', 'bridge');
      lab.ip(node.name, 'addr', 'add', '172.17.0.1/16', 'dev', 'docker0');
      lab.ip(node.name, 'link', 'set', 'docker0', 'up');
    }
  }
}

/** The other node of the two. */
export function peerOf(lab: Lab, node: string): string {
  const peer = lab.spec.nodes.find((n) => n.name !== node);
  if (peer === undefined) throw new Error(`lab ${lab.spec.name}: ${node} has no peer`);
  return peer.name;
}

/** "192.168.1.0/24" → "192.168.1.<last>" */
export function hostInSubnet(cidr: string, last: number): string {
  const [network] = cidr.split('/');
  const octets = (network ?? '').split('.');
  if (octets.length !== 4) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  return [...octets.slice(0, 3), String(Number(octets[3]) + last)].join('.');
}
