// Lines up the captures of one connection's first packet as hops of one journey
// (the same SYN seen at pod eth0, veth, cni0, flannel.1, eth0 on both nodes is one
// packet travelling, not retransmissions), and sets them beside the model: the
// tracer's path when one is given, else the captured interfaces that lie on the
// path between the client's node and the endpoint's node in kernel order. Where
// the packet stops being seen, the dumps of the node it was last seen on name
// the likely cause (cause.ts, with the checks in diagnose.ts).
import type { Topology } from '../topology/model.ts';
import type { Disposition, TracePath, TraceResult } from '../trace/model.ts';
import { diagnose, diagnoseReply, traceCause } from './cause.ts';
import { type ConnectionWithFlows, seenWords } from './connections.ts';
import { synCutByCaptureEnd } from './flows.ts';
import type { FiveTuple, PacketFacts } from './facts.ts';
import type { CaptureInfo, IcmpErrorSeen, Journey, ModelHop, Refusal, ReplyJourney, Sighting } from './model.ts';
import { answerWords, icmpWords } from '../trace/verdict.ts';
import type { AddressBook } from './names.ts';
import { choosePath, endsOf, modelFromDumps, modelFromTrace, nodeOfLocation, sortSightings } from './path.ts';

export type { JourneyContext, TraceFunction, TraceRequest } from './journey-context.ts';
import type { JourneyContext, TraceRequest } from './journey-context.ts';
import { outcomeOf } from '../trace/outcome.ts';

/** The first packet of the connection in each capture that saw it, with how often it was sent there. */
function sightingsOf(cw: ConnectionWithFlows, captures: CaptureInfo[]): { sightings: Sighting[]; firstPacket: string } {
  const isn = cw.connection.tcp?.isn;
  const sightings: Sighting[] = [];
  let firstPacket = cw.connection.proto === 'udp' ? 'UDP datagram' : cw.connection.proto.toUpperCase();
  for (const g of cw.flows) {
    let s: Sighting | undefined;
    if (isn !== undefined) {
      // Every pure SYN of a flow carries the flow's first SYN's sequence number (flows.ts).
      s = g.syn && g.syn.packet.tcp!.seq === isn ? sighting(g.syn.packet, g.syn.count, captures) : undefined;
      firstPacket = 'SYN';
    } else {
      const first = g.firstFromClient ?? g.first;
      s = sighting(first, 1, captures);
      if (s && first.ip && !first.tcp) {
        // A datagram: its size and DF bit here, which the kernel's MTU checks read.
        s.length = first.ip.length;
        s.df = first.ip.dontFragment;
        if (g.firstFromClient === first && g.firstFragments !== undefined) s.fragments = g.firstFragments;
      }
      if (first.icmp) firstPacket = 'ICMP';
      else if (first.tcp) firstPacket = 'first TCP packet seen';
    }
    if (s) sightings.push(s);
  }
  return { sightings, firstPacket };
}

/** Where `p` was seen, `count` times in its capture. */
function sighting(p: PacketFacts, count: number, captures: CaptureInfo[]): Sighting | undefined {
  if (!p.tuple) return undefined;
  const info = captures[p.capture];
  const s: Sighting = { capture: p.capture, file: info?.file ?? '', frame: p.frame, time: p.time, packet: p.tuple, repeats: count - 1 };
  if (info?.at) s.at = info.at;
  if (info?.interface) s.interface = info.interface;
  if (p.outer) s.outer = p.outer;
  return s;
}

/** The SYN-ACK that answers the client's ISN (its ack is ISN + 1), in each capture that saw it. */
function replySightingsOf(cw: ConnectionWithFlows, captures: CaptureInfo[]): Sighting[] {
  const isn = cw.connection.tcp?.isn;
  if (isn === undefined) return [];
  const want = (isn + 1) >>> 0;
  const out: Sighting[] = [];
  for (const g of cw.flows) {
    const answer = g.synAcks.find((x) => x.ack === want);
    const s = answer ? sighting(answer.packet, answer.count, captures) : undefined;
    if (s) out.push(s);
  }
  return out;
}

/**
 * The server answered but the capture closest to the client never saw the answer: follow the
 * SYN-ACK back along the captured path (the first packet's path, reversed) to where it stops.
 */
