// Placing a plain capture by its frames: each frame's Ethernet source and destination,
// walked through the dumps' wiring (l2.ts), says on which interfaces it can be seen; the
// place that fits most frames is where the capture was taken. Two ends of one wire (a
// pod's eth0 and its host veth, two nodes' NICs, two VTEPs) see the same frames: such
// ties are left to packet times across captures (resolve.ts), or said.
import type { LinkCount } from './evidence.ts';
import type { L2Map } from './l2.ts';
import type { Place } from './model.ts';

export interface FrameFit {
  /** Places that fit the most frames, by index into L2Map.places. */
  best: number[];
  /** How many frames fit each of `best`. */
  fitting: number;
  /** Frames the dumps know at least one MAC of. */
  known: number;
  /** The next best place and how many it fits, to say how sure the choice is. */
  runnerUp?: { index: number; fitting: number };
  /** Per place index, how many frames carry its own MAC as source / destination. */
  ownMac: Map<number, { src: number; dst: number }>;
}

/** Scores every place (restricted to `allowed` when given) against the capture's frames (counted by their links, evidence.ts). */
export function fitFrames(links: LinkCount[], map: L2Map, allowed?: (p: Place) => boolean): FrameFit | undefined {
  const counts = new Map<number, number>();
  const ownMac = new Map<number, { src: number; dst: number }>();
  let known = 0;
  for (const { link, count } of links) {
    const { src, dst } = link ?? {};
    if (src === undefined || dst === undefined) continue;
    const seen = map.sightings(src, dst);
    if (!seen) continue;
    known += count;
    for (const index of seen.keys()) counts.set(index, (counts.get(index) ?? 0) + count);
    for (const [mac, role] of [[src, 'src'], [dst, 'dst']] as const) {
      for (const owner of map.ownersOf(mac)) {
        const own = ownMac.get(owner) ?? { src: 0, dst: 0 };
        own[role] += count;
        ownMac.set(owner, own);
      }
    }
  }
  const ranked = [...counts].filter(([i]) => !allowed || allowed(map.places[i]!.place)).sort((a, b) => b[1] - a[1]);
  if (known === 0 || ranked.length === 0) return undefined;
  const fitting = ranked[0]![1];
  const best = ranked.filter(([, n]) => n === fitting).map(([i]) => i);
  const next = ranked.find(([, n]) => n < fitting);
  return { best, fitting, known, ownMac, ...(next ? { runnerUp: { index: next[0], fitting: next[1] } } : {}) };
}

const placeText = (p: Place): string => `${p.at} ${p.interface}`;

/** "37 of 37 frames fit worker-1 flannel.1 (its MAC 7e:4f:… is the source of 21, the destination of 16); next best worker-2 flannel.1: 36" */
export function fitText(fit: FrameFit, index: number, map: L2Map): string {
  const place = map.places[index]!;
  const own = fit.ownMac.get(index);
  const mac = place.mac && own && own.src + own.dst > 0 ? ` (its MAC ${place.mac} is the source of ${own.src} and the destination of ${own.dst})` : '';
  const next = fit.runnerUp ? `; next best ${placeText(map.places[fit.runnerUp.index]!.place)}: ${fit.runnerUp.fitting}` : '';
  return `${fit.fitting} of ${fit.known} frames fit ${placeText(place.place)}${mac}${next}`;
}
