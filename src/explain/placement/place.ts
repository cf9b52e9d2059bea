// Gives every capture (or each part of a capture: a pcapng's interfaces, a cooked v2
// capture's ifindexes) a place from the strongest evidence it has:
//
//   --at  >  pcapng if_name / if_description, SLL2 ifindex  >  file name  >  frames (MACs)
//
// and says which evidence placed it. Frames leave ties between the two ends of a wire;
// resolve.ts breaks them with packet times across captures. An empty capture can only be
// placed by name or --at.
import type { Topology } from '../../topology/model.ts';
import type { PacketFacts } from '../facts.ts';
import { placeByFileName } from './file-name.ts';
import { fitFrames, fitText } from './frames.ts';
import { L2Map } from './l2.ts';
import type { PlacementEvidence, Unplaced } from './model.ts';
import { breakTies, type Tie } from './resolve.ts';

export interface CaptureToPlace {
  file: string;
  /** From --at: wins over everything else. */
  given?: { at: string; interface?: string };
  facts: PacketFacts[];
}

export interface PlacedPart {
  at?: string;
  interface?: string;
  /** A part of a `tcpdump -i any` capture split by the SLL2 ifindex. */
  fromAny?: true;
  facts: PacketFacts[];
  placedBy: PlacementEvidence[];
  unplaced?: Unplaced;
}

function groupBy<K>(facts: PacketFacts[], key: (p: PacketFacts) => K): Map<K, PacketFacts[]> {
  const out = new Map<K, PacketFacts[]>();
  for (const p of facts) {
    const k = key(p);
    const list = out.get(k);
    if (list) list.push(p);
    else out.set(k, [p]);
  }
  return out;
}

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
function nodeForIfindexes(facts: PacketFacts[], topology: Topology, at: string | undefined): { node: string; text?: string } | undefined {
  const indexes = [...new Set(facts.map((p) => p.ifindex!))];
  const fits = topology.nodes.filter((n) => (at === undefined || n.name === at) && indexes.every((x) => n.netns.interfaces.some((i) => i.index === x)));
  if (fits.length === 0) return undefined;
  if (at !== undefined || fits.length === 1) {
    return { node: fits[0]!.name, ...(at === undefined ? { text: `every interface index in it (${indexes.sort((a, b) => a - b).join(', ')}) is in ${fits[0]!.name}'s ip link, and in no other node's` } : {}) };
  }
  const scored = fits
    .map((n) => ({
      node: n.name,
      sent: facts.filter((p) => p.link?.outgoing && p.link.src !== undefined && n.netns.interfaces.find((i) => i.index === p.ifindex)?.mac?.toLowerCase() === p.link.src.toLowerCase()).length,
    }))
    .sort((a, b) => b.sent - a.sent);
  if (scored[0]!.sent === 0 || scored[0]!.sent === scored[1]!.sent) return undefined;
  const outgoing = facts.filter((p) => p.link?.outgoing).length;
  return { node: scored[0]!.node, text: `its interface indexes are in ${fits.map((n) => n.name).join(' and ')}'s ip link; ${scored[0]!.sent} of its ${outgoing} outgoing packets carry the MAC of ${scored[0]!.node}'s interface with that index` };
}

