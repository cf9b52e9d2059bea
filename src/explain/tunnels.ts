// Explains the tunnels in the captures: which VTEPs, which port and VNI, whose overlay
// it is according to the dumps (a VXLAN device with that VNI and port), and what it
// carries. A tunnel on a port or VNI that no device in the dumps listens on is a sign
// of trouble: the receiving kernel drops such packets (no socket on that port) or
// the vxlan driver finds no device for the VNI.
import type { Topology, Vtep } from '../topology/model.ts';
import type { PacketFacts } from './facts.ts';
import type { GroupedFlow } from './flows.ts';
import type { Endpoint, Trouble, Tunnel } from './model.ts';
import type { AddressBook } from './names.ts';
import { interfaceRole } from '../topology/roles.ts';

const WELL_KNOWN: Record<number, string> = {
  8472: "the Linux kernel's default VXLAN port, the one Flannel's flannel.1 uses",
  4789: "the IANA VXLAN port, the one Calico's vxlan.calico uses",
  6081: 'the Geneve port',
};

function overlayName(topology: Topology, vtep: Vtep): string {
  const plugin = topology.cni.plugin;
  if (plugin === 'flannel' || vtep.device.startsWith('flannel')) return `Flannel's overlay (${vtep.device})`;
  if (plugin === 'calico' || vtep.device.includes('calico')) return `Calico's VXLAN overlay (${vtep.device})`;
  return `the overlay of ${vtep.device}`;
}

function ep(names: AddressBook, ip: string): Endpoint {
  return { ip, name: names.short(ip) };
}

/** One tunnel's packets in one capture part, counted as they are read. */
interface TunnelCount {
  first: PacketFacts;
  packets: number;
  /** The flows whose packets it carried, first seen first. */
  flows: Set<GroupedFlow>;
}

/** The tunnels of one capture (or part), gathered packet by packet so no packet is kept but each tunnel's first. */
export class TunnelTally {
  readonly byKey = new Map<string, TunnelCount>();

  /** `flow`: the flow the packet joined (flows.ts), if any. */
  add(p: PacketFacts, flow: GroupedFlow | undefined): void {
    const outer = p.outer;
    if (!outer) return;
    // The receiver's port: the UDP destination of packets towards it (the source port is a flow hash).
    const pair = outer.src < outer.dst ? `${outer.src}|${outer.dst}` : `${outer.dst}|${outer.src}`;
    const key = `${outer.encapsulation}/${outer.vni ?? ''}/${outer.dport ?? ''}/${pair}`;
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { first: p, packets: 0, flows: new Set() };
      this.byKey.set(key, entry);
    }
    entry.packets++;
    if (flow) entry.flows.add(flow);
  }
}

/**
 * The tunnels of every capture part (`parts` in capture order, each with its capture index);
 * `connectionOf(flow)` names the connection a flow belongs to.
 */
