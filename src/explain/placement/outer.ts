// Placing an underlay capture by its tunnels' outer headers: a VXLAN (or IPIP, Geneve, GRE)
// packet's outer source and destination are the two nodes' underlay addresses (a VTEP's
// `local`, the address `bridge fdb` gives as a remote's `dst`), so it is seen on the
// sender's underlay interface and then on the receiver's. This needs no MAC address: it
// places a capture whose frames carry none (raw IP) or carry a router's the dumps do not
// hold, and it checks the MACs where both are there.
import type { Topology } from '../../topology/model.ts';
import type { OuterFacts } from '../facts.ts';
import type { Sightings } from './model.ts';

export interface OuterEnd {
  /** The place (index into L2Map.places) holding the address. */
  index: number;
  address: string;
}

/** A tunnelled packet's two ends, as far as the dumps' node addresses name them. */
export interface OuterWay {
  from?: OuterEnd;
  to?: OuterEnd;
}

export class OuterAddresses {
  /** Node underlay address → the place of the interface holding it (the VTEP's `dev` when dumped). */
  private readonly byAddress = new Map<string, number>();

  constructor(topology: Topology, placeIndex: (at: string, iface: string) => number | undefined) {
    for (const node of topology.nodes) {
      const vtepDevice = new Map(topology.vteps.filter((v) => v.node === node.name && v.local !== undefined && v.underlayDevice !== undefined).map((v) => [v.local!, v.underlayDevice!]));
      for (const address of [...node.addresses, ...vtepDevice.keys()]) {
        if (this.byAddress.has(address)) continue;
        const device = vtepDevice.get(address) ?? node.netns.interfaces.find((i) => i.addresses.some((a) => a.address === address))?.name;
        const index = device === undefined ? undefined : placeIndex(node.name, device);
        if (index !== undefined) this.byAddress.set(address, index);
      }
    }
  }

  /** Where the outer header's addresses are, undefined when the dumps hold neither. */
  way(outer: OuterFacts | undefined): OuterWay | undefined {
    if (!outer) return undefined;
    const from = this.byAddress.get(outer.src);
    const to = this.byAddress.get(outer.dst);
    if (from === undefined && to === undefined) return undefined;
    return { ...(from !== undefined ? { from: { index: from, address: outer.src } } : {}), ...(to !== undefined ? { to: { index: to, address: outer.dst } } : {}) };
  }

  /** The sender's underlay interface first, the receiver's after it. */
  static sightings(way: OuterWay): Sightings {
    const out: Sightings = new Map();
    if (way.from) out.set(way.from.index, 0);
    if (way.to && !out.has(way.to.index)) out.set(way.to.index, 1);
    return out;
  }
}
