// Ties left by the frames: the two ends of one wire (a pod's eth0 and its host veth, two
// nodes' NICs, two VTEPs), or a bridge and its ports when all they carry is the bridge's own
// flood, see the same frames. What tells them apart is order: a frame is seen first where it
// was sent and then, microseconds later, further along its way. So the tied captures that
// share candidate places are weighed together: every way of giving each of them one of its
// places (no two the same place) is scored by the shared frames' sightings, a sighting
// before another agreeing when the earlier capture's place is nearer the frame's sender; the
// best way wins, and where several ways score best only the captures they all agree on are
// placed. Places already held by a capture placed otherwise are taken out of the ties first
// (a bridge's capture, seeing every pod's frames, is placed on its own and leaves the pod's
// eth0 and veth to tie).
import { type TimedFrame, wayKey } from './evidence.ts';
import { type FrameFit, frameEvidence } from './frames.ts';
import type { L2Map } from './l2.ts';
import type { Sightings } from './model.ts';
import type { PlacedPart } from './model.ts';
import { appendAll } from '../../util/append.ts';

export interface Tie {
  capture: number;
  part: PlacedPart;
  fit: FrameFit;
  /** The capture's frames with their times, by frame key (evidence.ts). */
  timed: Map<string, TimedFrame[]>;
}

/**
 * Two sightings with one key are one frame when they are this close: a wire's two ends see a
 * frame microseconds apart, while a host repeats a frame (MLD reports, retransmissions)
 * hundreds of milliseconds apart at the least.
 */
const SAME_FRAME_SECONDS = 0.05;

function nearest(list: TimedFrame[], time: number): TimedFrame | undefined {
  let best: TimedFrame | undefined;
  for (const p of list) if (!best || Math.abs(p.time - time) < Math.abs(best.time - time)) best = p;
  return best && Math.abs(best.time - time) <= SAME_FRAME_SECONDS ? best : undefined;
}

const placeName = (map: L2Map, i: number): string => `${map.places[i]!.place.at} ${map.places[i]!.place.interface}`;

function assign(tie: Tie, index: number, map: L2Map, why: string): void {
  const { place } = map.places[index]!;
  tie.part.at = place.at;
  tie.part.interface = place.interface;
  appendAll(tie.part.placedBy, frameEvidence(tie.fit, index, map, tie.fit.best.filter((i) => i !== index)));
  tie.part.placedBy.push({ by: 'timing', text: why });
}

/** Shared sightings of one frame walk, counted: `early` saw `count` frames of that walk before `late` did. */
interface Order {
  early: number;
  late: number;
  distance: Sightings;
  count: number;
}

/** Each pair of sightings of one frame at different times in two of `group`'s captures, counted by capture pair and frame walk. */
function sharedOrders(group: Tie[], map: L2Map): Order[] {
  const times = group.map((t) => t.timed);
  const orders = new Map<string, Order>();
  for (let a = 0; a < group.length; a++) {
    for (let b = a + 1; b < group.length; b++) {
      for (const [key, list] of times[a]!) {
        const others = times[b]!.get(key);
        if (!others) continue;
        for (const first of list) {
          const other = nearest(others, first.time);
          if (!other || other.time === first.time) continue; // the same microsecond says nothing
          const distance = map.frameSightings(first)?.at;
          if (!distance) continue;
          const [early, late] = first.time < other.time ? [a, b] : [b, a];
          const id = `${early},${late},${wayKey(first)}`;
          const order = orders.get(id);
          if (order) order.count++;
          else orders.set(id, { early, late, distance, count: 1 });
        }
      }
    }
  }
  return [...orders.values()];
}

/** Ways of giving a group's captures their places; beyond this many the group stays ambiguous. */
const MAX_ASSIGNMENTS = 100_000;

interface Weighed {
  /** Per capture of the group, its place in every best way (one place: settled). */
  places: Set<number>[];
  /** The first best way, and per capture how many sightings agree with it and how many do not. */
  way: number[];
  votes: number[];
  against: number[];
}

/**
 * Every way of giving each capture of `group` one of `candidates[i]`, no place twice, weighed
 * by the shared sightings; undefined when none scores above nothing or there are too many ways.
 */
