// Placing a plain capture by its frames: each frame's Ethernet source and destination,
// walked through the dumps' wiring (l2.ts), and a tunnelled packet's outer addresses
// against the nodes' underlay addresses (outer.ts), say on which interfaces it can be seen;
// the place that fits most frames is where the capture was taken. Two ends of one wire (a
// pod's eth0 and its host veth, two nodes' NICs, two VTEPs) see the same frames: such ties
// are left to packet times across captures (resolve.ts), or said.
import type { FrameWay, LinkCount } from './evidence.ts';
import type { L2Map } from './l2.ts';
import type { Place, PlacementEvidence } from './model.ts';

export interface FrameFit {
  /** Places that fit the most frames, by index into L2Map.places. */
  best: number[];
  /** How many frames fit each of `best`. */
  fitting: number;
  /** Frames the dumps know at least one MAC or outer address of. */
  known: number;
  /** Of `known`, the frames placed by their MAC addresses (none in a raw IP capture). */
  byMac: number;
  /** The next best place and how many it fits, to say how sure the choice is. */
  runnerUp?: { index: number; fitting: number };
  /** Per place index, how many frames carry its own MAC as source / destination. */
  ownMac: Map<number, { src: number; dst: number }>;
  /** Per place index, the tunnelled packets whose outer source / destination is its address, and how they were tunnelled. */
  outer: Map<number, { address: string; from: number; to: number; tunnels: Set<string> }>;
}

/** Scores every place (restricted to `allowed` when given) against the capture's frames (counted by their way, evidence.ts). */
export function fitFrames(links: LinkCount[], map: L2Map, allowed?: (p: Place) => boolean): FrameFit | undefined {
  const counts = new Map<number, number>();
  const ownMac = new Map<number, { src: number; dst: number }>();
  const outer: FrameFit['outer'] = new Map();
  let known = 0;
  let byMac = 0;
  for (const p of links) {
    const n = p.count;
    const seen = map.frameSightings(p);
    if (!seen) continue;
    known += n;
    if (seen.byMac) byMac += n;
    for (const index of seen.at.keys()) counts.set(index, (counts.get(index) ?? 0) + n);
    if (seen.byMac) {
      for (const [mac, role] of [[p.link!.src!, 'src'], [p.link!.dst!, 'dst']] as const) {
        for (const owner of map.ownersOf(mac)) {
          const own = ownMac.get(owner) ?? { src: 0, dst: 0 };
          own[role] += n;
          ownMac.set(owner, own);
        }
      }
    }
    for (const [end, role] of [[seen.outer?.from, 'from'], [seen.outer?.to, 'to']] as const) {
      if (!end) continue;
      const entry = outer.get(end.index) ?? { address: end.address, from: 0, to: 0, tunnels: new Set<string>() };
      entry[role] += n;
      entry.tunnels.add(tunnelName(p));
      outer.set(end.index, entry);
    }
  }
  const ranked = [...counts].filter(([i]) => !allowed || allowed(map.places[i]!.place)).sort((a, b) => b[1] - a[1]);
  if (known === 0 || ranked.length === 0) return undefined;
  const fitting = ranked[0]![1];
  const best = ranked.filter(([, n]) => n === fitting).map(([i]) => i);
  const next = ranked.find(([, n]) => n < fitting);
  return { best, fitting, known, byMac, ownMac, outer, ...(next ? { runnerUp: { index: next[0], fitting: next[1] } } : {}) };
}

const placeText = (p: Place): string => `${p.at} ${p.interface}`;

/** "37 of 37 frames fit worker-1 flannel.1 (its MAC 7e:4f:… is the source of 21 and the destination of 16); next best worker-2 flannel.1: 36" */
export function fitText(fit: FrameFit, index: number, map: L2Map): string {
  const place = map.places[index]!;
  const own = fit.ownMac.get(index);
  const mac = place.mac && own && own.src + own.dst > 0 ? ` (its MAC ${place.mac} is the source of ${own.src} and the destination of ${own.dst})` : '';
  const next = fit.runnerUp ? `; next best ${placeText(map.places[fit.runnerUp.index]!.place)}: ${fit.runnerUp.fitting}` : '';
  return `${fit.fitting} of ${fit.known} frames fit ${placeText(place.place)}${mac}${next}`;
}

/** "VXLAN (UDP 8472)", "IPIP": how a tunnelled packet was carried, as the evidence names it. */
function tunnelName(p: FrameWay): string {
  const outer = p.outer!;
  const name = outer.encapsulation === 'ipip' ? 'IPIP' : outer.encapsulation.toUpperCase();
  return outer.dport !== undefined ? `${name} (UDP ${outer.dport})` : name;
}

/** "37 of 52 frames are VXLAN (UDP 8472) packets with worker-1 eth0's address 10.74.107.63 as outer source on 21 and as outer destination on 16" */
function outerText(fit: FrameFit, index: number, map: L2Map): string | undefined {
  const outer = fit.outer.get(index);
  if (!outer) return undefined;
  return `${outer.from + outer.to} of ${fit.known} frames are ${[...outer.tunnels].sort().join(' or ')} packets with ${placeText(map.places[index]!.place)}'s address ${outer.address} as outer source on ${outer.from} and as outer destination on ${outer.to}`;
}

/**
 * What the frames say for the place `index`, one entry per kind of evidence that spoke: the
 * MAC addresses (with the count of frames that fit), the outer addresses of its tunnelled
 * packets. `alsoFit` names the places that fit as many frames (a tie broken otherwise).
 */
export function frameEvidence(fit: FrameFit, index: number, map: L2Map, alsoFit: number[] = []): PlacementEvidence[] {
  const ties = alsoFit.length > 0 ? `; as many fit ${alsoFit.map((i) => placeText(map.places[i]!.place)).join(', ')}` : '';
  const outer = outerText(fit, index, map);
  const out: PlacementEvidence[] = [];
  if (fit.byMac > 0) out.push({ by: 'mac-addresses', text: `MAC addresses: ${fitText(fit, index, map)}${ties}` });
  if (outer) out.push({ by: 'outer-addresses', text: `outer addresses: ${fit.byMac > 0 ? '' : `${fitText(fit, index, map)}${ties}; `}${outer}` });
  return out;
}