function replyJourney(cw: ConnectionWithFlows, ctx: JourneyContext, sightings: Sighting[], onPath: ModelHop[]): ReplyJourney | undefined {
  const replies = replySightingsOf(cw, ctx.captures);
  const clientSide = sightings[0];
  if (replies.length === 0 || !clientSide || replies.some((r) => r.capture === clientSide.capture)) return undefined;
  const order = (s: Sighting): number => onPath.findIndex((h) => h.at === s.at && h.interface === s.interface);
  // Back towards the client: on one node by time (earlier on the forward path for equal times),
  // between nodes by the path reversed (their clocks may be skewed).
  const node = (r: Sighting): string | undefined => nodeOfLocation(ctx.topology, r.at)?.name;
  replies.sort((a, b) => {
    const oa = order(a);
    const ob = order(b);
    if (oa >= 0 && ob >= 0 && node(a) !== undefined && node(b) !== undefined && node(a) !== node(b)) return ob - oa;
    return a.time - b.time || ob - oa;
  });
  const last = replies[replies.length - 1]!;
  const reply: ReplyJourney = {
    firstPacket: 'SYN-ACK',
    sightings: replies,
    verdict: 'lost',
    lostAfter: { ...(last.at ? { at: last.at } : {}), ...(last.interface ? { interface: last.interface } : {}) },
    text: [],
  };
  const from = order(last);
  const seen = new Set(replies.map((r) => r.capture));
  const captureAt = (h: ModelHop): number => ctx.captures.findIndex((c) => c.at === h.at && c.interface === h.interface);
  const missing = from > 0 ? [...onPath.slice(0, from)].reverse().find((h) => !seen.has(captureAt(h))) : undefined;
  const next = missing ?? (clientSide.at && clientSide.interface ? { at: clientSide.at, interface: clientSide.interface } : undefined);
  if (next) reply.missingAt = { at: next.at, interface: next.interface };
  reply.text.push(`the server answered, but its SYN-ACK was last seen on ${last.at ?? '?'} ${last.interface ?? '?'}${next ? ` and never on ${next.at} ${next.interface}` : ''}: the client never got the answer`);
  const cause = diagnoseReply(ctx, last);
  if (cause) reply.cause = cause;
  return reply;
}

/** Does a trace ending say the packet is lost? (delivered, exits-cluster, insufficient-info and unknown do not.) */
function stopsThePacket(disposition: Disposition): boolean {
  const outcome = outcomeOf(disposition);
  return outcome === 'refused' || outcome === 'failure';
}

function tupleText(t: FiveTuple): string {
  const s = t.sport === undefined ? t.src : `${t.src}:${t.sport}`;
  const d = t.dport === undefined ? t.dst : `${t.dst}:${t.dport}`;
  return `${s} → ${d}`;
}

/**
 * A first packet the client was told about did not just disappear: an ICMP error quoting it
 * came back (a REJECT rule, fragmentation needed, host unreachable once ARP gave up), or a TCP
 * RST. Then the verdict is `rejected`, as the lab's records call it, and the refusal says what
 * came back in the tracer's words (trace/verdict.ts), checked against the answer the tracer
 * models for that ending: the query's trace, else the trace from where the packet was last seen.
 */
