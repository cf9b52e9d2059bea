// Calico as the calico CNI plugin and felix leave a node:
//   - each workload: a veth cali<hash> (host side MAC ee:ee:ee:ee:ee:ee, proxy_arp=1,
//     neigh proxy_delay=0, no address) and a /32 route `<pod> dev cali… scope link`;
//     in the pod: <pod>/32 on eth0, `169.254.1.1 dev eth0 scope link`,
//     `default via 169.254.1.1 dev eth0` (calico cni-plugin pkg/dataplane/linux).
//   - the local IPAM block as a blackhole route (`blackhole <block> proto 80`, felix/bird).
//   - vxlan: vxlan.calico (VNI 4096, dstport 4789, tunnel address from the local block),
//     per peer block `<block> via <peer tunnel addr> dev vxlan.calico onlink`, a permanent
//     neighbour and an FDB entry (felix vxlan_mgr.go).
//   - bgp: per peer block `<block> via <peer underlay> dev eth0 proto bird`.
// The iptables part is a representative subset of felix's chains, shaped like the real
// dumps in shared/corpus/iptables/calico_felix-fv_cali-iptables-dump.txt; the "cali:…"
// rule hashes are copied from that dump where the rule is the same, and invented (same
// alphabet and length) for the per-workload chains felix generates.
import { VXLAN, type NodeSpec } from './spec.ts';
import { hostInSubnet, peerOf } from './nodes.ts';
import type { Lab } from './lab.ts';
import { policyChains, policyIpsets, tierRules } from './felix-policy.ts';

const MTU = '1450';
const LINK_LOCAL_GATEWAY = '169.254.1.1';

export function buildCalico(lab: Lab): void {
  const vxlan = lab.spec.cni.mode === 'vxlan';
  for (const node of lab.spec.nodes) {
    if (vxlan) addVtep(lab, node);
    addWorkloads(lab, node);
    createIpsets(lab, node);
    // bird/felix program the local block as a blackhole so unknown pod IPs of the block
    // are dropped here instead of following the default route.
    lab.ip(node.name, 'route', 'add', 'blackhole', node.podCIDR, 'proto', vxlan ? '80' : 'bird');
  }
  for (const node of lab.spec.nodes) {
    const peer = lab.node(peerOf(lab, node.name));
    if (vxlan) {
      const { device } = VXLAN.calico;
      if (peer.vtepMac === undefined) throw new Error(`${peer.name}: calico vxlan needs vtepMac`);
      const peerTunnel = tunnelAddress(peer);
      lab.ip(node.name, 'route', 'add', peer.podCIDR, 'via', peerTunnel, 'dev', device, 'onlink');
      lab.ip(node.name, 'neigh', 'add', peerTunnel, 'lladdr', peer.vtepMac, 'dev', device, 'nud', 'permanent');
      lab.exec(node.name, ['bridge', 'fdb', 'append', peer.vtepMac, 'dev', device, 'dst', peer.underlay, 'self', 'permanent']);
    } else {
      lab.ip(node.name, 'route', 'add', peer.podCIDR, 'via', peer.underlay, 'dev', 'eth0', 'proto', 'bird');
    }
  }
}

/** The user's worker-1 routes to worker-2's block via 192.168.133.192: the block's first address. */
function tunnelAddress(node: NodeSpec): string {
  return hostInSubnet(node.podCIDR, 0);
}

function addVtep(lab: Lab, node: NodeSpec): void {
  const { device, vni, port } = VXLAN.calico;
  if (node.vtepMac === undefined) throw new Error(`${node.name}: calico vxlan needs vtepMac`);
  // ifindex 7 as vxlan.calico on the user's worker-1.
  lab.ip(node.name, 'link', 'add', device, 'index', '7', 'address', node.vtepMac, 'mtu', MTU, 'type', 'vxlan',
    'id', String(vni), 'local', node.underlay, 'dev', 'eth0', 'dstport', String(port), 'nolearning');
  lab.ip(node.name, 'addr', 'add', `${tunnelAddress(node)}/32`, 'dev', device);
  lab.ip(node.name, 'link', 'set', device, 'up');
}