export function explainTunnels(
  parts: { capture: number; tally: TunnelTally }[],
  topology: Topology,
  names: AddressBook,
  connectionOf: (flow: GroupedFlow) => string | undefined,
  connectionText: (id: string) => string,
): { tunnels: Tunnel[]; troubles: Trouble[] } {
  const byKey = new Map<string, { tunnel: Tunnel; first: PacketFacts }>();
  for (const { capture, tally } of parts) {
    for (const [key, count] of tally.byKey) {
      let entry = byKey.get(key);
      if (!entry) {
        const outer = count.first.outer!;
        const tunnel: Tunnel = {
          encapsulation: outer.encapsulation,
          from: ep(names, outer.src),
          to: ep(names, outer.dst),
          meaning: '',
          carries: [],
          packets: 0,
          captures: [],
          text: '',
        };
        if (outer.vni !== undefined) tunnel.vni = outer.vni;
        if (outer.dport !== undefined) tunnel.port = outer.dport;
        entry = { tunnel, first: count.first };
        byKey.set(key, entry);
      }
      const t = entry.tunnel;
      t.packets += count.packets;
      if (!t.captures.includes(capture)) t.captures.push(capture);
      for (const flow of count.flows) {
        const id = connectionOf(flow);
        if (id && !t.carries.includes(id)) t.carries.push(id);
      }
    }
  }
  const troubles: Trouble[] = [];
  const haveDumps = topology.nodes.length > 0;
  const tunnels = [...byKey.values()].map(({ tunnel: t, first }) => {
    describe(t, topology, haveDumps, troubles, first);
    const counts = new Map<string, number>();
    for (const text of t.carries.map(connectionText).filter((s) => s !== '')) counts.set(text, (counts.get(text) ?? 0) + 1);
    const carried = [...counts].map(([text, n]) => (n > 1 ? `${text} (${n} connections)` : text));
    const shown = carried.length > 4 ? [...carried.slice(0, 4), `${carried.length - 4} more`] : carried;
    const carrying = shown.length > 0 ? `, carrying ${shown.join('; ')}` : '';
    const name = t.encapsulation === 'vxlan' ? 'VXLAN' : t.encapsulation === 'geneve' ? 'Geneve' : t.encapsulation === 'ipip' ? 'IP-in-IP' : 'GRE';
    const vni = t.vni !== undefined ? ` VNI ${t.vni}` : '';
    const port = t.port !== undefined ? ` on ${t.port}` : '';
    t.text = `${name}${vni} from ${label(t.from)} to ${label(t.to)}${port}: ${t.meaning}${carrying}`;
    return t;
  });
  return { tunnels, troubles };
}

function label(e: Endpoint): string {
  return e.name === e.ip ? e.ip : `${e.name} (${e.ip})`;
}

function describe(t: Tunnel, topology: Topology, haveDumps: boolean, troubles: Trouble[], first: PacketFacts): void {
  if (t.encapsulation === 'ipip') {
    const tunl = topology.nodes.flatMap((n) => n.netns.interfaces.filter((i) => interfaceRole(i) === 'ipip').map((i) => `${i.name}@${n.name}`));
    t.meaning = tunl.length > 0 ? `Calico's IP-in-IP overlay (${tunl.join(', ')})` : 'IP-in-IP (IP protocol 4), as Calico tunl0 sends it';
    return;
  }
  if (t.encapsulation !== 'vxlan') {
    t.meaning = t.port !== undefined ? (WELL_KNOWN[t.port] ?? 'a tunnel') : 'a tunnel';
    return;
  }
  const onPort = topology.vteps.filter((v) => v.port === t.port);
  const exact = onPort.find((v) => v.vni === t.vni && (v.local === t.to.ip || v.local === t.from.ip)) ?? onPort.find((v) => v.vni === t.vni);
  if (exact) {
    t.device = exact.device;
    t.meaning = overlayName(topology, exact);
    return;
  }
  const known = t.port !== undefined ? WELL_KNOWN[t.port] : undefined;
  if (!haveDumps || topology.vteps.length === 0) {
    t.meaning = known ? `VXLAN on ${known}` : `VXLAN on UDP ${t.port ?? '?'}`;
    if (!haveDumps) t.meaning += ' (no node dumps given to say whose)';
    return;
  }
  const devices = topology.vteps.map((v) => `${v.device}@${v.node} VNI ${v.vni} port ${v.port}`).join(', ');
  if (onPort.length === 0) {
    t.meaning = `no VXLAN device in the dumps listens on UDP ${t.port ?? '?'} (they have ${devices}): the receiver drops these`;
    troubles.push({ kind: 'vxlan-unknown-port', capture: first.capture, frame: first.frame, text: `VXLAN to UDP port ${t.port ?? '?'}, on which no device in the dumps listens (${devices})` });
  } else {
    t.meaning = `no VXLAN device in the dumps has VNI ${t.vni ?? '?'} on port ${t.port ?? '?'} (they have ${devices}): the receiver drops these`;
    troubles.push({ kind: 'vxlan-unknown-vni', capture: first.capture, frame: first.frame, text: `VXLAN VNI ${t.vni ?? '?'} on port ${t.port ?? '?'}, which no device in the dumps has (${devices})` });
  }
}