function markRejected(journey: Journey, cw: ConnectionWithFlows, path: TracePath | undefined, clientCaptured: boolean): void {
  const clientCapture = journey.sightings[0]?.capture;
  const icmp = closestIcmpError(cw, clientCapture);
  const rst = cw.connection.tcp?.state === 'refused' ? cw.connection.views.find((v) => v.tcp?.resetBy === 'server') : undefined;
  if (icmp && !rst && clientCaptured && icmp.capture !== clientCapture) {
    // An error was sent back but the client's own capture never shows it: it came too late (the
    // client had given up, its capture had ended) or was lost on the way back. Still a loss.
    const { seen } = icmp;
    journey.text.push(`${seenWords(seen)} from ${seen.src} was sent back${icmp.after >= 0 ? ` ${delay(icmp.after)} after the ${journey.firstPacket}` : ''} (${seen.text}), but the client's own capture never shows it: the client had given up, or its capture had ended`);
    return;
  }
  if (!icmp && !rst) return;
  journey.verdict = 'rejected';
  journey.text = journey.text.map((t) => t.replace(': the dumps foresee this loss', ': the dumps foresee this rejection'));
  if (!icmp) {
    journey.refusal = { by: 'rst', capture: rst!.capture, frame: rst!.lastFrame, clientSees: 'a TCP reset (connection refused)', text: `a TCP RST came back (frame ${rst!.lastFrame})` };
    journey.text.push(`rejected, not lost: ${journey.refusal.text}${path?.clientSees ? `: the client gets ${path.clientSees}` : ''}`);
    return;
  }
  const { seen, capture, after } = icmp;
  const modelled = path?.answer ?? journey.cause?.answer;
  // The query's trace models the error as the client gets it (after conntrack's NAT reversal); a
  // trace from where the packet was last seen (the cause's), as it leaves there.
  const lastCapture = journey.sightings[journey.sightings.length - 1]?.capture;
  const compared = path?.answer ? seen : (cw.connection.views.find((v) => v.capture === lastCapture)?.icmpErrors[0] ?? seen);
  const predicted = modelled && compared.kind ? modelled.kind === compared.kind && modelled.src === compared.src && modelled.mtu === compared.mtu : undefined;
  // The tracer's words; "after the ARP timeout" only where its model of this ending says so.
  const words = seen.kind && modelled?.kind === seen.kind && modelled.afterSeconds !== undefined ? answerWords({ kind: seen.kind, afterSeconds: modelled.afterSeconds }) : seenWords(seen);
  const refusal: Refusal = {
    by: 'icmp',
    capture,
    frame: seen.frame,
    clientSees: words,
    icmp: seen,
    text: `${words} from ${seen.src}${after >= 0 ? `, ${delay(after)} after the ${journey.firstPacket}` : ''} (${seen.text})`,
  };
  if (after >= 0) refusal.after = after;
  if (predicted !== undefined) refusal.predicted = predicted;
  journey.refusal = refusal;
  const model = modelled
    ? predicted
      ? `, as the trace predicts (${modelled.sentBy} sends it)`
      : `; the trace predicts ${icmpWords(modelled)} from ${modelled.src} instead (${compared.text})`
    : '';
  journey.text.push(`the client got ${refusal.text}${model}`);
}

/** '3.0 s', '0.3 ms': how long the answer took, as the capture's clock shows it. */
function delay(seconds: number): string {
  return seconds >= 1 ? `${seconds.toFixed(1)} s` : `${(seconds * 1000).toFixed(1)} ms`;
}

/** The ICMP error quoting the first packet, in the capture nearest the client (its first sighting's), else the first seen. */
function closestIcmpError(cw: ConnectionWithFlows, clientCapture: number | undefined): { seen: IcmpErrorSeen; capture: number; after: number } | undefined {
  const views = cw.connection.views;
  const view = views.find((v) => v.capture === clientCapture && v.icmpErrors.length > 0) ?? views.find((v) => v.icmpErrors.length > 0);
  const seen = view?.icmpErrors[0];
  if (!view || !seen) return undefined;
  const flow = cw.flows.find((g) => g.flow === view);
  const sent = flow?.firstFromClient?.time ?? view.firstTime;
  return { seen, capture: view.capture, after: seen.time - sent };
}

/** The server side sent something back: a SYN-ACK, an echo reply, a datagram from the server's port. */
function wasAnswered(cw: ConnectionWithFlows): boolean {
  const c = cw.connection;
  if (c.tcp) return c.tcp.synAck;
  if ((c.echo?.replies ?? 0) > 0) return true;
  return c.proto === 'udp' && c.views.some((v) => v.serverSent > 0);
}

/** A TCP connection whose SYN got no SYN-ACK, or any first packet quoted by an ICMP error and never answered: nothing got through. */
function neverAnswered(cw: ConnectionWithFlows): boolean {
  const tcp = cw.connection.tcp;
  if (tcp) return !tcp.synAck;
  return cw.connection.views.some((v) => v.icmpErrors.length > 0) && !wasAnswered(cw);
}