function addWorkloads(lab: Lab, node: NodeSpec): void {
  for (const pod of lab.podsOn(node.name)) {
    const host = pod.hostInterface;
    lab.ip(node.name, 'link', 'add', host, 'index', String(pod.hostIfindex), 'address', pod.hostMac ?? 'ee:ee:ee:ee:ee:ee',
      'mtu', MTU, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lab.ns(pod.name), 'index', '3', 'address', pod.mac, 'mtu', MTU);
    lab.sysctl(node.name, `net.ipv4.conf.${host}.proxy_arp=1`);
    lab.sysctl(node.name, `net.ipv4.neigh.${host}.proxy_delay=0`);
    lab.sysctl(node.name, `net.ipv4.conf.${host}.forwarding=1`);
    lab.ip(node.name, 'link', 'set', host, 'up');
    lab.ip(node.name, 'route', 'add', pod.ip, 'dev', host, 'scope', 'link');
    lab.ip(pod.name, 'addr', 'add', `${pod.ip}/32`, 'dev', 'eth0');
    lab.ip(pod.name, 'link', 'set', 'eth0', 'up');
    lab.ip(pod.name, 'route', 'add', LINK_LOCAL_GATEWAY, 'dev', 'eth0', 'scope', 'link');
    lab.ip(pod.name, 'route', 'add', 'default', 'via', LINK_LOCAL_GATEWAY, 'dev', 'eth0');
  }
}

/**
 * felix's ipsets that its rules match on: the IPAM pools (cali40all-ipam-pools,
 * cali40masq-ipam-pools) and, in vxlan mode, the VXLAN peers allowed by cali-INPUT
 * (cali40all-vxlan-net). They must exist before calicoRules() is loaded.
 */
function createIpsets(lab: Lab, node: NodeSpec): void {
  for (const set of ['cali40all-ipam-pools', 'cali40masq-ipam-pools']) {
    lab.exec(node.name, ['ipset', 'create', set, 'hash:net']);
    lab.exec(node.name, ['ipset', 'add', set, lab.spec.clusterCIDR]);
  }
  // The pod sets behind NetworkPolicy peers (cali40s:…): the same on every node.
  for (const set of policyIpsets(lab.spec)) {
    lab.exec(node.name, ['ipset', 'create', set.name, 'hash:net']);
    for (const member of set.members) lab.exec(node.name, ['ipset', 'add', set.name, `${member}/32`]);
  }
  if (lab.spec.cni.mode !== 'vxlan') return;
  lab.exec(node.name, ['ipset', 'create', 'cali40all-vxlan-net', 'hash:net']);
  for (const peer of lab.spec.nodes) lab.exec(node.name, ['ipset', 'add', 'cali40all-vxlan-net', `${peer.underlay}/32`]);
}

const c = (hash: string): string => `-m comment --comment "cali:${hash}"`;

/**
 * felix's rules for one node as iptables-restore --noflush input. felix inserts its jumps
 * at the top of the built-in chains (ChainInsertMode=insert), above kube-proxy's, hence
 * the `-I CHAIN n` lines.
 */
