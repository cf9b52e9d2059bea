// The topology as a box-drawing diagram, computed as plain text rows so it can
// be tested without a terminal. One box per node (its underlay and tunnel
// devices, each bridge with the pods on its ports, pods reached by a plain veth
// as Calico attaches them), boxes side by side as the width allows, then the
// overlay links between VTEPs. The device of the current hop is marked ▶.
//
//   ┌─ worker-1 10.74.107.63 ──────┐  ┌─ worker-2 10.74.107.62 ──────┐
//   │ eth0 10.74.107.63/24         │  │ eth0 10.74.107.62/24         │
//   │ flannel.1 vxlan 1 :8472      │  │ flannel.1 vxlan 1 :8472      │
//   │ cni0 bridge 192.168.1.1/24   │  │ cni0 bridge 192.168.2.1/24   │
//   │ └─ veth6b3caf45 ─ pod1       │  │ └─ veth1a2b3c4d ─ pod2       │
//   │      eth0 192.168.1.7        │  │      eth0 192.168.2.12       │
//   └──────────────────────────────┘  └──────────────────────────────┘
//   overlay  worker-1 flannel.1 ══ VNI 1 udp/8472 ══ worker-2 flannel.1
import type { ClusterNode, NetInterface, Pod, Topology } from '../topology/model.ts';
import { fit, s } from './format.ts';
import { appendAll, maxOf } from '../util/append.ts';

export interface Segment {
  text: string;
  marked: boolean;
}
export type DiagramLine = Segment[];

export interface HopPlace {
  at: string;
  interface: string;
}

interface BoxLine {
  text: string;
  marked: boolean;
}

function firstAddress(iface: NetInterface): string {
  const v4 = iface.addresses.find((a) => a.family === 4) ?? iface.addresses[0];
  return v4 ? `${v4.address}/${v4.prefixLength}` : '';
}

function kindTag(iface: NetInterface): string {
  if (iface.vxlan) return `vxlan ${iface.vxlan.vni} :${iface.vxlan.port}`;
  if (iface.kind === 'ipip' || iface.ipip) return 'ipip';
  if (iface.kind === 'bridge') return 'bridge';
  return '';
}

function nodeBox(node: ClusterNode, topology: Topology, here: HopPlace | undefined): { title: string; lines: BoxLine[] } {
  const ifaces = node.netns.interfaces;
  const podsByHostIface = new Map<string, Pod>();
  for (const pod of topology.pods) if (pod.node === node.name && pod.hostInterface) podsByHostIface.set(pod.hostInterface, pod);
  const atNode = (name: string): boolean => here?.at === node.name && here.interface === name;
  const lines: BoxLine[] = [];
  const bridgePorts = new Set<string>();
  for (const bridge of node.netns.bridges) for (const port of bridge.ports) bridgePorts.add(port);
  for (const iface of ifaces) if (iface.master) bridgePorts.add(iface.name);

  // Underlay and tunnel devices first: the overlay runs between them.
  for (const iface of ifaces) {
    if (iface.kind === 'loopback' || iface.name === 'lo') continue;
    if (iface.kind === 'bridge' || node.netns.bridges.some((b) => b.name === iface.name)) continue;
    if (bridgePorts.has(iface.name) || podsByHostIface.has(iface.name)) continue;
    if (iface.kind === 'veth' && iface.addresses.length === 0) continue;
    const text = [iface.name, kindTag(iface), firstAddress(iface)].filter(Boolean).join(' ');
    lines.push({ text, marked: atNode(iface.name) });
  }
  // Bridges with their ports, pods hanging off the ports.
  const bridgeNames = new Set([
    ...node.netns.bridges.map((b) => b.name),
    ...ifaces.filter((i) => i.kind === 'bridge').map((i) => i.name),
  ]);
  for (const name of bridgeNames) {
    const iface = ifaces.find((i) => i.name === name);
    lines.push({ text: [name, 'bridge', iface ? firstAddress(iface) : ''].filter(Boolean).join(' '), marked: atNode(name) });
    const ports = new Set([
      ...(node.netns.bridges.find((b) => b.name === name)?.ports ?? []),
      ...ifaces.filter((i) => i.master === name).map((i) => i.name),
    ]);
    const list = [...ports];
    list.forEach((port, i) => {
      const last = i === list.length - 1;
      const branch = last ? '└─ ' : '├─ ';
      const indent = last ? '     ' : '│    ';
      const pod = podsByHostIface.get(port);
      if (pod) {
        lines.push({ text: `${branch}${port} ─ ${pod.name}`, marked: atNode(port) });
        lines.push({ text: `${indent}${pod.podInterface ?? 'eth0'} ${pod.ip}`, marked: here?.at === pod.name });
      } else lines.push({ text: `${branch}${port}`, marked: atNode(port) });
    });
  }
  // Pods on a plain veth (Calico: cali* with proxy ARP, no bridge).
  const loose = [...podsByHostIface.entries()].filter(([iface]) => !bridgePorts.has(iface));
  const unattached = topology.pods.filter((p) => p.node === node.name && !p.hostInterface);
  if (loose.length + unattached.length > 0) lines.push({ text: 'pods', marked: false });
  loose.forEach(([iface, pod], i) => {
    const last = i === loose.length - 1 && unattached.length === 0;
    lines.push({ text: `${last ? '└─ ' : '├─ '}${iface} ─ ${pod.name}`, marked: atNode(iface) });
    lines.push({ text: `${last ? '     ' : '│    '}${pod.podInterface ?? 'eth0'} ${pod.ip}`, marked: here?.at === pod.name });
  });
  unattached.forEach((pod, i) => {
    const last = i === unattached.length - 1;
    lines.push({ text: `${last ? '└─ ' : '├─ '}${pod.name} ${pod.ip}`, marked: here?.at === pod.name });
  });
  const title = [node.name, node.addresses[0] ?? ''].filter(Boolean).join(' ');
  return { title, lines: lines.map((l) => ({ text: s(l.text), marked: l.marked })) };
}

