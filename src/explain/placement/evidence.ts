// What placement reads from a capture's frames, gathered as the packets stream past so
// that no packet has to be kept for it (issue 11: explain on a million packets). Every
// placement rule (frames.ts, interface-data.ts) only counts frames by their outermost link
// addresses, the cooked capture's direction and ifindex, and the pcapng interface: one
// count per distinct combination, in the order first seen, says all they ask. Only
// breaking ties by packet times (resolve.ts) needs single frames with their times; it
// keeps the first MAX_TIMED of them (far more than any tie needs to be settled).
import type { LinkFacts, OuterFacts, PacketFacts } from '../facts.ts';

/** What decides where a frame is seen (l2.ts frameSightings): its link addresses and its tunnel's outer header. */
export interface FrameWay {
  /** The outermost link addresses (Ethernet source/destination, a cooked capture's sender and direction). */
  link?: LinkFacts | undefined;
  outer?: OuterFacts | undefined;
}

/** One distinct combination of what placement reads from a frame, and how many frames had it. */
export interface LinkCount extends FrameWay {
  ifindex?: number;
  interfaceName?: string;
  interfaceDescription?: string;
  count: number;
}

/** One frame as tie-breaking by time needs it. */
export interface TimedFrame extends FrameWay {
  time: number;
  /** pcapng: the interface it was captured on, so one interface's part of a file can be weighed alone. */
  interfaceName?: string;
  interfaceDescription?: string;
}

/** Frames kept with their times for resolve.ts; beyond them, the capture is counted only. */
export const MAX_TIMED = 50_000;

/** Frames are the same frame at two places when these agree (NAT and br_netfilter's DNAT keep them). */
export function frameKey(p: PacketFacts): string | undefined {
  const body = p.ip ? `${p.ip.src}|${p.ip.id ?? ''}|${p.tcp?.seq ?? ''}|${p.icmp?.seq ?? ''}` : p.arp ? `arp|${p.arp.opcode}|${p.arp.senderIp}|${p.arp.targetIp}` : undefined;
  return body === undefined ? undefined : `${wayKey(p)}|${p.len}|${body}`;
}

/** The frame's way as one string (l2.ts frameSightings reads the MACs and the outer addresses). */
export const wayKey = (p: FrameWay): string => `${p.link?.src ?? ''}>${p.link?.dst ?? ''}|${p.outer ? `${p.outer.src}>${p.outer.dst}` : ''}`;

const sameOuter = (a: OuterFacts | undefined, b: OuterFacts | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.src === b.src && a.dst === b.dst && a.encapsulation === b.encapsulation && a.dport === b.dport);

export class FrameEvidence {
  packets = 0;
  /** Distinct combinations, first seen first. */
  readonly links: LinkCount[] = [];
  /** Each frame key's sightings (a repeated MLD report has one key and several times), for the first MAX_TIMED frames. */
  readonly timed = new Map<string, TimedFrame[]>();
  private timedCount = 0;
  /** By source MAC, then destination MAC; the few combinations under one pair are searched. */
  private readonly bySrc = new Map<string | undefined, Map<string | undefined, LinkCount[]>>();

  add(p: PacketFacts): void {
    this.packets++;
    const link = p.link;
    let byDst = this.bySrc.get(link?.src);
    if (!byDst) this.bySrc.set(link?.src, (byDst = new Map()));
    let list = byDst.get(link?.dst);
    if (!list) byDst.set(link?.dst, (list = []));
    let entry: LinkCount | undefined;
    for (const l of list) {
      if (l.link?.outgoing === link?.outgoing && l.ifindex === p.ifindex && l.interfaceName === p.interfaceName && l.interfaceDescription === p.interfaceDescription && (l.link === undefined) === (link === undefined) && sameOuter(l.outer, p.outer)) {
        entry = l;
        break;
      }
    }
    if (!entry) {
      entry = { count: 0 };
      if (link) entry.link = link;
      if (p.outer) entry.outer = p.outer;
      if (p.ifindex !== undefined) entry.ifindex = p.ifindex;
      if (p.interfaceName !== undefined) entry.interfaceName = p.interfaceName;
      if (p.interfaceDescription !== undefined) entry.interfaceDescription = p.interfaceDescription;
      list.push(entry);
      this.links.push(entry);
    }
    entry.count++;
    if (this.timedCount < MAX_TIMED) {
      const key = frameKey(p);
      if (key === undefined) return;
      this.timedCount++;
      const frame: TimedFrame = { time: p.time };
      if (p.link) frame.link = p.link;
      if (p.outer) frame.outer = p.outer;
      if (p.interfaceName !== undefined) frame.interfaceName = p.interfaceName;
      if (p.interfaceDescription !== undefined) frame.interfaceDescription = p.interfaceDescription;
      const list = this.timed.get(key);
      if (list) list.push(frame);
      else this.timed.set(key, [frame]);
    }
  }

  /** The evidence of the frames for which `keep` holds (one interface of a pcapng, one ifindex); without times. */
  subset(keep: (l: LinkCount) => boolean): FrameEvidence {
    const out = new FrameEvidence();
    for (const l of this.links) {
      if (!keep(l)) continue;
      out.links.push(l);
      out.packets += l.count;
    }
    return out;
  }
}