export async function buildJourney(cw: ConnectionWithFlows, ctx: JourneyContext): Promise<Journey> {
  const { topology, names } = ctx;
  const { sightings, firstPacket } = sightingsOf(cw, ctx.captures);
  const ends = endsOf(cw, sightings, names, topology);
  sortSightings(sightings, topology, ends);
  const journey: Journey = { connection: cw.connection.id, firstPacket, sightings, verdict: 'no-model', text: [] };
  if (topology.nodes.length === 0 || sightings.length === 0) return journey;

  let traced: TraceResult | undefined;
  if (ctx.trace) {
    const from = ends.clientPod ?? ends.clientNode ?? cw.connection.client.ip;
    const s = cw.connection.server;
    try {
      const request: TraceRequest = { from, to: `${s.ip}${s.port !== undefined ? `:${s.port}` : ''}/${cw.connection.proto}` };
      if (cw.connection.client.port !== undefined) request.sport = cw.connection.client.port;
      // A datagram's size and DF bit as the client sent it: the kernel's MTU checks read them.
      const sent = sightings[0];
      if (cw.connection.proto === 'udp' && sent?.length !== undefined && !sent.fragments) {
        request.size = sent.length;
        request.df = sent.df ?? false;
      }
      // The path does not depend on the source port (only the ports compared are destinations):
      // one trace per client, destination and size, however many connections share them.
      const key = `${request.from}|${request.to}|${request.size ?? ''}|${request.df ?? ''}`;
      let pending = ctx.traceCache?.get(key);
      if (!pending) {
        pending = Promise.resolve().then(() => ctx.trace!(topology, request));
        ctx.traceCache?.set(key, pending);
      }
      traced = await pending;
    } catch (error) {
      journey.text.push(`the tracer could not model this connection: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const chosen = traced ? choosePath(traced, sightings) : undefined;
  // Where the packet physically went: the captured interfaces on its path, in kernel order.
  const onPath = modelFromDumps(ctx, ends, sightings);
  const traceHops = chosen ? modelFromTrace(ctx, chosen, sightings) : undefined;
  // A trace that never reaches a captured place (it stops early for want of dumps) says nothing
  // about these captures: the dumps' path is used and the trace's ending is only reported.
  const path = traceHops?.some((h) => h.check === 'seen') ? chosen : undefined;
  if (chosen && !path) journey.text.push(`the trace reaches no captured place: ${chosen.disposition}: ${chosen.reason}`);
  const hops = path && traceHops ? traceHops : onPath;
  if (hops.length === 0 && onPath.length === 0) return journey;
  journey.model = { source: path ? 'trace' : 'dumps', hops };
  if (path) {
    journey.model.disposition = path.disposition;
    journey.model.reason = path.reason;
  }
  const lastSeen = (list: ModelHop[]): number => list.reduce((last, h, i) => (h.check === 'seen' ? i : last), -1);
  if (lastSeen(hops) < 0 && lastSeen(onPath) < 0) {
    // No capture was taken at a known place on this path (file names not `<at>__<iface>.pcap`).
    journey.text.push('no capture is known to lie on the path the dumps give (each capture says where it was placed and why, or why not; --at FILE=NODE:IFACE places one)');
    return journey;
  }
  const lastOnPath = lastSeen(onPath);
  const missingAfter = onPath.find((h, i) => h.check === 'missing' && i > lastOnPath);
  const lastModelSeen = lastSeen(hops);
  const skipped = hops.filter((h, i) => h.check === 'missing' && i < lastModelSeen);
  const differing = hops.filter((h) => h.differences.length > 0);
  const lastSighting = sightings[sightings.length - 1]!;
  const reachedServer = !!ends.serverPod && sightings.some((s) => s.at === ends.serverPod);
  // A path that leaves the cluster, or whose dumps ran out, does not say the packet stops.
  const modelStops = !!path && stopsThePacket(path.disposition);
  // A SYN-ACK (or any reply) proves the first packet arrived, whatever a capture missed.
  const answered = wasAnswered(cw);

  // One SYN, and the captures end within a SYN retry of it: nothing came back yet, which says nothing.
  const cutByCaptureEnd = !!cw.connection.tcp && cw.flows.some((f) => f.syn) && cw.flows.every((f) => !f.syn || synCutByCaptureEnd(f)) && !cw.connection.views.some((v) => v.icmpErrors.length > 0);

  if (!answered && (missingAfter || (modelStops && !reachedServer))) {
    journey.verdict = 'lost';
    journey.lostAfter = { ...(lastSighting.at ? { at: lastSighting.at } : {}), ...(lastSighting.interface ? { interface: lastSighting.interface } : {}) };
    if (missingAfter) journey.missingAt = { at: missingAfter.at, interface: missingAfter.interface };
    if (path) {
      // The trace stops where the captures stop: the dumps foresee this loss.
      const end = path.hops[path.hops.length - 1];
      journey.predicted = modelStops && !!end && end.at === lastSighting.at && end.interface === lastSighting.interface;
    }
  } else if (skipped.length > 0 || differing.length > 0 || (modelStops && (reachedServer || answered)) || (answered && missingAfter)) {
    journey.verdict = 'disagrees';
    if (answered && missingAfter) journey.text.push(`never captured on ${missingAfter.at} ${missingAfter.interface}, yet the server answered: that capture may have started late or missed it`);
  } else if (neverAnswered(cw) && cutByCaptureEnd) {
    // Seen everywhere the model says, and the captures end before an answer could come back.
    journey.verdict = 'agrees';
    journey.text.push(`the ${firstPacket} was seen at every captured hop the ${path ? 'trace predicts' : 'dumps predict'}; the capture ended before an answer could be seen`);
  } else if (neverAnswered(cw)) {
    // Seen everywhere the model says, yet nothing but an error (or nothing at all) came back: the
    // first packet did not get through, whatever the model says. Never call that agreeing.
    journey.verdict = 'lost';
    journey.lostAfter = { ...(lastSighting.at ? { at: lastSighting.at } : {}), ...(lastSighting.interface ? { interface: lastSighting.interface } : {}) };
    journey.text.push(`the ${firstPacket} was never answered${path?.clientSees ? ` (the trace says the client gets: ${path.clientSees})` : ''}`);
  } else {
    journey.verdict = 'agrees';
  }
  const where = (at: string | undefined, iface: string | undefined): string => `${at ?? '?'} ${iface ?? '?'}`;
  if (journey.verdict === 'agrees' && !cutByCaptureEnd) {
    journey.text.push(`the ${firstPacket} was seen at every captured hop the ${path ? 'trace predicts' : 'dumps predict'}, in order`);
  }
  if (modelStops && (reachedServer || answered)) journey.text.push(`the trace ends ${path.disposition} but the ${reachedServer ? `captures show the packet reach ${ends.serverPod ?? '?'}` : 'server answered'}`);
  for (const h of skipped) journey.text.push(`the ${firstPacket} was never seen on ${where(h.at, h.interface)}, although it was seen further on: it took another way than the model's`);
  for (const h of differing) journey.text.push(`at ${where(h.at, h.interface)}: ${h.differences.join('; ')}`);
  if (journey.verdict === 'lost') {
    const next = journey.missingAt ? ` and never on ${where(journey.missingAt.at, journey.missingAt.interface)}` : ', nowhere further';
    journey.text.push(`the ${firstPacket} was last seen on ${where(lastSighting.at, lastSighting.interface)} (${tupleText(lastSighting.packet)})${next}`);
    if (path) {
      journey.text.push(
        journey.predicted
          ? `the trace stops there too (${path.disposition}): the dumps foresee this loss`
          : `the trace ${path.disposition === 'delivered' ? 'expects it delivered' : `stops elsewhere (${path.disposition})`}: the dumps do not explain where the captures lose it`,
      );
    }
  }
  const reply = replyJourney(cw, ctx, sightings, onPath);
  if (reply) journey.reply = reply;
  const gotThrough = answered || reachedServer;
  if (modelStops && gotThrough) {
    journey.text.push('the dumps foresee a loss the captures do not show: were the dumps and the captures taken at the same time, on the same nodes?');
  }
  if (journey.verdict === 'lost' || (journey.verdict === 'disagrees' && !gotThrough)) {
    const cause = diagnose(ctx, cw, lastSighting) ?? (modelStops ? traceCause(path, lastSighting) : undefined);
    if (cause) journey.cause = cause;
  }
  if (journey.verdict === 'lost') {
    // Where the client itself was captured, only an answer seen there reached it.
    const clientCaptured = ctx.captures.some((c) => c.at !== undefined && (c.at === ends.clientPod || (!ends.clientPod && c.at === ends.clientNode)));
    markRejected(journey, cw, path, clientCaptured);
  }
  return journey;
}
