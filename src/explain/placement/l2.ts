// The cluster's Ethernet wiring, as far as the dumps show it, for placing captures by
// their frames: every interface of every node and pod is a place, joined by
//   - a veth pair (a pod's eth0 and its host-side veth),
//   - a bridge and its ports (cni0 and the veths enslaved to it),
//   - the underlay (the nodes' NICs holding their addresses; one segment, like a switch),
//   - the overlay (VXLAN devices with the same VNI on different nodes).
// A frame from MAC s to MAC d is seen on the places along the way from s's owner to d's:
// only a bridge forwards (so a path goes through ports and bridges, never through a
// host's routing), and tcpdump puts a bridge in promiscuous mode, so the bridge sees what
// it forwards between its ports. A frame enters a bridge only when a port *receives* it
// (br_handle_frame is the port's rx handler): one the host sends out of a port itself (the
// IPv6 router solicitation every veth sends when it comes up, from the veth's own MAC) goes
// to the veth's peer and nowhere else, so neither the bridge nor its other ports see it.
// A broadcast or multicast frame floods s's segment, but not across VXLAN: flanneld and
// felix program no flooding entries (`bridge fdb` has no 00:00:00:00:00:00 entry), so a
// VTEP's own multicast stays on its node.
import type { Topology } from '../../topology/model.ts';
import type { FrameWay } from './evidence.ts';
import type { Place, Sightings } from './model.ts';
import { OuterAddresses, type OuterWay } from './outer.ts';
import { interfaceRole } from '../../topology/roles.ts';

type Role = 'bridge' | 'port' | 'vxlan' | 'wire';

export interface L2Place {
  place: Place;
  /** The node whose machine it is on (a pod's node for a pod's interfaces). */
  node: string;
  mac?: string;
  role: Role;
}

/** A veth pair or the underlay segment; a bridge and one of its ports; two VTEPs of one VNI. */
type EdgeKind = 'wire' | 'bridge' | 'overlay';

interface Edge {
  to: number;
  kind: EdgeKind;
}

export type { Sightings } from './model.ts';

/** Where one frame is seen and what said so. */
export interface FrameSeen {
  at: Sightings;
  /** The frame's Ethernet addresses are the dumps' (the MAC walk counted). */
  byMac: boolean;
  /** A tunnelled packet whose outer addresses are the dumps' nodes'. */
  outer?: OuterWay;
}

