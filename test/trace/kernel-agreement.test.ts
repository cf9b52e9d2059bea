// The tracer against the kernel. For every connection the lab recorded in
// samples/<scenario>/expected.json (tcpdump sightings of the first SYN on every
// interface, and xtables-monitor's trace of it), `podpath trace --json` on that
// scenario's dumps must give, for the endpoint that answered (or the path that
// failed): the same hops, the same nat and filter rules in the same order, and
// the same ending. The expected values are the kernel's; none come from podpath.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type ExpectStatic } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import type { NatStep, NetfilterStep, TraceResult, TracePath } from '../../src/trace/model.ts';
import { labScenarios } from '../helpers/samples.ts';

interface Sighting {
  at: string;
  interface: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: string;
  /** IP total length (the first fragment's once fragmented) and the fragment count (only when fragmented). */
  length?: number;
  fragments?: number;
  outer?: { src: string; dst: string; sport?: number; dport: number; vni?: number };
}

/** The ICMP error the client received, as the lab read it from the client's capture. */
interface KernelAnswer {
  src: string;
  type: number;
  code: number;
  mtu?: number;
}

interface KernelRule {
  node: string;
  in?: string;
  out?: string;
  table: string;
  chain: string;
  rule: string | null;
  verdict: string;
}

interface Connection {
  id: string;
  from: string;
  via?: string;
  to: string;
  outcome: 'delivered' | 'rejected' | 'timeout' | 'not-sent' | string;
  endpoint?: string;
  clientSaw: string;
  proto?: 'tcp' | 'udp';
  /** UDP probes: IP total length and DF as sent. */
  size?: number;
  df?: boolean;
  clientError?: string;
  answer?: KernelAnswer;
  client?: { command?: string };
  /** ARP requests nodes sent while the first packet was on its way (the lab's `resolved`). */
  resolved?: { at: string; interface: string; ip: string }[];
  sightings: Sighting[];
  netfilter: KernelRule[];
}

const samples = join(repoRoot, 'samples');
const scenarios = labScenarios();

/** What xtables-monitor prints as the verdict of each kind of step podpath records. */
const KERNEL_VERDICT: Record<NetfilterStep['action'] | NatStep['action'], string> = {
  jump: 'jump', goto: 'goto', accept: 'accept', drop: 'drop',
  // nft's reject statement ends the chain like DROP, and the trace prints it as DROP.
  reject: 'drop',
  // A user chain that runs out of rules is no rule: these steps are left out before the lookup.
  'end-of-chain': 'return',
  return: 'return', mark: 'continue', continue: 'continue', log: 'continue', untrack: 'continue',
  'policy-accept': 'policy', 'policy-drop': 'policy',
  // NAT targets are verdicts of their own in the trace: ACCEPT after the rewrite.
  dnat: 'accept', snat: 'accept', masquerade: 'accept',
};

function chosenPath(result: TraceResult, connection: Connection, expect: ExpectStatic): TracePath {
  if (connection.endpoint) {
    const match = result.paths.find((p) => p.endpoint === connection.endpoint || (p.endpoint === undefined && result.paths.length === 1));
    expect(match, `a path to ${connection.endpoint}; got ${result.paths.map((p) => p.endpoint).join(', ')}`).toBeDefined();
    return match!;
  }
  expect(result.paths).toHaveLength(1);
  return result.paths[0]!;
}

/**
 * The lab keeps one sighting per capture (the first frame of the SYN in each interface's pcap),
 * so a device the packet crosses twice (a routed packet received and sent again on cni0) is
 * one sighting; podpath's hops are collapsed the same way for the comparison.
 */
