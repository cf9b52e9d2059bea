// What each interface is to pod networking, decided once when the topology is built
// (build/index.ts sets NetInterface.role) and asked here by everyone else: the tracer,
// the explainer, the pictures. `ip -d link`'s kind decides first; the CNIs', Docker's and
// kube-proxy's naming conventions only when the kind was not dumped (flannel's cni0 and
// flannel.N, Calico's cali*, tunl0 and vxlan.calico, Docker's docker0 and br-<id>,
// libvirt's virbr0, LXC's lxcbr0, IPVS's kube-ipvs0).
//
//   underlay       the node's own link to the other nodes (eth0, ens3, bond0, br0 with eth0 in it)
//   bridge         a CNI bridge pods hang off (cni0, cbr0, kube-bridge)
//   pod-veth       either end of a pod's veth pair (veth*, cali*, a pod's eth0)
//   vxlan / ipip   the overlay's tunnel devices (flannel.1, vxlan.calico, tunl0)
//   loopback       lo
//   docker-bridge  a local container bridge that is never the underlay (docker0, br-<id>, virbr0)
//   other          a device of the CNI or kube-proxy that is none of these (kube-ipvs0, cilium_host, geneve, wireguard …)
import type { InterfaceRole, NetInterface, NetNamespace } from './model.ts';

export type { InterfaceRole } from './model.ts';

const NIC_NAME = /^(?:eth|ens|enp|eno|em|bond|wlan|wlp|ib)\w*$/;
/**
 * flannel's VXLAN devices: `flannel.N` for IPv4 and, in a dual-stack or IPv6 cluster, `flannel-v6.N`
 * for IPv6 (flannel's vxlan backend names them so; N is the VNI).
 */
export const FLANNEL_VXLAN_NAME = /^flannel(?:-v6)?\.\d+$/;
const VXLAN_NAME = /^(?:vxlan[.\w-]*|cilium_vxlan)$/;
const IPIP_NAME = /^tunl\d+$/;
const CNI_BRIDGE_NAME = /^(?:cni\d*|cbr\d*|kube-bridge)$/;
const DOCKER_BRIDGE_NAME = /^(?:docker(?:\d+|_gwbridge)?|br-[0-9a-f]{12}|virbr\d+|lxcbr\d+|lxdbr\d+)$/;
const POD_VETH_NAME = /^(?:veth[\w-]*|cali[\w]*|vethwe-[\w-]+|lxc[\w]*|eni[0-9a-f]{11})$/;
/**
 * Host sides of pod veths the CNI reaches by a `/32` (`/128`) host route, with no bridge: Calico's
 * cali*, and AWS VPC CNI's `eni` + 11 hex digits (its hash of the pod's namespace and name).
 */
const ROUTED_POD_VETH_NAME = /^(?:cali\w*|eni[0-9a-f]{11})$/;
/** (antrea-gw0: Antrea's OVS port holding the node's pod gateway address, no underlay.) */
const OTHER_CNI_NAME = /^(?:kube-ipvs\d*|weave|datapath|cilium_[\w]+|nodelocaldns|genev_sys_\d+|antrea-gw\d+)$/;
const OTHER_KINDS = new Set(['geneve', 'gre', 'tun', 'dummy', 'ifb', 'wireguard', 'vrf', 'macvlan', 'ipvlan']);

/** Whether a route's device is a routed pod veth: its `/32` (`/128`) host route names a pod. */
export function isRoutedPodVeth(name: string | undefined): boolean {
  return name !== undefined && ROUTED_POD_VETH_NAME.test(name);
}

/** AWS VPC CNI's host-side pod veths: `eni` + 11 hex digits (its hash of the pod's namespace and name). */
const AWS_ENI_VETH_NAME = /^eni[0-9a-f]{11}$/;

/** Whether a device is AWS VPC CNI's host side of a pod veth. */
export function isAwsEniVeth(name: string | undefined): boolean {
  return name !== undefined && AWS_ENI_VETH_NAME.test(name);
}