function drawBox(title: string, lines: BoxLine[], width: number): DiagramLine[] {
  const inner = width - 4;
  const head = `┌─ ${fit(s(title), width - 6)} `;
  const out: DiagramLine[] = [[{ text: head.padEnd(width - 1, '─') + '┐', marked: false }]];
  for (const line of lines) {
    const mark = line.marked ? '▶' : ' ';
    out.push([
      { text: '│', marked: false },
      { text: `${mark}${fit(line.text, inner).padEnd(inner)} `, marked: line.marked },
      { text: '│', marked: false },
    ]);
  }
  out.push([{ text: `└${'─'.repeat(width - 2)}┘`, marked: false }]);
  return out;
}

/** Lines that describe the overlay: which VTEP reaches which, with VNI and port. */
export function overlayLines(topology: Topology): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const vtep of topology.vteps) {
    for (const remote of vtep.remotes) {
      const peer = topology.vteps.find((v) => (remote.node ? v.node === remote.node : v.local === remote.dst));
      const peerName = remote.node ?? peer?.node ?? remote.dst;
      const key = [vtep.node, peerName].sort().join('|');
      if (seen.has(key)) continue;
      seen.add(key);
      const left = `${vtep.node} ${vtep.device}${vtep.local ? ` ${vtep.local}` : ''}`;
      const right = `${peerName} ${peer?.device ?? vtep.device} ${remote.dst}`;
      lines.push(s(`${left} ══ VNI ${vtep.vni} udp/${vtep.port} ══ ${right}`));
    }
  }
  return lines;
}

/**
 * Without a tunnel (Flannel host-gw, Calico BGP) nodes reach each other's pods by plain
 * routes via the peer's underlay address: those routes are the "overlay" to draw.
 */
export function routedLines(topology: Topology): string[] {
  const byAddress = new Map<string, string>();
  for (const node of topology.nodes) for (const address of node.addresses) byAddress.set(address, node.name);
  const lines: string[] = [];
  for (const node of topology.nodes) {
    for (const route of node.netns.routes) {
      const peer = route.via === undefined ? undefined : byAddress.get(route.via);
      if (!peer || peer === node.name || route.dst === 'default') continue;
      lines.push(s(`${node.name} ── ${route.dst} via ${route.via}${route.proto ? ` (${route.proto})` : ''} ──▶ ${peer}`));
    }
  }
  return lines;
}

export function drawTopology(topology: Topology, width: number, here?: HopPlace): DiagramLine[] {
  const boxes = topology.nodes.map((n) => nodeBox(n, topology, here));
  const gap = 2;
  const widest = maxOf(boxes.map((b) => maxOf(b.lines.map((l) => l.text.length + 4), b.title.length + 6)), 20);
  // Side by side while each box keeps at least MIN_BOX columns (long lines are cut
  // with …); stacked otherwise. Two nodes side by side at 80 columns show the overlay
  // between them at a glance.
  const MIN_BOX = 34;
  const fits = Math.max(1, Math.floor((width + gap) / (MIN_BOX + gap)));
  const perRow = Math.max(1, Math.min(boxes.length, fits));
  const boxWidth = Math.max(20, Math.min(widest, Math.floor((width - gap * (perRow - 1)) / perRow)));
  const out: DiagramLine[] = [];
  for (let i = 0; i < boxes.length; i += perRow) {
    const row = boxes.slice(i, i + perRow).map((b) => drawBox(b.title, b.lines, boxWidth));
    const height = maxOf(row.map((b) => b.length));
    for (let r = 0; r < height; r++) {
      const line: DiagramLine = [];
      row.forEach((box, col) => {
        if (col > 0) line.push({ text: ' '.repeat(gap), marked: false });
        appendAll(line, (box[r] ?? [{ text: ' '.repeat(boxWidth), marked: false }]));
      });
      out.push(line);
    }
  }
  const overlay = overlayLines(topology);
  const cni = topology.cni.plugin === 'unknown' ? '' : ` (${topology.cni.plugin} ${topology.cni.mode})`;
  if (overlay.length > 0) {
    out.push([{ text: fit(`overlay${cni}`, width), marked: false }]);
    for (const line of overlay) out.push([{ text: fit(`  ${line}`, width), marked: false }]);
  } else {
    const routed = routedLines(topology);
    if (routed.length > 0) {
      out.push([{ text: fit(`routed between nodes, no tunnel${cni}`, width), marked: false }]);
      for (const line of routed) out.push([{ text: fit(`  ${line}`, width), marked: false }]);
    } else if (cni) out.push([{ text: fit(`no overlay${cni}`, width), marked: false }]);
  }
  return out;
}
