// Flannel as flanneld and the flannel CNI plugin (bridge + host-local) leave a node:
//   vxlan:   flannel.1 (VNI 1, dstport 8472, nolearning, MTU 1450, <subnet>.0/32), and per peer
//            `<peer subnet> via <peer subnet>.0 dev flannel.1 onlink`, a permanent neighbour
//            <peer subnet>.0 → peer VTEP MAC and an FDB entry peer VTEP MAC → peer underlay
//            (flannel-io/flannel pkg/backend/vxlan/vxlan_network.go handleSubnetEvents).
//   host-gw: per peer `<peer subnet> via <peer underlay> dev eth0` (pkg/backend/hostgw).
// Pods hang on cni0 (<subnet>.1/24) with routes `default via <subnet>.1` and
// `<cluster CIDR> via <subnet>.1` from the CNI config's routes.
// iptables: flanneld's FLANNEL-POSTRTG (nat) and FLANNEL-FWD (filter), in the order
// pkg/trafficmngr/iptables/iptables.go masqRules()/forwardRules() appends them.
import { VXLAN, type NodeSpec } from './spec.ts';
import { hostInSubnet, peerOf } from './nodes.ts';
import type { Lab } from './lab.ts';

const MTU = '1450';

export function buildFlannel(lab: Lab): void {
  const mode = lab.spec.cni.mode;
  for (const node of lab.spec.nodes) {
    if (mode === 'vxlan') addVtep(lab, node);
    addBridgeAndPods(lab, node);
  }
  for (const node of lab.spec.nodes) {
    const peer = lab.node(peerOf(lab, node.name));
    if (mode === 'vxlan') routeViaVtep(lab, node, peer);
    else lab.ip(node.name, 'route', 'add', peer.podCIDR, 'via', peer.underlay, 'dev', 'eth0');
  }
}

function addVtep(lab: Lab, node: NodeSpec): void {
  const { device, vni, port } = VXLAN.flannel;
  if (node.vtepMac === undefined) throw new Error(`${node.name}: flannel vxlan needs vtepMac`);
  lab.ip(node.name, 'link', 'add', device, 'index', '4', 'address', node.vtepMac, 'mtu', MTU, 'type', 'vxlan',
    'id', String(vni), 'local', node.underlay, 'dev', 'eth0', 'dstport', String(port), 'nolearning');
  lab.ip(node.name, 'addr', 'add', `${hostInSubnet(node.podCIDR, 0)}/32`, 'dev', device);
  lab.ip(node.name, 'link', 'set', device, 'up');
}

function routeViaVtep(lab: Lab, node: NodeSpec, peer: NodeSpec): void {
  const { device } = VXLAN.flannel;
  if (peer.vtepMac === undefined) throw new Error(`${peer.name}: flannel vxlan needs vtepMac`);
  const peerGateway = hostInSubnet(peer.podCIDR, 0);
  lab.ip(node.name, 'route', 'add', peer.podCIDR, 'via', peerGateway, 'dev', device, 'onlink');
  lab.ip(node.name, 'neigh', 'add', peerGateway, 'lladdr', peer.vtepMac, 'dev', device, 'nud', 'permanent');
  lab.exec(node.name, ['bridge', 'fdb', 'append', peer.vtepMac, 'dev', device, 'dst', peer.underlay, 'self', 'permanent']);
}

function addBridgeAndPods(lab: Lab, node: NodeSpec): void {
  if (node.bridgeMac === undefined) throw new Error(`${node.name}: flannel needs bridgeMac for cni0`);
  const gateway = hostInSubnet(node.podCIDR, 1);
  const prefixLength = node.podCIDR.split('/')[1] ?? '24';
  lab.ip(node.name, 'link', 'add', 'cni0', 'index', '5', 'address', node.bridgeMac, 'mtu', MTU, 'type', 'bridge');
  lab.ip(node.name, 'addr', 'add', `${gateway}/${prefixLength}`, 'dev', 'cni0');
  lab.ip(node.name, 'link', 'set', 'cni0', 'up');
  for (const pod of lab.podsOn(node.name)) {
    const hostSide = ['link', 'add', pod.hostInterface, 'index', String(pod.hostIfindex)];
    if (pod.hostMac !== undefined) hostSide.push('address', pod.hostMac);
    // cni0 keeps the MTU it was created with (set by hand, the bridge no longer follows its ports).
    const mtu = String(pod.mtu ?? MTU);
    lab.ip(node.name, ...hostSide, 'mtu', mtu, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lab.ns(pod.name),
      'index', '3', 'address', pod.mac, 'mtu', mtu);
    lab.ip(node.name, 'link', 'set', pod.hostInterface, 'master', 'cni0');
    lab.ip(node.name, 'link', 'set', pod.hostInterface, 'up');
    lab.ip(pod.name, 'addr', 'add', `${pod.ip}/${prefixLength}`, 'dev', 'eth0');
    lab.ip(pod.name, 'link', 'set', 'eth0', 'up');
    lab.ip(pod.name, 'route', 'add', 'default', 'via', gateway, 'dev', 'eth0');
    lab.ip(pod.name, 'route', 'add', lab.spec.clusterCIDR, 'via', gateway, 'dev', 'eth0');
  }
}

/** flanneld's iptables rules for one node, as iptables-restore --noflush input. */
export function flannelRules(lab: Lab, node: NodeSpec, options: { forwardAccept: boolean }): string {
  const cluster = lab.spec.clusterCIDR;
  const pod = node.podCIDR;
  const masq = '-m comment --comment "flanneld masq"';
  const fwd = '-m comment --comment "flanneld forward"';
  const nat = [
    '*nat',
    ':FLANNEL-POSTRTG - [0:0]',
    `-A POSTROUTING ${masq} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${masq} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${pod} -d ${cluster} ${masq} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${cluster} -d ${pod} ${masq} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${cluster} -d ${pod} ${masq} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${cluster} ! -d 224.0.0.0/4 ${masq} -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${cluster} -d ${cluster} ${masq} -j MASQUERADE --random-fully`,
    'COMMIT',
  ];
  // The forward-drop fault is a node where these accept rules never got installed.
  const filter = options.forwardAccept
    ? [
        '*filter',
        ':FLANNEL-FWD - [0:0]',
        `-A FORWARD ${fwd} -j FLANNEL-FWD`,
        `-A FLANNEL-FWD -s ${cluster} ${fwd} -j ACCEPT`,
        `-A FLANNEL-FWD -d ${cluster} ${fwd} -j ACCEPT`,
        'COMMIT',
      ]
    : [];
  return [...nat, ...filter, ''].join('\n');
}