function hopsAsSightings(path: TracePath) {
  const seen = new Set<string>();
  const out = [];
  for (const hop of path.hops) {
    // A packet that never left its source has one hop at interface '-': no device saw it.
    if (hop.interface === '-') continue;
    const key = `${hop.at}/${hop.interface}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(hop);
  }
  return out;
}

/**
 * br_netfilter's bridged DNAT takes its fast path (port first, the bridge's copy after) when the
 * host's neighbour entry for the endpoint is REACHABLE, which is what podpath reads in `ip neigh`.
 * But the dump is taken after the traffic: when the kernel's record shows the host ARPing for the
 * endpoint on the bridge while this very packet passed (`resolved`), the entry did not exist yet
 * and the frame went through the bridge device first, as podpath's step says it would then. The
 * two hops are compared in that order; everything else is compared as it is.
 */
function asLearnedDuringPacket(path: TracePath, connection: Connection): TracePath['hops'] {
  const hops = hopsAsSightings(path);
  // The request floods from the bridge to its ports too: the first one, on the bridge, is the one that counts.
  const swapped = new Set<string>();
  for (const r of connection.resolved ?? []) {
    if (swapped.has(r.ip)) continue;
    const port = hops.findIndex((h, i) => h.at === r.at && hops[i + 1]?.at === r.at && hops[i + 1]?.interface === r.interface && h.packet.dst === r.ip);
    if (port < 0) continue;
    const bridgeHop = hops[port + 1]!;
    const saysSo = path.hops.some((h) => h.at === r.at && h.steps.some((s) => s.type === 'note' && s.explanation.includes(`learned from this very packet (${r.at} ARPing for ${r.ip}`)));
    if (!saysSo) continue;
    hops.splice(port, 2, bridgeHop, hops[port]!);
    swapped.add(r.ip);
  }
  return hops;
}

function kernelHop(s: Sighting, sized: boolean) {
  const hop: Record<string, unknown> = { at: s.at, interface: s.interface, src: s.src, dst: s.dst, sport: s.sport, dport: s.dport, proto: s.proto };
  if (sized) {
    hop['length'] = s.length;
    if (s.fragments !== undefined) hop['fragments'] = s.fragments;
  }
  // The outer UDP source port is the kernel's hash of the inner flow (vxlan_src_port): not compared.
  if (s.outer) hop['outer'] = { src: s.outer.src, dst: s.outer.dst, dport: s.outer.dport, vni: s.outer.vni };
  return hop;
}

function podpathHop(hop: TracePath['hops'][number], kernelSport: number, sized: boolean) {
  const out: Record<string, unknown> = {
    at: hop.at, interface: hop.interface, src: hop.packet.src, dst: hop.packet.dst,
    // After MASQUERADE --random-fully the port is random: podpath leaves it out rather than guess.
    sport: hop.packet.sport ?? kernelSport,
    dport: hop.packet.dport, proto: hop.packet.proto,
  };
  if (sized) {
    out['length'] = hop.packet.length;
    if (hop.packet.fragments !== undefined) out['fragments'] = hop.packet.fragments;
  }
  if (hop.outer) out['outer'] = { src: hop.outer.src, dst: hop.outer.dst, dport: hop.outer.dport, vni: hop.outer.vni };
  return out;
}

/** iptables' nat and filter tables, and kube-proxy's own nftables table in its nftables mode. */
const COMPARED_TABLES = new Set(['nat', 'filter', 'kube-proxy']);

/**
 * The kernel trace's nat and filter entries, without those of a copy that exists only because
 * the lab captured on the bridge: tcpdump puts cni0 in promiscuous mode, so when br_netfilter
 * bridges a DNATed frame to another port, br_handle_frame_finish also passes a copy up to the
 * host, which routes it (TTL-1) into FORWARD with in=out=cni0, where KUBE-FORWARD drops it as
 * ctstate INVALID. In kube-proxy's nftables mode there is no such INVALID drop: the copy's
 * FORWARD pass (in=out=cni0) repeats the bridged frame's own and ends in policy accept. The
 * SYN itself is delivered; without a capture running there is no copy.
 */
function kernelRules(connection: Connection): KernelRule[] {
  let rules = connection.netfilter.filter((r) => COMPARED_TABLES.has(r.table));
  if (connection.outcome === 'delivered') {
    const last = rules[rules.length - 1];
    if (last && last.in !== undefined && last.in === last.out) {
      let start = rules.length - 1;
      const samePass = (r: KernelRule) => (r.table === 'filter' || r.table === 'kube-proxy') && r.node === last.node && r.in === last.in && r.out === last.out;
      while (start > 0 && samePass(rules[start - 1]!)) start--;
      const first = rules[start]!;
      const repeated = rules.slice(0, start).some((r) => samePass(r) && r.chain === first.chain && r.rule === first.rule);
      if (last.verdict === 'drop' || repeated) rules = rules.slice(0, start);
    }
  }
  return rules.map((r) => ({ node: r.node, table: r.table, chain: r.chain, rule: r.rule, verdict: r.verdict }));
}

/** podpath's netfilter and nat steps as the kernel's trace would list them. */
function podpathRules(path: TracePath): Omit<KernelRule, 'in' | 'out'>[] {
  const rules: Omit<KernelRule, 'in' | 'out'>[] = [];
  for (const hop of path.hops) {
    // The lab's TRACE rule selects TCP SYNs (`-p tcp --tcp-flags FIN,SYN,RST,ACK SYN -j TRACE`), so
    // the kernel never traces the outer VXLAN/UDP packet whose steps sit on encapsulated hops.
    if (hop.outer) continue;
    for (const step of hop.steps) {
      if (step.type !== 'netfilter' && step.type !== 'nat') continue;
      if (!COMPARED_TABLES.has(step.table)) continue;
      // Falling off the end of a user chain is not a rule; the kernel's trace has no entry for it.
      if (step.type === 'netfilter' && step.action === 'end-of-chain') continue;
      const policy = step.type === 'netfilter' && step.action.startsWith('policy-');
      rules.push({ node: hop.at, table: step.table, chain: step.chain, rule: policy ? null : step.rule, verdict: KERNEL_VERDICT[step.action] });
    }
  }
  return rules;
}

/** The client's timeout from the lab's client command (curl's `--max-time N`, udp-probe.py's last argument). */
function clientTimeout(connection: Connection): number {
  const command = connection.client?.command ?? '';
  const m = /--max-time\s+(\d+(?:\.\d+)?)/.exec(command) ?? /udp-probe\.py(?:\s+\S+){5}\s+(\d+(?:\.\d+)?)$/.exec(command);
  return m ? Number(m[1]) : Infinity;
}

/**
 * What the client saw, from podpath's path. An unanswered ARP for the next hop ends in ICMP host
 * unreachable only after the kernel's 3 probes, 1 s apart (neigh's ucast_probes/retrans_time), so a
 * client that gives up sooner saw no answer: podpath's answer says how long it takes.
 */
function clientSawFromPath(path: TracePath, connection: Connection): string | undefined {
  if (path.answer?.afterSeconds !== undefined && clientTimeout(connection) < path.answer.afterSeconds) return 'no answer';
  return path.clientSees;
}

/**
 * The lab's word for a UDP datagram that arrived is 'answered': the echo server's reply is its
 * evidence. Whether an application answers is beyond the dumps; podpath says 'delivered'.
 */
const kernelClientSaw = (connection: Connection): string => (connection.clientSaw === 'answered' ? 'delivered' : connection.clientSaw);

const OUTCOME: Record<string, (p: TracePath, saw: string | undefined) => boolean> = {
  delivered: (p) => p.disposition === 'delivered',
  // Refused at once: a REJECT rule, or an ICMP error from a node (no route, failed neighbour, MTU).
  rejected: (p, saw) => p.disposition !== 'delivered' && saw !== 'no answer',
  timeout: (p, saw) => p.disposition !== 'delivered' && saw === 'no answer',
  // The client's own kernel refused to send: nothing reached any device.
  'not-sent': (p) => p.disposition !== 'delivered' && p.hops.every((h) => h.interface === '-'),
};

/** The client's fixed source port: from its first sighting, or its command line when nothing was sent. */
function clientSport(connection: Connection): number {
  const first = connection.sightings[0]?.sport;
  if (first !== undefined) return first;
  const m = /--local-port\s+(\d+)/.exec(connection.client?.command ?? '') ?? /udp-probe\.py\s+\S+\s+\d+\s+(\d+)/.exec(connection.client?.command ?? '');
  if (!m) throw new Error(`${connection.id}: no sighting and no source port in the client's command`);
  return Number(m[1]);
}

// Each case spawns the CLI (mostly loading dumps): run them side by side.
describe.concurrent('podpath trace agrees with the kernel on every recorded connection', () => {
  for (const scenario of scenarios) {
    const expected = JSON.parse(readFileSync(join(samples, scenario, 'expected.json'), 'utf8')) as { connections: Connection[] };
    describe(scenario, () => {
      for (const connection of expected.connections) {
        it(`${connection.id}: ${connection.from} → ${connection.to} (${connection.outcome})`, async ({ expect }) => {
          const sport = clientSport(connection);
          const args = ['trace', join('samples', scenario), '--from', connection.from, '--to', connection.to, '--sport', String(sport), '--json'];
          if (connection.via) args.push('--via', connection.via);
          const sized = connection.size !== undefined;
          if (sized) args.push('--size', String(connection.size), connection.df === false ? '--no-df' : '--df');
          const run = await runPodpath(args);
          expect(run.stderr).toBe('');
          expect(run.status).toBe(connection.outcome === 'delivered' ? 0 : 1);
          const result = JSON.parse(run.stdout) as TraceResult;
          const path = chosenPath(result, connection, expect);

          const hops = asLearnedDuringPacket(path, connection);
          expect(hops.map((h, i) => podpathHop(h, connection.sightings[i]?.sport ?? sport, sized))).toEqual(connection.sightings.map((s) => kernelHop(s, sized)));
          expect(podpathRules(path)).toEqual(kernelRules(connection));
          const saw = clientSawFromPath(path, connection);
          expect(OUTCOME[connection.outcome]?.(path, saw), `${connection.outcome} vs podpath's ${path.disposition}: ${path.reason}`).toBe(true);
          expect(saw).toBe(kernelClientSaw(connection));
          // The ICMP error the client got (its source after conntrack, type, code, next-hop MTU) and the errno its socket reported.
          if (connection.answer) {
            const { src, type, code, mtu } = connection.answer;
            expect(path.answer && { src: path.answer.src, type: path.answer.type, code: path.answer.code, ...(path.answer.mtu === undefined ? {} : { mtu: path.answer.mtu }) })
              .toEqual({ src, type, code, ...(mtu === undefined ? {} : { mtu }) });
          }
          if (connection.clientError) expect(path.socketError).toBe(connection.clientError);
          if (connection.endpoint) expect(path.endpoint ?? `${path.hops.at(-1)!.packet.dst}:${path.hops.at(-1)!.packet.dport}`).toBe(connection.endpoint);
        });
      }

      // podpathRules leaves out the steps of the outer (UDP) packet because the lab traces TCP SYNs only:
      // check that premise against the TRACE rules the kernel's trace itself shows.
      it('the kernel trace selects TCP SYNs only', ({ expect }) => {
        const text = readFileSync(join(samples, scenario, 'netfilter-trace.txt'), 'utf8').split('\n');
        const lines = text.filter((l) => l.includes('-j TRACE'));
        // UDP probes are traced by their destination port (5005), never VXLAN's 8472 or 4789.
        for (const line of lines) expect(line).toMatch(/(-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN|-p udp -m udp --dport 5005) -j TRACE$/);
        // `nft monitor trace` (nftables-mode samples) names the TRACE rule only when its cache has it
        // ("unknown rule handle 2" once the lab removed it), but prints every traced packet: all SYNs.
        const nftPackets = text.filter((l) => /^trace id \S+ \S+ \S+ \S+ packet: /.test(l));
        for (const line of nftPackets) expect(line).toMatch(/ tcp flags == syn /);
        expect(lines.length + nftPackets.length).toBeGreaterThan(0);
      });

      // Users paste terminal sessions: the scenario's transcript.txt (the same dumps, one file with
      // prompts) must give the same trace as the bundle for the first recorded connection.
      const first = expected.connections[0];
      it('transcript.txt gives the same trace as the bundle', async ({ expect }) => {
        const c = first!;
        const args = ['--from', c.from, '--to', c.to, '--sport', String(clientSport(c)), '--json', ...(c.via ? ['--via', c.via] : [])];
        if (c.size !== undefined) args.push('--size', String(c.size), c.df === false ? '--no-df' : '--df');
        const fromBundle = await runPodpath(['trace', join('samples', scenario), ...args]);
        const fromTranscript = await runPodpath(['trace', join('samples', scenario, 'transcript.txt'), ...args]);
        expect(fromTranscript.status).toBe(fromBundle.status);
        // Step sources name different files (bundle file vs transcript line); everything else must agree.
        const strip = (text: string) => JSON.stringify(JSON.parse(text).paths, (key, value) => (key === 'source' || key === 'warnings' ? undefined : value));
        expect(strip(fromTranscript.stdout)).toBe(strip(fromBundle.stdout));
      });
    });
  }
});