export function calicoRules(lab: Lab, node: NodeSpec): string {
  const workloads = lab.podsOn(node.name).map((p) => p.hostInterface);
  const policies = policyChains(lab.spec);
  const vxlan = lab.spec.cni.mode === 'vxlan';
  const raw = [
    '*raw',
    ':cali-PREROUTING - [0:0]',
    ':cali-OUTPUT - [0:0]',
    ':cali-from-host-endpoint - [0:0]',
    ':cali-to-host-endpoint - [0:0]',
    ':cali-rpf-skip - [0:0]',
    `-I PREROUTING 1 ${c('6gwbT8clXdHdC1b1')} -j cali-PREROUTING`,
    `-I OUTPUT 1 ${c('tVnHkvAo15HuiPy0')} -j cali-OUTPUT`,
    `-A cali-OUTPUT ${c('clI8WObfCl4yhr60')} -j MARK --set-xmark 0x0/0x1b0000`,
    `-A cali-OUTPUT ${c('ZbkN6P8OdRcBRPpU')} -j cali-to-host-endpoint`,
    ...(vxlan ? [`-A cali-OUTPUT -p udp ${c('ry5_UEpt1OaPPCxO')} -m udp --dport 4789 -j NOTRACK`] : []),
    `-A cali-OUTPUT ${c('MGhICIksKDnYMIkW')} -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    `-A cali-PREROUTING ${c('DQ6LK2guiBRMyrLK')} -j MARK --set-xmark 0x0/0x1b0000`,
    ...(vxlan ? [`-A cali-PREROUTING -p udp ${c('sIsu2aAqNN6K3YYn')} -m udp --dport 4789 -j NOTRACK`] : []),
    `-A cali-PREROUTING -i cali+ ${c('W0qKAga6QivxLxL1')} -j MARK --set-xmark 0x80000/0x80000`,
    `-A cali-PREROUTING ${c('QOYCZUivPyJL6Dp1')} -m mark --mark 0x80000/0x80000 -j cali-rpf-skip`,
    `-A cali-PREROUTING ${c('uvipz_NmQPrGYnTB')} -m mark --mark 0x80000/0x80000 -m rpfilter --validmark --invert -j DROP`,
    `-A cali-PREROUTING ${c('pj4jqF0K2OCNLmzX')} -m mark --mark 0x0/0x80000 -j cali-from-host-endpoint`,
    `-A cali-PREROUTING ${c('Jefg6QI5khJcHnVl')} -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    'COMMIT',
  ];
  const nat = [
    '*nat',
    ':cali-PREROUTING - [0:0]',
    ':cali-OUTPUT - [0:0]',
    ':cali-POSTROUTING - [0:0]',
    ':cali-fip-dnat - [0:0]',
    ':cali-fip-snat - [0:0]',
    ':cali-nat-outgoing - [0:0]',
    `-I PREROUTING 1 ${c('6gwbT8clXdHdC1b1')} -j cali-PREROUTING`,
    `-I OUTPUT 1 ${c('tVnHkvAo15HuiPy0')} -j cali-OUTPUT`,
    `-I POSTROUTING 1 ${c('O3lYWMrLQYEMJtB5')} -j cali-POSTROUTING`,
    `-A cali-OUTPUT ${c('GBTAv2p5CwevEyJm')} -j cali-fip-dnat`,
    `-A cali-PREROUTING ${c('r6XmIziWUJsdOK6Z')} -j cali-fip-dnat`,
    `-A cali-POSTROUTING ${c('Z-c7XtVd2Bq7s_hA')} -j cali-fip-snat`,
    `-A cali-POSTROUTING ${c('nYKhEzDlr11Jccal')} -j cali-nat-outgoing`,
    ...(vxlan
      ? [`-A cali-POSTROUTING -o vxlan.calico ${c('e9dnSgSVNmIcpVhP')} -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully`]
      : []),
    // natOutgoing: pod traffic leaving the IPAM pools is masqueraded.
    `-A cali-nat-outgoing ${c('flqWnvo8yq4ULQLa')} -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully`,
    'COMMIT',
  ];
  const fromDispatch = workloads.map((w, i) => `-A cali-from-wl-dispatch -i ${w} ${c(invented('fd', i))} -g cali-fw-${w}`);
  const toDispatch = workloads.map((w, i) => `-A cali-to-wl-dispatch -o ${w} ${c(invented('td', i))} -g cali-tw-${w}`);
  const filter = [
    '*filter',
    ':cali-FORWARD - [0:0]',
    ':cali-INPUT - [0:0]',
    ':cali-OUTPUT - [0:0]',
    ':cali-cidr-block - [0:0]',
    ':cali-from-hep-forward - [0:0]',
    ':cali-from-host-endpoint - [0:0]',
    ':cali-from-wl-dispatch - [0:0]',
    ':cali-to-hep-forward - [0:0]',
    ':cali-to-host-endpoint - [0:0]',
    ':cali-to-wl-dispatch - [0:0]',
    ':cali-wl-to-host - [0:0]',
    ':cali-pro-kns.default - [0:0]',
    ':cali-pri-kns.default - [0:0]',
    ...workloads.flatMap((w) => [`:cali-fw-${w} - [0:0]`, `:cali-tw-${w} - [0:0]`]),
    ...policies.declarations,
    `-I INPUT 1 ${c('Cz_u1IQiXIMmKD4c')} -j cali-INPUT`,
    `-I FORWARD 1 ${c('wUHhoiAYhphO9Mso')} -j cali-FORWARD`,
    `-I FORWARD 2 ${c('S93hcgKJrXEqnTfs')} -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    `-A FORWARD ${c('mp77cMpurHhyjLrM')} -j MARK --set-xmark 0x10000/0x10000`,
    `-I OUTPUT 1 ${c('tVnHkvAo15HuiPy0')} -j cali-OUTPUT`,
    `-A cali-FORWARD ${c('W_vvds1Nw3n9QE2f')} -j MARK --set-xmark 0x0/0x1a0000`,
    `-A cali-FORWARD ${c('ZfgmjuiLaA8Pg0kp')} -m mark --mark 0x0/0x10000 -j cali-from-hep-forward`,
    `-A cali-FORWARD -i cali+ ${c('tAzwBLPaV-j53OOZ')} -j cali-from-wl-dispatch`,
    `-A cali-FORWARD -o cali+ ${c('4Z0Pf0byo05NFe-P')} -j cali-to-wl-dispatch`,
    `-A cali-FORWARD ${c('hQ7Oc16wmUtLuneJ')} -j cali-to-hep-forward`,
    `-A cali-FORWARD ${c('rnKNH2WxGcRQcIlD')} -j cali-cidr-block`,
    ...(vxlan
      ? [`-A cali-INPUT -p udp ${c('EDCNTTxYfggApx8C')} -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -m set ! --match-set cali40all-vxlan-net src -j DROP`]
      : []),
    `-A cali-INPUT -i cali+ ${c('H03xYXARh4e8pwd4')} -g cali-wl-to-host`,
    `-A cali-INPUT ${c('MN6K3isIWBigb1Va')} -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    `-A cali-INPUT ${c('aKDQAoV0P_FFAIwV')} -j MARK --set-xmark 0x0/0x1b0000`,
    `-A cali-INPUT ${c('vIx3xkWzuvLW9fr4')} -j cali-from-host-endpoint`,
    `-A cali-INPUT ${c('5W9XghKma9wuz47x')} -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    `-A cali-OUTPUT ${c('Mq1_rAdXXH3YkrzW')} -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    `-A cali-OUTPUT -o cali+ ${c('69FkRTJDvD5Vu6Vl')} -j RETURN`,
    `-A cali-OUTPUT ${c('6T0hFtymUtXMOfEV')} -j MARK --set-xmark 0x0/0x1b0000`,
    `-A cali-OUTPUT ${c('IpTGXsDHURPUaLjJ')} -m conntrack ! --ctstate DNAT -j cali-to-host-endpoint`,
    `-A cali-OUTPUT ${c('wgnULo2gucg1umsA')} -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT`,
    ...fromDispatch,
    `-A cali-from-wl-dispatch ${c('zTj6P0TIgYvgz-md')} -m comment --comment "Unknown interface" -j DROP`,
    ...toDispatch,
    `-A cali-to-wl-dispatch ${c('7KNphB1nNHw80nIO')} -m comment --comment "Unknown interface" -j DROP`,
    `-A cali-wl-to-host ${c('Ee9Sbo10IpVujdIY')} -j cali-from-wl-dispatch`,
    `-A cali-wl-to-host ${c('nSZbcOoG1xPONxb8')} -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT`,
    // Profile of namespace "default" (no NetworkPolicy): allow everything, in and out.
    `-A cali-pro-kns.default ${c('-50oJuMfLVO3LkBk')} -j MARK --set-xmark 0x10000/0x10000`,
    `-A cali-pro-kns.default ${c('ztVPKv1UYejNzm1g')} -m mark --mark 0x10000/0x10000 -j RETURN`,
    `-A cali-pri-kns.default ${c('7Fnh7Pv3_98FtLW7')} -j MARK --set-xmark 0x10000/0x10000`,
    `-A cali-pri-kns.default ${c('ZbV6bJXWSRefjK0u')} -m mark --mark 0x10000/0x10000 -j RETURN`,
    ...lab.podsOn(node.name).flatMap((pod, i) => workloadChains(pod.hostInterface, i, vxlan, {
      egress: tierRules(lab.spec, pod, 'egress', `cali-fw-${pod.hostInterface}`),
      ingress: tierRules(lab.spec, pod, 'ingress', `cali-tw-${pod.hostInterface}`),
    })),
    ...policies.rules,
    'COMMIT',
  ];
  return [...raw, ...nat, ...filter, ''].join('\n');
}

