// Ties left by the frames: the two ends of one wire (a pod's eth0 and its host veth, two
// nodes' NICs, two VTEPs) carry the same frames. What tells them apart is order: a frame
// is seen first where it was sent and then, microseconds later, further along its way. So
// when k captures tie over the same k places and share frames, sorting the captures by when
// they saw each shared frame and the places by how far along that frame's way they are
// gives the assignment; the one most shared frames agree on wins. Places already held by a
// capture placed otherwise are taken out of the ties first (a bridge's capture, seeing
// every pod's frames, is placed on its own and leaves the pod's eth0 and veth to tie).
import type { PacketFacts } from '../facts.ts';
import { type FrameFit, fitText } from './frames.ts';
import type { L2Map } from './l2.ts';
import type { PlacedPart } from './place.ts';

export interface Tie {
  capture: number;
  part: PlacedPart;
  fit: FrameFit;
}

/** Frames are the same frame at two places when these agree (NAT and br_netfilter's DNAT keep them). */
function frameKey(p: PacketFacts): string | undefined {
  if (!p.link?.src || !p.link.dst) return undefined;
  const body = p.ip ? `${p.ip.src}|${p.ip.id ?? ''}|${p.tcp?.seq ?? ''}|${p.icmp?.seq ?? ''}` : p.arp ? `arp|${p.arp.opcode}|${p.arp.senderIp}|${p.arp.targetIp}` : undefined;
  return body === undefined ? undefined : `${p.link.src}|${p.link.dst}|${p.len}|${body}`;
}

function firstTimes(facts: PacketFacts[]): Map<string, PacketFacts> {
  const out = new Map<string, PacketFacts>();
  for (const p of facts) {
    const key = frameKey(p);
    if (key !== undefined && !out.has(key)) out.set(key, p);
  }
  return out;
}

const placeName = (map: L2Map, i: number): string => `${map.places[i]!.place.at} ${map.places[i]!.place.interface}`;

function assign(tie: Tie, index: number, map: L2Map, why: string): void {
  const { place } = map.places[index]!;
  tie.part.at = place.at;
  tie.part.interface = place.interface;
  tie.part.placedBy.push({ by: 'mac-addresses', text: `MAC addresses: ${fitText(tie.fit, index, map)}; as many fit ${tie.fit.best.filter((i) => i !== index).map((i) => placeName(map, i)).join(', ')}` });
  tie.part.placedBy.push({ by: 'timing', text: why });
}

/** Votes for one order of `group` over `places` from the frames all of them saw. */
function byTimes(group: Tie[], places: number[], map: L2Map): { order: number[]; votes: number; against: number } | undefined {
  const times = group.map((t) => firstTimes(t.part.facts));
  const votes = new Map<string, number>();
  let counted = 0;
  for (const [key, first] of times[0]!) {
    const seen = times.map((m) => m.get(key));
    if (seen.some((p) => p === undefined)) continue;
    const distances = map.sightings(first.link!.src!, first.link!.dst!);
    if (!distances) continue;
    const d = places.map((i) => distances.get(i));
    if (d.some((x) => x === undefined) || new Set(d).size !== d.length) continue;
    const t = seen.map((p) => p!.time);
    if (new Set(t).size !== t.length) continue; // seen in the same microsecond: says nothing
    const captureOrder = group.map((_, i) => i).sort((a, b) => t[a]! - t[b]!);
    const placeOrder = places.map((_, i) => i).sort((a, b) => d[a]! - d[b]!);
    // The capture that saw it n-th is at the place n-th along its way.
    const order: number[] = new Array<number>(group.length);
    captureOrder.forEach((c, n) => (order[c] = places[placeOrder[n]!]!));
    const k = order.join(',');
    votes.set(k, (votes.get(k) ?? 0) + 1);
    counted++;
  }
  const ranked = [...votes].sort((a, b) => b[1] - a[1]);
  if (ranked.length === 0 || (ranked[1] && ranked[1][1] === ranked[0]![1])) return undefined;
  return { order: ranked[0]![0].split(',').map(Number), votes: ranked[0]![1], against: counted - ranked[0]![1] };
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
      const result = byTimes(group, places, map);
      if (!result) continue;
      group.forEach((tie, i) => {
        const others = group.filter((t) => t !== tie).length;
        assign(tie, result.order[i]!, map, `packet times: on ${result.votes} frame${result.votes === 1 ? '' : 's'} it shares with the ${others === 1 ? 'capture' : `${others} captures`} of the other end${result.against > 0 ? ` (${result.against} disagree)` : ''}, the order of sightings puts it at ${placeName(map, result.order[i]!)}`);
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
