// Signs of trouble people look for in a capture: SYNs nobody answers, resets, ICMP
// errors (with the packet they quote), fragments, and packets bigger than the
// overlay's MTU (VXLAN adds 50 bytes, so flannel.1 and vxlan.calico run at 1450 on a
// 1500-byte underlay; a bigger inner packet must be fragmented or dropped).
import type { Topology } from '../topology/model.ts';
import type { ConnectionWithFlows } from './connections.ts';
import { SYN_RETRY_S, synCutByCaptureEnd } from './flows.ts';
import type { PacketFacts } from './facts.ts';
import type { CaptureInfo, Trouble } from './model.ts';
import type { AddressBook } from './names.ts';
import { appendAll } from '../util/append.ts';
import { roleOf, roleOfName } from '../topology/roles.ts';

/** The MTU of a VXLAN device when the dumps do not say: 1500-byte underlay minus 50 bytes of headers. */
export const DEFAULT_VXLAN_MTU = 1450;

const UNREACHABLE_CODES: Record<number, string> = {
  0: 'net unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  9: 'net prohibited',
  10: 'host prohibited',
  13: 'administratively prohibited',
};

export function icmpErrorText(p: PacketFacts): string {
  const icmp = p.icmp!;
  if (icmp.version === 4) {
    if (icmp.type === 3) return `ICMP ${UNREACHABLE_CODES[icmp.code] ?? `unreachable (code ${icmp.code})`}${icmp.mtu !== undefined ? ` (mtu ${icmp.mtu})` : ''}`;
    if (icmp.type === 11) return 'ICMP time exceeded';
    return `ICMP type ${icmp.type} code ${icmp.code}`;
  }
  if (icmp.type === 1) return `ICMPv6 destination unreachable (code ${icmp.code})`;
  if (icmp.type === 2) return 'ICMPv6 packet too big';
  if (icmp.type === 3) return 'ICMPv6 time exceeded';
  return `ICMPv6 type ${icmp.type} code ${icmp.code}`;
}

/**
 * The connection each listed fragment belongs to (flows.ts joins a datagram's later fragments to
 * the flow its first fragment opened), by capture and frame: only for captures with fragments listed.
 */
function fragmentOwners(parts: { capture: number; troubles: PacketTroubles }[], connections: ConnectionWithFlows[]): Map<number, Map<number, string>> {
  const owners = new Map<number, Map<number, string>>();
  for (const { capture, troubles } of parts) if (troubles.sized.some((p) => p.ip?.fragment)) owners.set(capture, new Map());
  if (owners.size === 0) return owners;
  for (const { connection, flows } of connections) {
    for (const { flow } of flows) {
      const frames = owners.get(flow.capture);
      if (frames) for (const frame of flow.frames) frames.set(frame, connection.id);
    }
  }
  return owners;
}

function vxlanMtu(topology: Topology, device: string | undefined): number {
  for (const node of topology.nodes) {
    for (const intf of node.netns.interfaces) {
      if (intf.vxlan && (device === undefined || intf.name === device) && intf.mtu) return intf.mtu;
    }
  }
  return DEFAULT_VXLAN_MTU;
}

/** The capture was taken on a VXLAN device: its node's interface role, or (node unknown) a VTEP's device or what the name implies. */
function capturedOnVxlan(topology: Topology, at: string | undefined, name: string | undefined): boolean {
  if (!name) return false;
  const node = topology.nodes.find((n) => n.name === at);
  if (node) return roleOf(node.netns, name) === 'vxlan';
  return topology.vteps.some((v) => v.device === name) || roleOfName(name) === 'vxlan';
}

/** The connection whose packet an ICMP error quotes (matched on the quoted addresses and ports). */
function quotedConnection(p: PacketFacts, connections: ConnectionWithFlows[]): ConnectionWithFlows | undefined {
  const q = p.icmp?.quoted;
  if (!q) return undefined;
  return connections.find(({ flows }) => flows.some(({ flow: f }) => f.client.ip === q.src && f.client.port === q.sport && f.server.ip === q.dst && f.server.port === q.dport));
}