const isGroup = (mac: string): boolean => (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1;

/**
 * Whether a frame at a place of `role`, which it reached by `arrived` (undefined: the place
 * sent it), goes on along an edge of kind `next`. A sender puts it on its own links (a bridge
 * device's transmit goes through the bridge to its ports; a port's own transmit goes out its
 * wire only); a port that received it from its wire hands it to its bridge; a bridge hands
 * what one port gave it to its other ports; a port given it by the bridge puts it on its wire.
 * Anything else (a pod's eth0, a NIC, a VTEP) delivers it to its host, which does not bridge.
 */
function passes(role: Role, arrived: EdgeKind | undefined, next: EdgeKind): boolean {
  if (arrived === undefined) return role === 'bridge' ? next === 'bridge' : role === 'port' ? next === 'wire' : next !== 'bridge';
  if (role === 'port') return arrived === 'wire' ? next === 'bridge' : arrived === 'bridge' && next === 'wire';
  if (role === 'bridge') return arrived === 'bridge' && next === 'bridge';
  return false;
}

export class L2Map {
  readonly places: L2Place[] = [];
  private readonly edges: Edge[][] = [];
  private readonly owners = new Map<string, number[]>();
  private readonly cache = new Map<string, Sightings | undefined>();
  private readonly outer: OuterAddresses;

  constructor(topology: Topology) {
    const index = new Map<string, number>();
    const add = (p: L2Place): number => {
      const i = this.places.length;
      this.places.push(p);
      this.edges.push([]);
      index.set(`${p.place.at}\u0000${p.place.interface}`, i);
      if (p.mac) {
        const mac = p.mac.toLowerCase();
        this.owners.set(mac, [...(this.owners.get(mac) ?? []), i]);
      }
      return i;
    };
    const link = (a: number | undefined, b: number | undefined, kind: EdgeKind): void => {
      if (a === undefined || b === undefined || a === b) return;
      if (this.edges[a]!.some((e) => e.to === b)) return;
      this.edges[a]!.push({ to: b, kind });
      this.edges[b]!.push({ to: a, kind });
    };
    const underlay: number[] = [];
    const vxlans: { i: number; vni: number }[] = [];
    for (const node of topology.nodes) {
      const bridges = new Set(node.netns.bridges.map((b) => b.name));
      for (const iface of node.netns.interfaces) {
        if (iface.kind === 'loopback' || iface.name === 'lo') continue;
        const role: Role = iface.kind === 'bridge' || bridges.has(iface.name) ? 'bridge' : iface.master ? 'port' : interfaceRole(iface) === 'vxlan' ? 'vxlan' : 'wire';
        const i = add({ place: { at: node.name, interface: iface.name }, node: node.name, role, ...(iface.mac ? { mac: iface.mac } : {}) });
        if (iface.vxlan) vxlans.push({ i, vni: iface.vxlan.vni });
        if (iface.addresses.some((a) => node.addresses.includes(a.address))) underlay.push(i);
      }
      for (const iface of node.netns.interfaces) {
        if (iface.master) link(index.get(`${node.name}\u0000${iface.name}`), index.get(`${node.name}\u0000${iface.master}`), 'bridge');
      }
      for (const bridge of node.netns.bridges) {
        for (const port of bridge.ports) link(index.get(`${node.name}\u0000${port}`), index.get(`${node.name}\u0000${bridge.name}`), 'bridge');
      }
    }
    for (const pod of topology.pods) {
      if (pod.unnamed) continue;
      const podInterface = pod.podInterface ?? 'eth0';
      const interfaces = pod.netns?.interfaces.filter((i) => i.kind !== 'loopback' && i.name !== 'lo') ?? [{ name: podInterface, mac: pod.mac }];
      for (const iface of interfaces) {
        const i = add({ place: { at: pod.name, interface: iface.name }, node: pod.node, role: 'wire', ...(iface.mac ? { mac: iface.mac } : {}) });
        if (iface.name === podInterface && pod.hostInterface) link(i, index.get(`${pod.node}\u0000${pod.hostInterface}`), 'wire');
      }
    }
    for (let a = 0; a < underlay.length; a++) {
      for (let b = a + 1; b < underlay.length; b++) if (this.places[underlay[a]!]!.node !== this.places[underlay[b]!]!.node) link(underlay[a], underlay[b], 'wire');
    }
    for (let a = 0; a < vxlans.length; a++) {
      for (let b = a + 1; b < vxlans.length; b++) {
        if (vxlans[a]!.vni === vxlans[b]!.vni && this.places[vxlans[a]!.i]!.node !== this.places[vxlans[b]!.i]!.node) link(vxlans[a]!.i, vxlans[b]!.i, 'overlay');
      }
    }
    this.outer = new OuterAddresses(topology, (at, iface) => index.get(`${at}\u0000${iface}`));
  }

  /**
   * Where a captured frame is seen: by its Ethernet addresses walked through the wiring, and
   * for a tunnelled packet by its outer addresses. Both must hold, so where both say something
   * only the places both name remain (a router's MAC on a routed underlay leaves the MAC walk
   * only the interface it knows); either alone is taken as it is.
   */
  frameSightings(p: FrameWay): FrameSeen | undefined {
    const { src, dst } = p.link ?? {};
    const byMac = src !== undefined && dst !== undefined ? this.sightings(src, dst) : undefined;
    const outer = this.outer.way(p.outer);
    if (!outer) return byMac ? { at: byMac, byMac: true } : undefined;
    const byOuter = OuterAddresses.sightings(outer);
    if (!byMac) return { at: byOuter, byMac: false, outer };
    const both: Sightings = new Map([...byMac].filter(([i]) => byOuter.has(i)));
    // Disagreeing (a capture the dumps' wiring does not explain): the MACs, seen on the wire, are kept.
    return both.size > 0 ? { at: both, byMac: true, outer } : { at: byMac, byMac: true };
  }

  /** The places owning `mac` (several for Calico's ee:ee:ee:ee:ee:ee on every cali*). */
  ownersOf(mac: string): number[] {
    return this.owners.get(mac.toLowerCase()) ?? [];
  }

  /** Where a frame from `src` to `dst` is seen, with how far along its way; undefined when the dumps know neither MAC. */
  sightings(src: string, dst: string): Sightings | undefined {
    const key = `${src}>${dst}`.toLowerCase();
    if (this.cache.has(key)) return this.cache.get(key);
    const found = this.walk(src.toLowerCase(), dst.toLowerCase());
    this.cache.set(key, found);
    return found;
  }

  private walk(src: string, dst: string): Sightings | undefined {
    const from = this.ownersOf(src);
    const flood = isGroup(dst);
    const to = flood ? [] : this.ownersOf(dst);
    if (from.length === 0) return to.length > 0 ? new Map(to.map((i) => [i, 0])) : undefined;
    // Breadth first from every owner of the source; only bridges and their ports pass a frame on.
    const distance = new Map<number, number>(from.map((i) => [i, 0]));
    const previous = new Map<number, number>();
    const arrivedBy = new Map<number, EdgeKind>();
    const queue = [...from];
    const targets = new Set(to);
    while (queue.length > 0) {
      const at = queue.shift()!;
      if (targets.has(at)) {
        const path: Sightings = new Map();
        for (let i: number | undefined = at; i !== undefined; i = previous.get(i)) path.set(i, distance.get(i)!);
        return path;
      }
      for (const edge of this.edges[at]!) {
        if (!passes(this.places[at]!.role, arrivedBy.get(at), edge.kind)) continue;
        if (flood && edge.kind === 'overlay') continue;
        if (distance.has(edge.to)) continue;
        distance.set(edge.to, distance.get(at)! + 1);
        previous.set(edge.to, at);
        arrivedBy.set(edge.to, edge.kind);
        queue.push(edge.to);
      }
    }
    // A flood reaches everything it spread to; a unicast frame to a MAC the dumps do not
    // place (a router's) is seen at least where it was sent.
    return flood ? distance : new Map(from.map((i) => [i, 0]));
  }
}
