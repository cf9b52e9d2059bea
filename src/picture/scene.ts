// Collects the boxes of a picture as a path is walked: one group per machine (a pod's box
// inside its node's), one device per (machine, interface), endings, and the node's other
// overlay devices drawn idle so the picture shows where the packet did not go as well.
import type { NetInterface, NetNamespace, Topology } from '../topology/model.ts';
import { interfaceRole, roleOfName } from '../topology/roles.ts';
import type { OuterHeader, Packet } from '../trace/model.ts';
import type { DeviceRole, DeviceState, Picture, PictureArrow, PictureDevice, PictureEnding, PictureGroup } from './model.ts';

const hostPort = (host: string, port: number | undefined) => (port === undefined ? host : `${host}:${port}`);

export const formatPacket = (p: Pick<Packet, 'src' | 'dst' | 'sport' | 'dport'> & { proto: string }): string => `${hostPort(p.src, p.sport)} → ${hostPort(p.dst, p.dport)} ${p.proto}`;

export function formatOuter(o: Pick<OuterHeader, 'src' | 'dst' | 'sport' | 'dport' | 'vni'> & { encapsulation?: string }): string {
  const kind =
    o.encapsulation === 'ipip' ? 'IP-in-IP' : o.encapsulation === 'gre' ? 'GRE' : `${o.encapsulation === 'geneve' ? 'Geneve' : 'VXLAN'} VNI ${o.vni ?? '?'}`;
  return `outer ${hostPort(o.src, o.sport)} → ${hostPort(o.dst, o.dport)} ${kind}`;
}

/** The picture's device role, from the interface's role in the topology (topology/roles.ts). */
function roleOf(iface: NetInterface | undefined, name: string, inPod: boolean): DeviceRole {
  if (inPod) return 'pod-nic';
  const role = iface ? interfaceRole(iface) : roleOfName(name);
  switch (role) {
    case 'bridge':
    case 'docker-bridge':
      return 'bridge';
    case 'vxlan':
      return 'vxlan';
    case 'ipip':
      return 'ipip';
    case 'pod-veth':
      return 'veth';
    case 'underlay':
    case 'loopback':
    case 'other':
    case undefined:
      return 'other';
    default: {
      const unhandled: never = role;
      return unhandled;
    }
  }
}

export class PictureScene {
  private readonly groups = new Map<string, PictureGroup>();
  private readonly devices = new Map<string, PictureDevice>();
  private readonly endings: PictureEnding[] = [];

  constructor(private readonly topology: Topology) {}

  /** The group a machine name stands for: a pod's box (inside its node's) or a node's. */
  private group(at: string): { id: string; netns: NetNamespace | undefined; inPod: boolean } {
    const pod = this.topology.pods.find((p) => p.name === at);
    if (pod) {
      const parent = this.nodeGroup(pod.node);
      const id = `pod:${pod.name}`;
      if (!this.groups.has(id)) this.groups.set(id, { id, label: `pod ${pod.name} ${pod.ip}`, kind: 'pod', parent });
      return { id, netns: pod.netns, inPod: true };
    }
    return { id: this.nodeGroup(at), netns: this.topology.nodes.find((n) => n.name === at)?.netns, inPod: false };
  }

  private nodeGroup(name: string): string {
    const id = `node:${name}`;
    if (!this.groups.has(id)) {
      const node = this.topology.nodes.find((n) => n.name === name);
      this.groups.set(id, { id, label: node?.addresses[0] ? `node ${name} ${node.addresses[0]}` : name === '' ? 'node unknown (not in the dumps)' : `node ${name}`, kind: 'node' });
    }
    return id;
  }

  private detailOf(iface: NetInterface | undefined, role: DeviceRole, at: string): string | undefined {
    if (role === 'vxlan') {
      const vtep = this.topology.vteps.find((v) => v.node === at && v.device === iface?.name);
      if (vtep) return `VNI ${vtep.vni} · UDP ${vtep.port}`;
    }
    const v4 = iface?.addresses?.find((a) => a.family === 4);
    if (v4) return `${v4.address}/${v4.prefixLength}`;
    if (role === 'veth' && iface?.mac) return iface.mac;
    return undefined;
  }

  /** The device box for `interface` on machine `at` (created on first use). */
  device(at: string, name: string, state: DeviceState): string {
    const { id: group, netns, inPod } = this.group(at);
    const id = `${group}/${name}`;
    const existing = this.devices.get(id);
    if (existing) {
      if (state !== 'idle' && existing.state === 'idle') existing.state = state;
      return id;
    }
    const iface = netns?.interfaces.find((i) => i.name === name);
    const node = inPod ? undefined : this.topology.nodes.find((n) => n.name === at);
    // The node's own address marks the underlay NIC whatever its kind (the lab's are veths).
    const underlay = node !== undefined && (iface?.addresses.some((a) => node.addresses.includes(a.address)) ?? false);
    const role = underlay ? 'underlay' : roleOf(iface, name, inPod);
    const detail = this.detailOf(iface, role, at);
    this.devices.set(id, { id, group, name, role, state, ...(detail !== undefined ? { detail } : {}) });
    return id;
  }

  ending(ending: Omit<PictureEnding, 'id'>): void {
    this.endings.push({ id: `end${this.endings.length + 1}`, ...ending });
  }

  /** The bridges, overlay devices and underlay NICs of every node drawn, that the path did not use. */
  addIdleDevices(): void {
    for (const group of [...this.groups.values()]) {
      if (group.kind !== 'node') continue;
      const node = this.topology.nodes.find((n) => `node:${n.name}` === group.id);
      if (!node) continue;
      const podPorts = new Set(this.topology.pods.filter((p) => p.node === node.name).map((p) => p.hostInterface));
      // A bridge belongs in the picture when pods hang off it (cni0), not docker0 and the like.
      const podBridges = new Set(node.netns.interfaces.filter((i) => podPorts.has(i.name) && i.master).map((i) => i.master));
      for (const iface of node.netns.interfaces) {
        const role = roleOf(iface, iface.name, false);
        const underlay = iface.addresses.some((a) => node.addresses.includes(a.address));
        if ((role === 'bridge' && podBridges.has(iface.name)) || role === 'vxlan' || role === 'ipip' || underlay) this.device(node.name, iface.name, 'idle');
      }
    }
  }

  picture(title: string, subtitle: string[], arrows: PictureArrow[]): Picture {
    return { title, subtitle, groups: [...this.groups.values()], devices: [...this.devices.values()], arrows, endings: this.endings };
  }
}