/** Packets listed one by one per capture part (fragments, oversize, malformed); beyond it they are counted. */
export const MAX_LISTED = 10_000;

/** The smallest MTU an overlay of these dumps can have: a packet at or under it is never oversize. */
function smallestOverlayMtu(topology: Topology): number {
  let mtu = DEFAULT_VXLAN_MTU;
  for (const node of topology.nodes) for (const intf of node.netns.interfaces) if (intf.vxlan && intf.mtu) mtu = Math.min(mtu, intf.mtu);
  return mtu;
}

interface ArpAsked {
  first: PacketFacts;
  count: number;
  askers: Set<string>;
}

/**
 * What findTroubles asks of single packets, gathered as one capture part is read: its
 * fragments and the packets big enough to be over an overlay's MTU (which MTU applies is known
 * only once the capture is placed), its malformed packets, and its ARP questions and answers.
 */
export class PacketTroubles {
  /** Fragments and packets above the smallest overlay MTU, in frame order (at most MAX_LISTED). */
  readonly sized: PacketFacts[] = [];
  readonly malformed: PacketFacts[] = [];
  /** Beyond MAX_LISTED: fragments, malformed packets, and big packets by `<outer is VXLAN>|<IP length>`. */
  readonly unlisted = { fragments: 0, malformed: 0, firstFrame: 0, big: new Map<string, number>() };
  readonly asked = new Map<string, ArpAsked>();
  readonly answered = new Set<string>();
  private readonly threshold: number;

  constructor(topology: Topology) {
    this.threshold = smallestOverlayMtu(topology);
  }

  add(p: PacketFacts): void {
    if (p.malformed) {
      if (this.malformed.length < MAX_LISTED) this.malformed.push(p);
      else this.unlisted.malformed++;
    }
    const ip = p.ip;
    if (ip && (ip.fragment || (!ip.gso && ip.length > this.threshold))) {
      if (this.sized.length < MAX_LISTED) this.sized.push(p);
      else {
        if (this.unlisted.fragments === 0 && this.unlisted.big.size === 0) this.unlisted.firstFrame = p.frame;
        if (ip.fragment) this.unlisted.fragments++;
        if (!ip.gso && ip.length > this.threshold) {
          const key = `${p.outer?.encapsulation === 'vxlan' ? 1 : 0}|${ip.length}`;
          this.unlisted.big.set(key, (this.unlisted.big.get(key) ?? 0) + 1);
        }
      }
    }
    const arp = p.arp;
    if (!arp || arp.senderIp === arp.targetIp) return; // gratuitous ARP announces, it asks nothing
    if (arp.opcode === 1) {
      let entry = this.asked.get(arp.targetIp);
      if (!entry) {
        entry = { first: p, count: 0, askers: new Set() };
        this.asked.set(arp.targetIp, entry);
      }
      entry.count++;
      entry.askers.add(arp.senderIp);
    } else if (arp.opcode === 2) {
      this.answered.add(arp.senderIp);
    }
  }
}