/** Cooked v1: which node's machine (its interfaces, its pods') sent the packets, by their sender MACs. */
function senderNode(facts: PacketFacts[], map: L2Map): { node: string; text: string } | undefined {
  const counts = new Map<string, number>();
  let known = 0;
  for (const p of facts) {
    const nodes = new Set(map.ownersOf(p.link!.src!).map((i) => map.places[i]!.node));
    if (nodes.size === 0) continue;
    known++;
    for (const node of nodes) counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  if (!first || (second && second[1] === first[1])) return undefined;
  return {
    node: first[0],
    text: `a cooked v1 capture (no interface index): ${first[1]} of its ${known} packets from known MACs were sent by ${first[0]}'s interfaces or its pods'${second ? `, ${second[1]} by ${second[0]}'s` : ''}`,
  };
}

export function placeCaptures(captures: CaptureToPlace[], topology: Topology): PlacedPart[][] {
  const map = new L2Map(topology);
  const ties: Tie[] = [];
  const out = captures.map((capture, captureIndex): PlacedPart[] => {
    const { facts } = capture;
    const evidence: PlacementEvidence[] = [];
    let at = capture.given?.at;
    let iface = capture.given?.interface;
    if (capture.given) evidence.push({ by: 'at', text: `--at ${capture.given.at}${iface ? `:${iface}` : ''}` });
    let nameAmbiguity: string | undefined;
    if (at === undefined || iface === undefined) {
      const name = placeByFileName(capture.file, topology);
      nameAmbiguity = name.ambiguity;
      const addsAt = at === undefined && name.at !== undefined;
      const addsInterface = iface === undefined && name.interface !== undefined && (at === undefined || name.at === at);
      if (addsAt || addsInterface) {
        at ??= name.at;
        if (addsInterface) iface = name.interface;
        evidence.push({ by: 'file-name', text: `file name: ${name.text ?? ''}` });
      }
    }

    // pcapng: the interface each packet was captured on, by its IDB's name or description.
    const idbName = (p: PacketFacts): string | undefined => p.interfaceName ?? p.interfaceDescription;
    if (iface === undefined && facts.length > 0 && facts.every((p) => idbName(p) !== undefined) && !facts.some((p) => idbName(p) === 'any')) {
      const names = [...new Set(facts.map((p) => idbName(p)!))];
      // Match if_name first, then if_description, against the dumps' interface names.
      const known = (n: string): boolean => namespacesWith(topology, [n]).length > 0;
      const option = (p: PacketFacts): string => (p.interfaceName !== undefined && (known(p.interfaceName) || p.interfaceDescription === undefined) ? 'if_name' : 'if_description');
      let owners: string[] = [];
      if (at === undefined && topology.nodes.length > 0) {
        owners = namespacesWith(topology, names);
        if (owners.length === 1) at = owners[0];
      }
      const parts = groupBy(facts, (p) => (p.interfaceName !== undefined && (known(p.interfaceName) || p.interfaceDescription === undefined) ? p.interfaceName : p.interfaceDescription!));
      const nodeText = owners.length === 1 ? `; only ${owners[0]!} has ${names.length === 1 ? 'an interface of that name' : 'all of them'}` : '';
      return [...parts].map(([name, list]) => {
        const partEvidence: PlacementEvidence[] = [...evidence, { by: 'pcapng-interface', text: `pcapng interface name ${name} (${option(list[0]!)})${nodeText}` }];
        const part: PlacedPart = { interface: name, facts: list, placedBy: partEvidence };
        if (at !== undefined) part.at = at;
        else {
          // Which node: the frames decide among the namespaces that have the interface.
          const candidates = new Set(owners.length > 0 ? owners : namespacesWith(topology, [name]));
          const fit = fitFrames(list, map, (p) => p.interface === name && candidates.has(p.at));
          if (fit && fit.best.length === 1) {
            part.at = map.places[fit.best[0]!]!.place.at;
            partEvidence.push({ by: 'mac-addresses', text: `MAC addresses: ${fitText(fit, fit.best[0]!, map)}` });
          } else {
            part.unplaced = { reason: 'ambiguous', text: `interface ${name} is on ${[...candidates].join(', ') || 'no node of the dumps'}; say which with --at FILE=NODE` };
          }
        }
        return part;
      });
    }

    // Linux cooked v2 (`tcpdump -i any`): the ifindex of every packet, named by a node's ip link.
    if ((iface === undefined || iface === 'any') && facts.length > 0 && facts.every((p) => p.ifindex !== undefined)) {
      const chosen = topology.nodes.length > 0 ? nodeForIfindexes(facts, topology, at) : undefined;
      if (chosen) {
        const node = topology.nodes.find((n) => n.name === chosen.node)!;
        return [...groupBy(facts, (p) => p.ifindex!)].map(([index, list]) => {
          const name = node.netns.interfaces.find((i) => i.index === index)!.name;
          const partEvidence: PlacementEvidence[] = [...evidence, { by: 'sll2-ifindex', text: `SLL2 interface index ${index} = ${name} in ${node.name}'s ip link${chosen.text ? `; ${chosen.text}` : ''}` }];
          return { at: node.name, interface: name, fromAny: true as const, facts: list, placedBy: partEvidence };
        });
      }
      iface ??= 'any';
      if (at === undefined) {
        return [{ interface: 'any', facts, placedBy: evidence, unplaced: { reason: 'ambiguous', text: `its interface indexes fit no single node's ip link; say which with --at FILE=NODE` } }];
      }
    }

    // Linux cooked v1 (`tcpdump -i any`, libpcap < 1.10): no interface index, only each
    // packet's sender MAC. The node is the one whose own (or its pods') interfaces sent most.
    if (at === undefined && (iface === undefined || iface === 'any') && facts.length > 0 && facts.every((p) => p.link?.src !== undefined && p.link.dst === undefined && p.ifindex === undefined)) {
      const byNode = senderNode(facts, map);
      if (byNode) {
        return [{ at: byNode.node, interface: 'any', facts, placedBy: [...evidence, { by: 'mac-addresses', text: `MAC addresses: ${byNode.text}` }] }];
      }
    }

    const part: PlacedPart = { facts, placedBy: evidence };
    if (at !== undefined) part.at = at;
    if (iface !== undefined) part.interface = iface;
    if (at !== undefined && iface !== undefined) return [part];
    if (facts.length === 0) {
      part.unplaced = nameAmbiguity
        ? { reason: 'ambiguous', text: `${nameAmbiguity}, and it has no packets to tell: --at FILE=NODE:IFACE places it` }
        : { reason: 'empty', text: 'no packets: only its name (<node or pod>-<interface>) or --at can place it' };
      return [part];
    }
    // The frames themselves, within what the name or --at already said.
    const fit = fitFrames(facts, map, (p) => (at === undefined || p.at === at) && (iface === undefined || p.interface === iface));
    if (!fit) {
      part.unplaced = nameAmbiguity ? { reason: 'ambiguous', text: `${nameAmbiguity}; its frames carry no MAC address of the dumps` } : { reason: 'no-evidence', text: 'neither its name, its interface data nor its frames say where it was taken (--at FILE=NODE:IFACE places it)' };
      return [part];
    }
    if (fit.best.length === 1) {
      const { place } = map.places[fit.best[0]!]!;
      part.at = place.at;
      part.interface = place.interface;
      part.placedBy.push({ by: 'mac-addresses', text: `MAC addresses: ${fitText(fit, fit.best[0]!, map)}` });
      return [part];
    }
    ties.push({ capture: captureIndex, part, fit });
    return [part];
  });
  breakTies(ties, out, map);
  return out;
}