/** A workload's chains; `tiers` holds the policy tier sections felix puts before the profile (none without policy). */
function workloadChains(w: string, i: number, vxlan: boolean, tiers: { egress: string[]; ingress: string[] }): string[] {
  const fw = `cali-fw-${w}`;
  const tw = `cali-tw-${w}`;
  const common = (chain: string, tag: string): string[] => [
    `-A ${chain} ${c(invented(`${tag}a`, i))} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${chain} ${c(invented(`${tag}b`, i))} -m conntrack --ctstate INVALID -j DROP`,
    `-A ${chain} ${c(invented(`${tag}c`, i))} -j MARK --set-xmark 0x0/0x10000`,
  ];
  return [
    ...common(fw, 'f'),
    ...(vxlan
      ? [`-A ${fw} -p udp ${c(invented('fd1', i))} -m comment --comment "Drop VXLAN encapped packets originating in workloads" -m multiport --dports 4789 -j DROP`]
      : []),
    ...tiers.egress,
    `-A ${fw} ${c(invented('fp', i))} -j cali-pro-kns.default`,
    `-A ${fw} ${c(invented('fr', i))} -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
    `-A ${fw} ${c(invented('fx', i))} -m comment --comment "Drop if no profiles matched" -j DROP`,
    ...common(tw, 't'),
    ...tiers.ingress,
    `-A ${tw} ${c(invented('tp', i))} -j cali-pri-kns.default`,
    `-A ${tw} ${c(invented('tr', i))} -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
    `-A ${tw} ${c(invented('tx', i))} -m comment --comment "Drop if no profiles matched" -j DROP`,
  ];
}

/** A stable 16-character stand-in for felix's rule hash (felix hashes the rule; we only need the shape). */
function invented(tag: string, index: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  let state = 2166136261;
  for (const ch of `${tag}:${index}`) state = Math.imul(state ^ ch.charCodeAt(0), 16777619) >>> 0;
  let out = '';
  for (let k = 0; k < 16; k++) {
    state = Math.imul(state ^ (state >>> 13), 2654435761) >>> 0;
    out += alphabet[state % alphabet.length];
  }
  return out;
}