export function findTroubles(
  captures: CaptureInfo[],
  parts: { capture: number; troubles: PacketTroubles }[],
  icmpErrors: PacketFacts[],
  connections: ConnectionWithFlows[],
  topology: Topology,
  names: AddressBook,
): Trouble[] {
  const troubles: Trouble[] = [];
  // An ICMP error quoting a connection's SYN is its answer (kube-proxy's REJECT,
  // a router's unreachable): the SYN was not "never answered".
  const icmpAnswers = new Map<string, string>();
  for (const p of icmpErrors) {
    const match = quotedConnection(p, connections);
    if (match && !icmpAnswers.has(match.connection.id)) {
      icmpAnswers.set(match.connection.id, `${icmpErrorText(p)} from ${names.short(p.tuple?.src ?? '?')} (frame ${p.frame})`);
    }
  }
  for (const { connection, flows } of connections) {
    const tcp = connection.tcp;
    const first = flows[0]!;
    if (tcp && tcp.state === 'syn-unanswered' && !icmpAnswers.has(connection.id) && flows.some((f) => f.syn) && flows.every((f) => !f.syn || synCutByCaptureEnd(f))) {
      const f = flows.find((x) => x.syn)!;
      const after = Math.round((f.captureEnd! - f.syn!.lastTime) * 1000);
      troubles.push({
        kind: 'syn-at-capture-end',
        capture: f.flow.capture,
        frame: f.syn!.packet.frame,
        connection: connection.id,
        text: `${connection.id}: SYN sent once, ${after} ms before the capture ended: the capture ended before an answer (or a retransmission ${SYN_RETRY_S} s later) could be seen`,
      });
    } else if (tcp && tcp.state === 'syn-unanswered') {
      troubles.push({
        kind: 'syn-unanswered',
        capture: first.flow.capture,
        frame: first.flow.firstFrame,
        connection: connection.id,
        text: `${connection.id}: SYN sent ${tcp.syns} time${tcp.syns === 1 ? '' : 's'}${tcp.synRetransmissions > 0 ? ` (${tcp.synRetransmissions} retransmission${tcp.synRetransmissions === 1 ? '' : 's'})` : ''}${icmpAnswers.has(connection.id) ? `, answered only by ${icmpAnswers.get(connection.id)}` : ' and never answered'}`,
      });
    }
    const rstFlow = flows.find((f) => f.firstRst);
    const rst = rstFlow ? { p: rstFlow.firstRst!, flow: rstFlow.flow } : undefined;
    if (rst) {
      const by = rst.p.tuple?.src === rst.flow.client.ip ? 'the client' : 'the server';
      troubles.push({
        kind: 'rst',
        capture: rst.p.capture,
        frame: rst.p.frame,
        connection: connection.id,
        text: `${connection.id}: RST from ${by} (${names.short(rst.p.tuple?.src ?? '?')}) ${tcp && !tcp.handshakeComplete ? 'in answer to the SYN: nothing listens there or a rule rejects it' : 'after the handshake'}`,
      });
    }
  }
  for (const p of icmpErrors) {
    const q = p.icmp?.quoted;
    const quoted = q ? `${q.src}${q.sport !== undefined ? `:${q.sport}` : ''} → ${q.dst}${q.dport !== undefined ? `:${q.dport}` : ''} ${q.proto.toUpperCase()}` : 'no quoted packet';
    const match = quotedConnection(p, connections);
    const from = p.tuple?.src ?? '?';
    const trouble: Trouble = {
      kind: p.icmp?.type === 3 || p.icmp?.type === 1 ? 'icmp-unreachable' : 'icmp-error',
      capture: p.capture,
      frame: p.frame,
      text: `${icmpErrorText(p)} from ${names.short(from)}${names.short(from) === from ? '' : ` (${from})`}, quoting ${quoted}${match ? ` (${match.connection.id})` : ''}`,
    };
    if (match) trouble.connection = match.connection.id;
    troubles.push(trouble);
  }
  appendAll(troubles, unansweredArp(parts, names));
  const fragmentOwner = fragmentOwners(parts, connections);
  for (const { capture: index, troubles: part } of parts) {
    const capture = captures[index];
    const onVxlanDevice = capturedOnVxlan(topology, capture?.at, capture?.interface);
    const mtu = vxlanMtu(topology, onVxlanDevice ? capture?.interface : undefined);
    for (const p of part.sized) {
      if (p.ip?.fragment) {
        const owner = fragmentOwner.get(p.capture)?.get(p.frame);
        const fragment: Trouble = { kind: 'fragment', capture: p.capture, frame: p.frame, text: `IP fragment ${p.ip.src} → ${p.ip.dst} (offset ${p.ip.fragmentOffset}, ${p.ip.moreFragments ? 'more follow' : 'last'})${owner ? ` of ${owner}'s datagram` : ''}` };
        if (owner) fragment.connection = owner;
        troubles.push(fragment);
      }
      if (!p.ip || p.ip.gso) continue; // GSO/GRO super-packets are cut to size later by the stack
      if (p.outer?.encapsulation !== 'vxlan' && !onVxlanDevice) continue;
      if (p.ip.length > mtu) {
        troubles.push({
          kind: 'oversize',
          capture: p.capture,
          frame: p.frame,
          text: `${p.ip.src} → ${p.ip.dst}: ${p.ip.length}-byte IP packet inside the overlay, above its MTU of ${mtu}${p.ip.dontFragment ? ' with DF set: the sender should get ICMP fragmentation needed' : ''}`,
        });
      }
    }
    const { unlisted } = part;
    const more = `after the first ${MAX_LISTED.toLocaleString('en')} listed`;
    if (unlisted.fragments > 0) {
      troubles.push({ kind: 'fragment', capture: index, frame: unlisted.firstFrame, text: `${unlisted.fragments} more IP fragments from frame ${unlisted.firstFrame} on, not listed (${more})` });
    }
    let big = 0;
    for (const [key, n] of unlisted.big) {
      const [vxlan, length] = key.split('|');
      if ((vxlan === '1' || onVxlanDevice) && Number(length) > mtu) big += n;
    }
    if (big > 0) {
      troubles.push({ kind: 'oversize', capture: index, frame: unlisted.firstFrame, text: `${big} more IP packets inside the overlay above its MTU of ${mtu} from frame ${unlisted.firstFrame} on, not listed (${more})` });
    }
  }
  return troubles;
}

/** The malformed packets of every part, as signs of trouble (after all others, as the explanation lists them). */
export function malformedTroubles(parts: { capture: number; troubles: PacketTroubles }[]): Trouble[] {
  const out: Trouble[] = [];
  for (const { capture, troubles } of parts) {
    for (const p of troubles.malformed) out.push({ kind: 'malformed', capture: p.capture, frame: p.frame, text: `frame ${p.frame}: ${p.malformed}` });
    if (troubles.unlisted.malformed > 0) {
      out.push({ kind: 'malformed', capture, frame: 0, text: `${troubles.unlisted.malformed} more malformed packets, not listed (after the first ${MAX_LISTED.toLocaleString('en')})` });
    }
  }
  return out;
}

/**
 * ARP requests nobody answered in any capture: the next hop the kernel is waiting for (it retries
 * every second, then drops the queued packets and reports host unreachable). A bridge floods
 * requests to every port but sends the reply only to the asker's, so one capture's silence is
 * not enough: a reply in any capture counts.
 */
function unansweredArp(parts: { capture: number; troubles: PacketTroubles }[], names: AddressBook): Trouble[] {
  const asked = new Map<string, { first: PacketFacts; count: number; askers: Set<string>; captures: Set<number> }>();
  const answered = new Set<string>();
  for (const { capture, troubles: part } of parts) {
    for (const [target, e] of part.asked) {
      let entry = asked.get(target);
      // The count is the first capture's that asked (where the asker is).
      if (!entry) asked.set(target, (entry = { first: e.first, count: e.count, askers: new Set<string>(), captures: new Set<number>() }));
      for (const a of e.askers) entry.askers.add(a);
      entry.captures.add(capture);
    }
    for (const ip of part.answered) answered.add(ip);
  }
  const troubles: Trouble[] = [];
  for (const [target, { first, count, askers, captures }] of asked) {
    if (answered.has(target)) continue;
    const name = names.short(target);
    const elsewhere = captures.size > 1 ? ` (and in ${captures.size - 1} other capture${captures.size === 2 ? '' : 's'})` : '';
    troubles.push({
      kind: 'arp-unanswered',
      capture: first.capture,
      frame: first.frame,
      text: `ARP who-has ${target}${name === target ? '' : ` (${name})`} asked ${count} time${count === 1 ? '' : 's'} by ${[...askers].map((a) => names.short(a)).join(', ')}${elsewhere}, never answered in any capture`,
    });
  }
  return troubles;
}
