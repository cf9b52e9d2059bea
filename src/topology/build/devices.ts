// Which interfaces belong to the CNI (bridges, tunnels, pod-side veths) and
// which one is the node's own link to the other nodes (the underlay). Names
// follow the CNIs' own conventions (flannel's cni0/flannel.N, Calico's
// cali*/tunl0/vxlan.calico, Docker's docker0, docker_gwbridge (swarm) and br-<id> (user networks),
// LXC's lxcbr0, libvirt's virbr0, kube-proxy IPVS's kube-ipvs0): local bridges are never the underlay.
import type { NetInterface } from '../model.ts';

const OVERLAY_NAME = /^(?:cni\d*|cbr0|docker(?:\d+|_gwbridge)?|flannel[.\w]*|vxlan[.\w]*|cali[\w]*|tunl\d+|lo|kube-ipvs\d*|kube-bridge|weave|datapath|vethwe-[\w-]+|vxlan-\d+|cilium_[\w]+|lxc[\w]*|nodelocaldns|genev_sys_\d+|virbr\d+|br-[0-9a-f]{12})$/;
const NIC_NAME = /^(?:eth|ens|enp|eno|em|bond|wlan|wlp|ib)\w*$/;
const OVERLAY_KINDS = new Set(['veth', 'vxlan', 'ipip', 'loopback', 'geneve', 'gre', 'bridge', 'tun', 'dummy', 'ifb', 'wireguard']);

/** True for names the CNIs, Docker and kube-proxy give their devices. */
export function isOverlayName(name: string): boolean {
  return OVERLAY_NAME.test(name) || name.startsWith('veth');
}

/** True for interfaces that are not the node's own network link. */
export function isOverlayDevice(iface: NetInterface): boolean {
  if (OVERLAY_NAME.test(iface.name)) return true;
  // Kind and Docker nodes reach the world through a veth called eth0@ifN: a NIC name wins over the veth shape.
  if (NIC_NAME.test(iface.name) && (iface.kind === undefined || iface.kind === 'veth' || iface.kind === 'ether')) return false;
  if (iface.name.startsWith('veth')) return true;
  // An `@ifN` peer in another namespace is a veth even when `ip -d` was not used.
  if (iface.peerIndex !== undefined && (iface.linkNetnsId !== undefined || iface.linkNetns !== undefined)) return true;
  if (iface.kind !== undefined && OVERLAY_KINDS.has(iface.kind)) {
    // A bridge that carries the node's address (br0 with eth0 enslaved) is the underlay.
    return iface.kind !== 'bridge' || /^(?:cni|docker|cbr|kube-bridge|weave|virbr|br-)/.test(iface.name);
  }
  return false;
}

/** The overlay devices a CNI routes pod traffic through. */
export function isTunnelDevice(name: string): boolean {
  return /^(?:flannel\.\d+|vxlan\.calico|vxlan-v6\.calico|tunl\d+|cilium_vxlan|weave|vxlan-\d+)$/.test(name);
}
