// Placing a capture by what the capture file itself says about its interfaces: a pcapng's
// Interface Description Blocks (if_name, if_description), Linux cooked v2's ifindex in every
// packet, or (cooked v1, which has neither) the sender MAC of every packet.
import type { Topology } from '../../topology/model.ts';
import type { FrameEvidence, LinkCount, TimedFrame } from './evidence.ts';
import { type FrameFit, fitFrames, frameEvidence } from './frames.ts';
import type { L2Map } from './l2.ts';
import type { PlacementEvidence } from './model.ts';
import type { PlacedPart } from './model.ts';
import { appendAll } from '../../util/append.ts';

/** The part of a capture a pcapng interface or an SLL2 ifindex makes (PlacedPart.stream): the explainer groups each part's packets apart. */
export const nameStream = (name: string): string => `if:${name}`;
export const indexStream = (index: number): string => `#${index}`;

function groupBy<K>(links: LinkCount[], key: (l: LinkCount) => K): Map<K, LinkCount[]> {
  const out = new Map<K, LinkCount[]>();
  for (const l of links) {
    const k = key(l);
    const list = out.get(k);
    if (list) list.push(l);
    else out.set(k, [l]);
  }
  return out;
}

const total = (links: LinkCount[]): number => links.reduce((n, l) => n + l.count, 0);

/** The namespaces (node or pod names) that have every one of `names` as an interface. */
function namespacesWith(topology: Topology, names: string[]): string[] {
  const nodes = topology.nodes.filter((n) => names.every((name) => n.netns.interfaces.some((i) => i.name === name))).map((n) => n.name);
  const pods = topology.pods
    .filter((p) => !p.unnamed && names.every((name) => (p.netns ? p.netns.interfaces.some((i) => i.name === name) : name === (p.podInterface ?? 'eth0'))))
    .map((p) => p.name);
  return [...nodes, ...pods];
}

/**
 * `tcpdump -i any` in Linux cooked v2: which node's `ip link` names every ifindex the
 * capture holds. Several can (ifindexes are small numbers); then the one whose interfaces'
 * MACs sent the outgoing packets.
 */
function nodeForIfindexes(links: LinkCount[], topology: Topology, at: string | undefined): { node: string; text?: string } | undefined {
  const indexes = [...new Set(links.map((l) => l.ifindex!))];
  const fits = topology.nodes.filter((n) => (at === undefined || n.name === at) && indexes.every((x) => n.netns.interfaces.some((i) => i.index === x)));
  if (fits.length === 0) return undefined;
  if (at !== undefined || fits.length === 1) {
    return { node: fits[0]!.name, ...(at === undefined ? { text: `every interface index in it (${indexes.sort((a, b) => a - b).join(', ')}) is in ${fits[0]!.name}'s ip link, and in no other node's` } : {}) };
  }
  const scored = fits
    .map((n) => ({
      node: n.name,
      sent: total(links.filter((l) => l.link?.outgoing && l.link.src !== undefined && n.netns.interfaces.find((i) => i.index === l.ifindex)?.mac?.toLowerCase() === l.link.src.toLowerCase())),
    }))
    .sort((a, b) => b.sent - a.sent);
  if (scored[0]!.sent === 0 || scored[0]!.sent === scored[1]!.sent) return undefined;
  const outgoing = total(links.filter((l) => l.link?.outgoing));
  return { node: scored[0]!.node, text: `its interface indexes are in ${fits.map((n) => n.name).join(' and ')}'s ip link; ${scored[0]!.sent} of its ${outgoing} outgoing packets carry the MAC of ${scored[0]!.node}'s interface with that index` };
}