/** Whether a device name is one of flannel's VXLAN devices (flannel.1, flannel-v6.1). */
export function isFlannelVxlanName(name: string | undefined): boolean {
  return name !== undefined && FLANNEL_VXLAN_NAME.test(name);
}

/** The role of an interface from its own facts; build/index.ts stores it, everyone else reads roleOf. */
export function classifyInterface(iface: Pick<NetInterface, 'name' | 'kind' | 'peerIndex' | 'linkNetnsId' | 'linkNetns' | 'vxlan' | 'ipip'>, nsKind: 'node' | 'pod' = 'node'): InterfaceRole {
  const { name, kind } = iface;
  if (kind === 'vxlan' || iface.vxlan) return 'vxlan';
  if (kind === 'ipip' || iface.ipip) return 'ipip';
  if (kind === 'loopback' || name === 'lo') return 'loopback';
  if (kind === 'bridge') {
    if (DOCKER_BRIDGE_NAME.test(name)) return 'docker-bridge';
    // A bridge with the node's own link in it (br0 with eth0 enslaved) is the underlay.
    return CNI_BRIDGE_NAME.test(name) || /^weave$/.test(name) ? 'bridge' : 'underlay';
  }
  if (nsKind === 'pod' && (kind === 'veth' || iface.peerIndex !== undefined || NIC_NAME.test(name))) return 'pod-veth';
  // Kind and Docker nodes reach the world through a veth called eth0@ifN: a NIC name wins over the veth shape.
  if (NIC_NAME.test(name) && (kind === undefined || kind === 'veth' || kind === 'ether')) return 'underlay';
  if (kind === 'veth') return 'pod-veth';
  if (kind !== undefined && OTHER_KINDS.has(kind)) return 'other';
  return roleOfName(name) ?? (iface.peerIndex !== undefined && (iface.linkNetnsId !== undefined || iface.linkNetns !== undefined) ? 'pod-veth' : 'underlay');
}

/** The role a device name alone implies (a route's `dev` the dumps do not list), or undefined when the name says nothing. */
export function roleOfName(name: string): InterfaceRole | undefined {
  if (name === 'lo') return 'loopback';
  if (VXLAN_NAME.test(name) || isFlannelVxlanName(name)) return 'vxlan';
  if (IPIP_NAME.test(name)) return 'ipip';
  if (CNI_BRIDGE_NAME.test(name)) return 'bridge';
  if (DOCKER_BRIDGE_NAME.test(name)) return 'docker-bridge';
  if (POD_VETH_NAME.test(name)) return 'pod-veth';
  if (OTHER_CNI_NAME.test(name)) return 'other';
  if (NIC_NAME.test(name)) return 'underlay';
  return undefined;
}

/** An interface's role: the one the build decided, else (hand-built topologies) classified now. */
export function interfaceRole(iface: NetInterface, nsKind: 'node' | 'pod' = 'node'): InterfaceRole {
  return iface.role ?? classifyInterface(iface, nsKind);
}

/** The role of a device in a namespace, by name; a device the dumps do not list gets what its name implies. */
export function roleOf(ns: NetNamespace, name: string | undefined): InterfaceRole | undefined {
  if (name === undefined) return undefined;
  const iface = ns.interfaces.find((i) => i.name === name);
  return iface ? interfaceRole(iface, ns.kind) : roleOfName(name);
}

/** VXLAN or IP-in-IP: the overlay's tunnel devices. */
export function isTunnelRole(role: InterfaceRole | undefined): boolean {
  return role === 'vxlan' || role === 'ipip';
}

/** Anything but the node's own link (and names that say nothing): never counted as the underlay. */
export function isClusterDeviceRole(role: InterfaceRole | undefined): boolean {
  return role !== undefined && role !== 'underlay';
}

export function isVxlanDevice(ns: NetNamespace, name: string | undefined): boolean {
  return roleOf(ns, name) === 'vxlan';
}

export function isTunnelDevice(ns: NetNamespace, name: string | undefined): boolean {
  return isTunnelRole(roleOf(ns, name));
}
