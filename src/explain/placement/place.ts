// Gives every capture (or each part of a capture: a pcapng's interfaces, a cooked v2
// capture's ifindexes) a place from the strongest evidence it has:
//
//   --at  >  pcapng if_name / if_description, SLL2 ifindex  >  file name  >  frames (MACs)
//
// and says which evidence placed it. Frames leave ties between the two ends of a wire;
// resolve.ts breaks them with packet times across captures. An empty capture can only be
// placed by name or --at.
import type { Topology } from '../../topology/model.ts';
import type { FrameEvidence } from './evidence.ts';
import { placeByFileName } from './file-name.ts';
import { fitFrames, frameEvidence } from './frames.ts';
import { hasInterfaceNames, isCookedV1, placeByIfindex, placeByPcapngInterfaces, senderNode } from './interface-data.ts';
import { L2Map } from './l2.ts';
import type { PlacementEvidence, Unplaced } from './model.ts';
import { breakTies, type Tie } from './resolve.ts';

export interface CaptureToPlace {
  file: string;
  /** From --at: wins over everything else. */
  given?: { at: string; interface?: string };
  /** Its frames, counted as they were read (evidence.ts). */
  frames: FrameEvidence;
}

export type { PlacedPart } from './model.ts';
import type { PlacedPart } from './model.ts';
import { appendAll } from '../../util/append.ts';

export function placeCaptures(captures: CaptureToPlace[], topology: Topology): PlacedPart[][] {
  const map = new L2Map(topology);
  const ties: Tie[] = [];
  const out = captures.map((capture, captureIndex): PlacedPart[] => {
    const { frames } = capture;
    const whole = { stream: '', packets: frames.packets };
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
    if (iface === undefined && hasInterfaceNames(frames)) return placeByPcapngInterfaces(frames, evidence, at, topology, map, (part, fit, timed) => ties.push({ capture: captureIndex, part, fit, timed }));

    // Linux cooked v2 (`tcpdump -i any`): the ifindex of every packet, named by a node's ip link.
    if ((iface === undefined || iface === 'any') && frames.packets > 0 && frames.links.every((p) => p.ifindex !== undefined)) {
      const parts = placeByIfindex(frames, evidence, at, topology);
      if (parts) return parts;
      iface ??= 'any';
      if (at === undefined) {
        return [{ interface: 'any', ...whole, placedBy: evidence, unplaced: { reason: 'ambiguous', text: `its interface indexes fit no single node's ip link; say which with --at FILE=NODE` } }];
      }
    }

    // Linux cooked v1 (`tcpdump -i any`, libpcap < 1.10): no interface index, only each
    // packet's sender MAC.
    if (at === undefined && (iface === undefined || iface === 'any') && isCookedV1(frames)) {
      const byNode = senderNode(frames.links, map);
      if (byNode) {
        return [{ at: byNode.node, interface: 'any', ...whole, placedBy: [...evidence, { by: 'mac-addresses', text: `MAC addresses: ${byNode.text}` }] }];
      }
    }

    const part: PlacedPart = { ...whole, placedBy: evidence };
    if (at !== undefined) part.at = at;
    if (iface !== undefined) part.interface = iface;
    if (at !== undefined && iface !== undefined) return [part];
    if (frames.packets === 0) {
      part.unplaced = nameAmbiguity
        ? { reason: 'ambiguous', text: `${nameAmbiguity}, and it has no packets to tell: --at FILE=NODE:IFACE places it` }
        : { reason: 'empty', text: 'no packets: only its name (<node or pod>-<interface>) or --at can place it' };
      return [part];
    }
    // The frames themselves, within what the name or --at already said.
    const fit = fitFrames(frames.links, map, (p) => (at === undefined || p.at === at) && (iface === undefined || p.interface === iface));
    if (!fit) {
      part.unplaced = nameAmbiguity ? { reason: 'ambiguous', text: `${nameAmbiguity}; its frames carry no MAC address of the dumps` } : { reason: 'no-evidence', text: 'neither its name, its interface data nor its frames say where it was taken (--at FILE=NODE:IFACE places it)' };
      return [part];
    }
    if (fit.best.length === 1) {
      const { place } = map.places[fit.best[0]!]!;
      part.at = place.at;
      part.interface = place.interface;
      appendAll(part.placedBy, frameEvidence(fit, fit.best[0]!, map));
      return [part];
    }
    ties.push({ capture: captureIndex, part, fit, timed: frames.timed });
    return [part];
  });
  breakTies(ties, out, map);
  return out;
}