/** Cooked v1: which node's machine (its interfaces, its pods') sent the packets, by their sender MACs. */
export function senderNode(links: LinkCount[], map: L2Map): { node: string; text: string } | undefined {
  const counts = new Map<string, number>();
  let known = 0;
  for (const l of links) {
    const nodes = new Set(map.ownersOf(l.link!.src!).map((i) => map.places[i]!.node));
    if (nodes.size === 0) continue;
    known += l.count;
    for (const node of nodes) counts.set(node, (counts.get(node) ?? 0) + l.count);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  if (!first || (second && second[1] === first[1])) return undefined;
  return {
    node: first[0],
    text: `a cooked v1 capture (no interface index): ${first[1]} of its ${known} packets from known MACs were sent by ${first[0]}'s interfaces or its pods'${second ? `, ${second[1]} by ${second[0]}'s` : ''}`,
  };
}

interface InterfaceData {
  interfaceName?: string | undefined;
  interfaceDescription?: string | undefined;
}

/** The IDB name of a packet: if_name when the dumps know it (or there is nothing else), else if_description. */
function idbName(p: InterfaceData, known: (name: string) => boolean): string | undefined {
  if (p.interfaceName !== undefined && (known(p.interfaceName) || p.interfaceDescription === undefined)) return p.interfaceName;
  return p.interfaceDescription ?? p.interfaceName;
}

/** The IDB name the parts of a pcapng are split by, as placeByPcapngInterfaces splits them (for the explainer's grouping while reading). */
export function idbNamer(topology: Topology): (p: InterfaceData) => string | undefined {
  const known = new Map<string, boolean>();
  const isKnown = (n: string): boolean => {
    let k = known.get(n);
    if (k === undefined) known.set(n, (k = namespacesWith(topology, [n]).length > 0));
    return k;
  };
  return (p) => idbName(p, isKnown);
}

/** Every packet carries its interface's name (a pcapng from dumpcap or tshark), and none is `any`. */
export function hasInterfaceNames(evidence: FrameEvidence): boolean {
  const { links } = evidence;
  return evidence.packets > 0 && links.every((p) => (p.interfaceName ?? p.interfaceDescription) !== undefined) && !links.some((p) => (p.interfaceName ?? p.interfaceDescription) === 'any');
}

/** Linux cooked v1: a sender address on every packet, no destination, no ifindex. */
export function isCookedV1(evidence: FrameEvidence): boolean {
  return evidence.packets > 0 && evidence.links.every((p) => p.link?.src !== undefined && p.link.dst === undefined && p.ifindex === undefined);
}

/** The timed frames captured on the pcapng interface `name` (a multi-interface file's other interfaces left out). */
function timedOn(timed: Map<string, TimedFrame[]>, name: string): Map<string, TimedFrame[]> {
  const out = new Map<string, TimedFrame[]>();
  for (const [key, list] of timed) {
    const on = list.filter((f) => f.interfaceName === name || f.interfaceDescription === name);
    if (on.length > 0) out.set(key, on);
  }
  return out;
}

/**
 * One part per interface the pcapng names. The node: --at's or the file name's, else the one
 * namespace that has every one of those interfaces, else the frames' among those that have it.
 */
export function placeByPcapngInterfaces(
  frames: FrameEvidence,
  evidence: PlacementEvidence[],
  given: string | undefined,
  topology: Topology,
  map: L2Map,
  /** A part whose frames fit several namespaces' interface of that name equally: left to packet times (resolve.ts), with that interface's timed frames. */
  tie: (part: PlacedPart, fit: FrameFit, timed: Map<string, TimedFrame[]>) => void,
): PlacedPart[] {
  let at = given;
  const known = (n: string): boolean => namespacesWith(topology, [n]).length > 0;
  const option = (p: InterfaceData): string => (idbName(p, known) === p.interfaceName ? 'if_name' : 'if_description');
  const parts = groupBy(frames.links, (p) => idbName(p, known)!);
  const names = [...parts.keys()];
  let owners: string[] = [];
  if (at === undefined && topology.nodes.length > 0) {
    owners = namespacesWith(topology, names);
    if (owners.length === 1) at = owners[0];
  }
  const nodeText = owners.length === 1 ? `; only ${owners[0]!} has ${names.length === 1 ? 'an interface of that name' : 'all of them'}` : '';
  return [...parts].map(([name, list]) => {
    const partEvidence: PlacementEvidence[] = [...evidence, { by: 'pcapng-interface', text: `pcapng interface name ${name} (${option(list[0]!)})${nodeText}` }];
    const part: PlacedPart = { interface: name, stream: nameStream(name), packets: total(list), placedBy: partEvidence };
    if (at !== undefined) part.at = at;
    else {
      // Which node: the frames decide among the namespaces that have the interface.
      const candidates = new Set(owners.length > 0 ? owners : namespacesWith(topology, [name]));
      const fit = fitFrames(list, map, (p) => p.interface === name && candidates.has(p.at));
      if (fit && fit.best.length === 1) {
        part.at = map.places[fit.best[0]!]!.place.at;
        appendAll(partEvidence, frameEvidence(fit, fit.best[0]!, map));
      } else if (fit) {
        tie(part, fit, timedOn(frames.timed, name));
      } else {
        part.unplaced = { reason: 'ambiguous', text: `interface ${name} is on ${[...candidates].join(', ') || 'no node of the dumps'}; say which with --at FILE=NODE` };
      }
    }
    return part;
  });
}

/** One part per ifindex of a cooked v2 capture, named by the node's ip link; undefined when no node fits. */
export function placeByIfindex(frames: FrameEvidence, evidence: PlacementEvidence[], at: string | undefined, topology: Topology): PlacedPart[] | undefined {
  const chosen = topology.nodes.length > 0 ? nodeForIfindexes(frames.links, topology, at) : undefined;
  if (!chosen) return undefined;
  const node = topology.nodes.find((n) => n.name === chosen.node)!;
  return [...groupBy(frames.links, (p) => p.ifindex!)].map(([index, list]) => {
    const name = node.netns.interfaces.find((i) => i.index === index)!.name;
    const partEvidence: PlacementEvidence[] = [...evidence, { by: 'sll2-ifindex', text: `SLL2 interface index ${index} = ${name} in ${node.name}'s ip link${chosen.text ? `; ${chosen.text}` : ''}` }];
    return { at: node.name, interface: name, fromAny: true as const, stream: indexStream(index), packets: total(list), placedBy: partEvidence };
  });
}
