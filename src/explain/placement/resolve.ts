// Ties left by the frames: the two ends of one wire (a pod's eth0 and its host veth, two
// nodes' NICs, two VTEPs) carry the same frames. What tells them apart is order: a frame
// is seen first where it was sent and then, microseconds later, further along its way. So
// when k captures tie over the same k places and share frames, sorting the captures by when
// they saw each shared frame and the places by how far along that frame's way they are
// gives the assignment; the one most shared frames agree on wins. Places already held by a
// capture placed otherwise are taken out of the ties first (a bridge's capture, seeing
// every pod's frames, is placed on its own and leaves the pod's eth0 and veth to tie).
import type { TimedFrame } from './evidence.ts';
import { type FrameFit, fitText } from './frames.ts';
import type { L2Map } from './l2.ts';
import type { PlacedPart } from './model.ts';

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
  tie.part.placedBy.push({ by: 'mac-addresses', text: `MAC addresses: ${fitText(tie.fit, index, map)}; as many fit ${tie.fit.best.filter((i) => i !== index).map((i) => placeName(map, i)).join(', ')}` });
  tie.part.placedBy.push({ by: 'timing', text: why });
}

/** Every order of `items` (the groups here are a few captures: a wire's ends, a bridge's ports). */
function permutations(items: number[]): number[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** Bridges with many ports would make too many orders to weigh; their captures stay ambiguous. */
const MAX_GROUP = 6;

/**
 * The assignment of `group` to `places` that the most shared frames agree with: a frame two
 * captures both saw was seen first by the one nearer its sender. Each pair of sightings of
 * one frame at different times is a vote for the assignments that put the earlier capture
 * nearer the sender, and against those that put it further.
 */
function byTimes(group: Tie[], places: number[], map: L2Map): { order: number[]; votes: number; against: number } | undefined {
  if (group.length > MAX_GROUP) return undefined;
  const times = group.map((t) => t.timed);
  // Pairs (earlier capture, later capture, the frame's distances) from frames two captures share.
  const pairs: { early: number; late: number; distance: Map<number, number> }[] = [];
  for (let a = 0; a < group.length; a++) {
    for (let b = a + 1; b < group.length; b++) {
      for (const [key, list] of times[a]!) {
        const others = times[b]!.get(key);
        if (!others) continue;
        for (const first of list) {
          const other = nearest(others, first.time);
          if (!other || other.time === first.time) continue; // the same microsecond says nothing
          const distance = map.sightings(first.src, first.dst);
          if (!distance) continue;
          pairs.push(first.time < other.time ? { early: a, late: b, distance } : { early: b, late: a, distance });
        }
      }
    }
  }
  let best: { order: number[]; votes: number; against: number; score: number } | undefined;
  let tied = false;
  for (const order of permutations(places)) {
    let votes = 0;
    let against = 0;
    for (const { early, late, distance } of pairs) {
      const near = distance.get(order[early]!);
      const far = distance.get(order[late]!);
      if (near === undefined || far === undefined || near === far) continue;
      if (near < far) votes++;
      else against++;
    }
    const score = votes - against;
    if (!best || score > best.score) {
      best = { order, votes, against, score };
      tied = false;
    } else if (score === best.score) tied = true;
  }
  if (!best || tied || best.score <= 0) return undefined;
  return best;
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
  let open = [...ties];
  for (let changed = true; changed && open.length > 0; ) {
    changed = false;
    const left = (t: Tie): number[] => t.fit.best.filter((i) => !taken.has(i));
    for (const tie of open) {
      const places = left(tie);
      if (places.length !== 1) continue;
      const others = tie.fit.best.filter((i) => i !== places[0]).map((i) => placeName(map, i));
      assign(tie, places[0]!, map, `the other ${others.length === 1 ? 'place' : 'places'} it fits (${others.join(', ')}) ${others.length === 1 ? 'has' : 'have'} a capture of ${others.length === 1 ? 'its' : 'their'} own`);
      taken.add(places[0]!);
      changed = true;
    }
    open = open.filter((t) => t.part.at === undefined || t.part.interface === undefined);
    const groups = new Map<string, Tie[]>();
    for (const tie of open) {
      const key = left(tie).sort((a, b) => a - b).join(',');
      groups.set(key, [...(groups.get(key) ?? []), tie]);
    }
    for (const [key, group] of groups) {
      const places = key.split(',').filter((x) => x !== '').map(Number);
      if (places.length < 2 || group.length !== places.length) continue;
      // Only the frames' ways can order them: the captures must share frames.
      const result = byTimes(group, places, map);
      if (!result) continue;
      group.forEach((tie, i) => {
        const others = group.filter((t) => t !== tie).length;
        assign(tie, result.order[i]!, map, `packet times: ${result.votes} sightings of frames it shares with the ${others === 1 ? 'capture' : `${others} captures`} of the other end${others === 1 ? '' : 's'} come in the order their way gives${result.against > 0 ? ` (${result.against} do not)` : ''} when it is ${placeName(map, result.order[i]!)}`);
        taken.add(result.order[i]!);
      });
      changed = true;
    }
    open = open.filter((t) => t.part.at === undefined || t.part.interface === undefined);
  }
  for (const tie of open) {
    const places = tie.fit.best.map((i) => placeName(map, i));
    tie.part.unplaced = {
      reason: 'ambiguous',
      text: `${tie.fit.fitting} of ${tie.fit.known} frames fit ${places.join(' and ')} equally (one wire's ends see the same frames); a capture of the other end, or --at, tells them apart`,
    };
  }
}