function weigh(group: Tie[], candidates: number[][], map: L2Map): Weighed | undefined {
  const orders = sharedOrders(group, map);
  if (orders.length === 0) return undefined;
  let best = 0;
  let bestWays: number[][] = [];
  let tried = 0;
  const way: number[] = [];
  const used = new Set<number>();
  const score = (): number => {
    let total = 0;
    for (const { early, late, distance, count } of orders) {
      const near = distance.get(way[early]!);
      const far = distance.get(way[late]!);
      if (near === undefined || far === undefined || near === far) continue;
      total += near < far ? count : -count;
    }
    return total;
  };
  const visit = (i: number): boolean => {
    if (i === group.length) {
      if (++tried > MAX_ASSIGNMENTS) return false;
      const total = score();
      if (total > best) {
        best = total;
        bestWays = [[...way]];
      } else if (total === best && total > 0) bestWays.push([...way]);
      return true;
    }
    for (const place of candidates[i]!) {
      if (used.has(place)) continue;
      used.add(place);
      way.push(place);
      const more = visit(i + 1);
      way.pop();
      used.delete(place);
      if (!more) return false;
    }
    return true;
  };
  if (!visit(0) || bestWays.length === 0) return undefined;
  const first = bestWays[0]!;
  const votes = group.map(() => 0);
  const against = group.map(() => 0);
  for (const { early, late, distance, count } of orders) {
    const near = distance.get(first[early]!);
    const far = distance.get(first[late]!);
    if (near === undefined || far === undefined || near === far) continue;
    for (const i of [early, late]) {
      if (near < far) votes[i]! += count;
      else against[i]! += count;
    }
  }
  return { places: group.map((_, i) => new Set(bestWays.map((w) => w[i]!))), way: first, votes, against };
}

/** Tied captures whose candidate places overlap, directly or through another's: weighed together. */
function groupsOf(open: Tie[], left: (t: Tie) => number[]): Tie[][] {
  const groups: { ties: Tie[]; places: Set<number> }[] = [];
  for (const tie of open) {
    const places = left(tie);
    const joined = groups.filter((g) => places.some((p) => g.places.has(p)));
    const merged = { ties: [...joined.flatMap((g) => g.ties), tie], places: new Set([...joined.flatMap((g) => [...g.places]), ...places]) };
    for (const g of joined) groups.splice(groups.indexOf(g), 1);
    groups.push(merged);
  }
  return groups.map((g) => g.ties);
}

export function breakTies(ties: Tie[], placed: PlacedPart[][], map: L2Map): void {
  const indexOf = new Map(map.places.map((p, i) => [`${p.place.at}\u0000${p.place.interface}`, i]));
  const taken = new Set<number>();
  for (const parts of placed) {
    for (const part of parts) {
      const i = part.at !== undefined && part.interface !== undefined ? indexOf.get(`${part.at}\u0000${part.interface}`) : undefined;
      // A `tcpdump -i any` part shares its place with that interface's own capture: it takes nothing.
      if (i !== undefined && !part.fromAny && !ties.some((t) => t.part === part)) taken.add(i);
    }
  }
  const isOpen = (t: Tie): boolean => t.part.at === undefined || t.part.interface === undefined;
  const left = (t: Tie): number[] => t.fit.best.filter((i) => !taken.has(i));
  let open = [...ties];
  for (let changed = true; changed && open.length > 0; ) {
    changed = false;
    for (const tie of open) {
      const places = left(tie);
      if (places.length !== 1) continue;
      const others = tie.fit.best.filter((i) => i !== places[0]).map((i) => placeName(map, i));
      assign(tie, places[0]!, map, `the other ${others.length === 1 ? 'place' : 'places'} it fits (${others.join(', ')}) ${others.length === 1 ? 'has' : 'have'} a capture of ${others.length === 1 ? 'its' : 'their'} own`);
      taken.add(places[0]!);
      changed = true;
    }
    open = open.filter(isOpen);
    for (const group of groupsOf(open, left)) {
      const candidates = group.map(left);
      if (candidates.some((c) => c.length === 0)) continue;
      const result = weigh(group, candidates, map);
      if (!result) continue;
      group.forEach((tie, i) => {
        if (result.places[i]!.size !== 1) return;
        const place = result.way[i]!;
        const others = group.length - 1;
        const against = result.against[i]!;
        assign(tie, place, map, `packet times: ${result.votes[i]} sightings of frames it shares with the ${others === 1 ? 'capture' : `${others} captures`} of the other end${others === 1 ? '' : 's'} come in the order their way gives${against > 0 ? ` (${against} do not)` : ''} when it is ${placeName(map, place)}`);
        taken.add(place);
        changed = true;
      });
    }
    open = open.filter(isOpen);
  }
  for (const tie of open) {
    const places = left(tie).length > 0 ? left(tie) : tie.fit.best;
    tie.part.unplaced = {
      reason: 'ambiguous',
      text: `${tie.fit.fitting} of ${tie.fit.known} frames fit ${places.map((i) => placeName(map, i)).join(' and ')} equally (they see the same frames); packet times across captures do not tell them apart: a capture of the other ${places.length === 2 ? 'end' : 'places'}, or --at, does`,
    };
  }
}
