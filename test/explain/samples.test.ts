// `podpath explain` on every lab scenario present (samples/*/expected.json), faults
// included. Every expected value comes from the lab's records: expected.json (the
// kernel's sightings of each first packet, extracted by tshark, and its
// xtables-monitor trace) and the dump files themselves, never from podpath.
import { oracle } from '../helpers/oracle.ts';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Explanation, Journey } from '../../src/explain/model.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { innermost, tsharkFields } from './tshark.ts';
import { corpusDir } from '../helpers/shared.ts';
import { EXPLAIN_GAPS, EXPLAIN_WITHOUT_TRACE_GAPS } from '../helpers/sample-gaps.ts';
import { labScenarios } from '../helpers/samples.ts';

interface ExpectedSighting {
  at: string;
  interface: string;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  proto: string;
  outer?: { src: string; dst: string; sport?: number; dport?: number; vni?: number };
  capture: string;
  frame: number;
  time: string;
  /** UDP: the IP total length and DF bit there (the first fragment's, and how many fragments, once cut). */
  length?: number;
  df?: boolean;
  fragments?: number;
}

interface ExpectedNetfilter {
  node: string;
  table: string;
  chain: string;
  rule: string | null;
  verdict: string;
  policy?: string;
}

interface ExpectedConnection {
  id: string;
  from: string;
  via?: string;
  to: string;
  service?: string;
  outcome: string;
  endpoint?: string;
  proto?: string;
  clientSaw: string;
  /** The ICMP error the client got: its source as the client saw it, and where the lab captured it. */
  answer?: { src: string; type: number; code: number; mtu?: number; sightings: { at: string; interface: string; capture: string; frame: number; time: string }[] };
  sightings: ExpectedSighting[];
  netfilter: ExpectedNetfilter[];
}

interface Expected {
  scenario: string;
  cni: { plugin: string; mode: string };
  nodes: { name: string; underlay: string; podCIDR: string }[];
  pods: { name: string; node: string; ip: string; hostInterface: string }[];
  vteps: { node: string; device: string; vni: number; port: number; local: string }[];
  services: { namespace: string; name: string; portName?: string; clusterIP: string; port: number; endpoints: { ip: string; port: number }[] }[];
  connections: ExpectedConnection[];
}

const samplesDir = join(repoRoot, 'samples');
const scenarios = labScenarios();

/**
 * What `podpath explain --json <captures> <bundle>` prints, computed in process (the CLI path
 * itself is exercised by the seed-capture tests below and cli.test.ts): same loader, same
 * tracer, same explainer.
 */
async function explainScenario(name: string): Promise<{ json: Explanation; status: number }> {
  const { explainFiles } = await import('../../src/explain/index.ts');
  const { loadTopology } = await import('../../src/topology/load.ts');
  const { tracerFunction } = await import('../../src/explain/links.ts');
  const dir = join(samplesDir, name);
  const captures = readdirSync(join(dir, 'captures')).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, 'captures', f));
  const json = await explainFiles(captures, await loadTopology([dir]), { trace: await tracerFunction() });
  // Round-trip through JSON as the CLI does, so nothing but plain data is compared.
  return { json: JSON.parse(JSON.stringify(json)) as Explanation, status: json.faultFound ? 1 : 0 };
}

function read(scenario: string, ...parts: string[]): string {
  const path = join(samplesDir, scenario, ...parts);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

function journeyOf(json: Explanation, c: ExpectedConnection): { journey: Journey; index: number } {
  const first = c.sightings[0]!;
  const index = json.connections.findIndex((x) => x.client.ip === first.src && x.client.port === first.sport && x.proto === first.proto);
  expect(index, `${c.id}: a connection from ${first.src}:${first.sport}`).toBeGreaterThanOrEqual(0);
  const journey = json.journeys.find((j) => j.connection === json.connections[index]!.id)!;
  return { journey, index };
}

/** Where the lab's records say the first packet was stopped, and why, read from the trace and the dumps. */
function recordedCause(e: Expected, c: ExpectedConnection): { node: string; kind: string; mentions: string[] } | undefined {
  const last = c.netfilter[c.netfilter.length - 1];
  const dropped = last && (last.verdict === 'drop' || (last.verdict === 'policy' && last.policy === 'drop'));
  if (last && dropped) {
    // iptables prints `-A … -j REJECT …`; nft's trace prints the rule's own statement, `reject …`.
    const rejects = last.rule !== null && (/ -j REJECT\b/.test(last.rule) || /^reject\b/.test(last.rule));
    return { node: last.node, kind: rejects ? 'rejected' : 'forward-drop', mentions: last.rule ? [last.rule] : ['policy is DROP'] };
  }
  const lastSeen = c.sightings[c.sightings.length - 1]!;
  const node = e.nodes.find((n) => n.name === lastSeen.at) ?? e.nodes.find((n) => e.pods.some((p) => p.name === lastSeen.at && p.node === n.name));
  if (!node) return undefined;
  const service = e.services.find((s) => `${s.namespace}/${s.name}${s.portName ? `:${s.portName}` : ''}` === c.service);
  // The client got ICMP fragmentation needed (tshark's icmp.mtu): the packet was too big for the path there.
  if (c.answer?.type === 3 && c.answer.code === 4) return { node: node.name, kind: 'packet-too-big', mentions: [`MTU ${c.answer.mtu}`] };
  // The destination (or the service's endpoint) is FAILED or INCOMPLETE in that node's `ip neigh`: ARP got no answer.
  const neigh = read(e.scenario, node.name, 'ip-neigh.txt');
  const unresolved = [lastSeen.dst, ...(service?.endpoints.map((ep) => ep.ip) ?? [])]
    .find((ip) => new RegExp(`^${ip.replace(/\./g, '\\.')} dev \\S+ (FAILED|INCOMPLETE)`, 'm').test(neigh));
  if (unresolved) return { node: node.name, kind: 'neighbour-missing', mentions: [unresolved] };
  if (service && service.endpoints.length === 0) {
    // Nothing DNATs the cluster IP: the packet follows the node's route for it. If `ip neigh` shows that route's
    // gateway FAILED, that is where it waits and dies.
    const gateway = /^default via (\S+) dev (\S+)/m.exec(read(e.scenario, node.name, 'ip-route.txt'));
    const failed = gateway && new RegExp(`^${gateway[1]!.replace(/\./g, '\\.')} dev ${gateway[2]} .*FAILED`, 'm').test(read(e.scenario, node.name, 'ip-neigh.txt'));
    return { node: node.name, kind: 'no-endpoints', mentions: [c.service!, ...(failed ? [`next hop ${gateway[1]!} is FAILED`] : [])] };
  }
  const peers = e.nodes.filter((n) => n.name !== node.name);
  const routes = read(e.scenario, node.name, 'ip-route.txt');
  const missingRoute = peers.find((p) => !routes.split('\n').some((l) => l.startsWith(`${p.podCIDR} `)));
  if (missingRoute) return { node: node.name, kind: 'no-route', mentions: [missingRoute.podCIDR] };
  const fdb = read(e.scenario, node.name, 'bridge-fdb.txt');
  const vtep = e.vteps.find((v) => v.node === node.name);
  const missingFdb = vtep && peers.find((p) => !fdb.split('\n').some((l) => l.includes(`dev ${vtep.device}`) && l.includes(`dst ${p.underlay}`)));
  if (missingFdb) {
    // The MAC the neighbour table gives the peer's VTEP (`ip neigh`: <peer subnet>.0 dev flannel.1 lladdr MAC).
    const neigh = read(e.scenario, node.name, 'ip-neigh.txt');
    const peerGateway = missingFdb.podCIDR.replace(/\/\d+$/, '');
    const mac = new RegExp(`^${peerGateway.replace(/\./g, '\\.')} dev ${vtep.device.replace('.', '\\.')} lladdr (\\S+)`, 'm').exec(neigh)?.[1];
    return { node: node.name, kind: 'fdb-missing', mentions: mac ? [mac] : [] };
  }
  return undefined;
}

/** Seconds between two of the lab's tshark times (epoch seconds with nanoseconds, as text). */
function secondsBetween(from: string, to: string): number {
  return Number(BigInt(to.replace('.', '')) - BigInt(from.replace('.', ''))) / 1e9;
}

/**
 * The ICMP error the lab captured nearest the client (its first sighting's capture), as the
 * journey's refusal: the same frame, source, type and code, the client's words ('icmp host
 * unreachable', 'icmp fragmentation needed (mtu 1450)'), and for an answer that took the
 * neighbour's 3 unanswered ARP probes (1 s apart: at least 3 s after the first packet, by the
 * capture's clock), the words "after the ARP timeout".
 */
function expectRecordedAnswer(json: Explanation, journey: Journey, c: ExpectedConnection): void {
  const answer = c.answer!;
  const first = c.sightings[0]!;
  const near = answer.sightings.find((s) => s.capture === first.capture)!;
  expect(near, `${c.id}: the lab captured the answer where the client's first packet was`).toBeDefined();
  const refusal = journey.refusal!;
  expect(refusal, c.id).toBeDefined();
  expect(refusal.by, c.id).toBe('icmp');
  expect(json.captures[refusal.capture]!.file.endsWith(near.capture), c.id).toBe(true);
  expect(refusal.frame, c.id).toBe(near.frame);
  expect(refusal.icmp, c.id).toMatchObject({ src: answer.src, type: answer.type, code: answer.code, ...(answer.mtu !== undefined ? { mtu: answer.mtu } : {}) });
  const after = secondsBetween(first.time, near.time);
  expect(refusal.after, c.id).toBeCloseTo(after, 5);
  expect(refusal.clientSees, c.id).toBe(after >= 3 ? `${c.clientSaw} after the ARP timeout` : c.clientSaw);
  expect(refusal.predicted, `${c.id}: ${journey.text.join(' / ')}`).toBe(true);
}

/**
 * Connections whose first packet reached some device. A datagram the client's own kernel refused
 * (EMSGSIZE at send(), the lab's outcome 'not-sent') is in no capture, so there is nothing for the
 * explainer to line up; the tracer's agreement test covers those.
 */
function onTheWire(e: Expected): Expected {
  return { ...e, connections: e.connections.filter((c) => c.outcome !== 'not-sent') };
}

describe('podpath explain on the lab scenarios', () => {
  for (const scenario of scenarios) {
    if (EXPLAIN_GAPS[scenario]) {
      it.todo(`${scenario}: ${EXPLAIN_GAPS[scenario]}`);
      continue;
    }
    describe(scenario, () => {
      const expected = onTheWire(JSON.parse(read(scenario, 'expected.json')) as Expected);
      let result: Promise<{ json: Explanation; status: number }> | undefined;
      const explained = (): Promise<{ json: Explanation; status: number }> => (result ??= explainScenario(scenario));

      it('names the pods, nodes and services as the lab set them up', async () => {
        const { json } = await explained();
        const named = new Map(json.addresses.map((a) => [a.ip, a]));
        const involved = new Set(expected.connections.flatMap((c) => c.sightings.flatMap((s) => [s.src, s.dst, s.outer?.src, s.outer?.dst])));
        for (const pod of expected.pods.filter((p) => involved.has(p.ip))) {
          expect(named.get(pod.ip), pod.name).toMatchObject({ kind: 'pod', name: pod.name, node: pod.node });
        }
        for (const node of expected.nodes.filter((n) => involved.has(n.underlay))) {
          expect(named.get(node.underlay), node.name).toMatchObject({ kind: 'node', name: node.name });
        }
        for (const service of expected.services.filter((s) => involved.has(s.clusterIP))) {
          expect(named.get(service.clusterIP)?.kind, service.name).toBe('service');
          expect(named.get(service.clusterIP)?.name).toContain(`${service.namespace}/${service.name}`);
        }
      });

      it('names each connection\'s client, service and the endpoint that answered', async () => {
        const { json } = await explained();
        for (const c of expected.connections) {
          const { index } = journeyOf(json, c);
          const conn = json.connections[index]!;
          // A node's own datagram leaves from one of its devices' addresses (flannel.1's): that address is the node's.
          const clientNode = json.addresses.find((a) => a.ip === conn.client.ip)?.node;
          expect(conn.client.name === c.from || (expected.nodes.some((n) => n.name === c.from) && clientNode === c.from), `${c.id}: ${conn.client.name}`).toBe(true);
          if (c.service) expect(conn.service?.name, c.id).toBe(c.service);
          else expect(conn.service, c.id).toBeUndefined();
          if (c.outcome === 'delivered' && c.endpoint) {
            const answered = conn.service?.endpoint ?? conn.server;
            expect(`${answered.ip}:${answered.port}`, c.id).toBe(c.endpoint);
            // UDP has no handshake: the lab's client printed the echo, so a datagram came back from the server's port.
            if (c.proto === 'udp') expect(conn.views.some((v) => v.serverSent > 0), c.id).toBe(c.clientSaw === 'answered');
            else expect(conn.tcp?.handshakeComplete, c.id).toBe(c.clientSaw === 'connected');
          }
          if (c.clientSaw.startsWith('icmp ')) {
            // "icmp port unreachable", "icmp host unreachable": the ICMP error, tied to this connection by the packet it quotes.
            const what = c.clientSaw.slice('icmp '.length);
            expect(json.troubles.some((t) => t.kind === 'icmp-unreachable' && t.connection === conn.id && t.text.includes(what)), `${c.id}: ${what}`).toBe(true);
          }
          if (c.clientSaw === 'no answer') expect(conn.tcp?.state, c.id).toBe('syn-unanswered');
        }
      });

      it('lines up the captures into the hops the kernel recorded, in order', async () => {
        const { json } = await explained();
        for (const c of expected.connections) {
          const { journey } = journeyOf(json, c);
          const ours = journey.sightings
            .filter((s) => !s.file.endsWith('__any.pcap'))
            .map((s) => ({
              at: s.at,
              interface: s.interface,
              src: s.packet.src,
              dst: s.packet.dst,
              sport: s.packet.sport,
              dport: s.packet.dport,
              capture: s.file.replace(`${join(samplesDir, scenario)}/`, ''),
              frame: s.frame,
              ...(s.outer ? { outer: { src: s.outer.src, dst: s.outer.dst, sport: s.outer.sport, dport: s.outer.dport, vni: s.outer.vni } } : {}),
              ...(c.proto === 'udp' ? { length: s.length, df: s.df, fragments: s.fragments } : {}),
            }));
          const recorded = c.sightings.map((s) => ({
            at: s.at,
            interface: s.interface,
            src: s.src,
            dst: s.dst,
            sport: s.sport,
            dport: s.dport,
            capture: s.capture,
            frame: s.frame,
            ...(s.outer ? { outer: { src: s.outer.src, dst: s.outer.dst, sport: s.outer.sport, dport: s.outer.dport, vni: s.outer.vni } } : {}),
            // The datagram's size, DF bit and fragments there, as tshark read them.
            ...(c.proto === 'udp' ? { length: s.length, df: s.df, fragments: s.fragments } : {}),
          }));
          expect(ours, c.id).toEqual(recorded);
          // Hops of one journey, not retransmissions.
          expect(journey.sightings.every((s) => s.repeats === 0) || c.outcome !== 'delivered', c.id).toBe(true);
        }
      });

      it('explains the tunnels with the VTEPs, VNI and port of the lab', async () => {
        const { json } = await explained();
        const outers = expected.connections.flatMap((c) => c.sightings.filter((s) => s.outer).map((s) => s.outer!));
        for (const outer of outers) {
          const from = expected.nodes.find((n) => n.underlay === outer.src)!;
          const to = expected.nodes.find((n) => n.underlay === outer.dst)!;
          const vtep = expected.vteps.find((v) => v.node === to.name)!;
          const tunnel = json.tunnels.find((t) => t.from.ip === outer.src && t.to.ip === outer.dst && t.vni === outer.vni);
          expect(tunnel, `tunnel ${outer.src} → ${outer.dst}`).toBeDefined();
          expect(tunnel!.port).toBe(outer.dport);
          expect(tunnel!.device).toBe(vtep.device);
          expect(tunnel!.text).toContain(`VXLAN VNI ${outer.vni} from ${from.name} (${from.underlay}) to ${to.name} (${to.underlay}) on ${outer.dport}`);
        }
      });

      it('agrees with the model for delivered connections, and for the others points at the hop where the packet stops and the cause', async () => {
        const { json, status } = await explained();
        let faults = 0;
        for (const c of expected.connections) {
          const { journey } = journeyOf(json, c);
          if (c.outcome === 'delivered') {
            expect(journey.verdict, `${c.id}: ${journey.text.join(' / ')}`).toBe('agrees');
            expect(journey.model?.source, c.id).toBe('trace');
            expect(journey.model?.hops.filter((h) => h.check === 'missing'), c.id).toEqual([]);
            continue;
          }
          faults++;
          const last = c.sightings[c.sightings.length - 1]!;
          // The client was told (the lab's 'rejected': an ICMP error or RST came back): rejected, not lost (issue 14, 15).
          expect(journey.verdict, c.id).toBe(c.outcome === 'rejected' ? 'rejected' : 'lost');
          if (c.answer) expectRecordedAnswer(json, journey, c);
          expect(journey.lostAfter, c.id).toEqual({ at: last.at, interface: last.interface });
          // The dumps are the broken cluster's: the trace beside the captures must stop where the kernel did.
          expect(journey.model?.source, c.id).toBe('trace');
          expect(journey.predicted, `${c.id}: ${journey.text.join(' / ')}`).toBe(true);
          expect(c.sightings.some((s) => s.at === journey.missingAt?.at && s.interface === journey.missingAt?.interface), c.id).toBe(false);
          const cause = recordedCause(expected, c);
          expect(cause, `${c.id}: the lab's records name a cause`).toBeDefined();
          expect(journey.cause?.kind, `${c.id}: ${journey.cause?.text}`).toBe(cause!.kind);
          expect(journey.cause?.node, c.id).toBe(cause!.node);
          for (const mention of cause!.mentions) expect(journey.cause?.text, c.id).toContain(mention);
        }
        expect(status).toBe(faults > 0 || json.troubles.some((t) => t.kind === 'syn-unanswered') ? 1 : 0);
      });
    });
  }
});

// The user's own captures: Flannel's 8472 capture taken on worker-2, Calico's 4789 capture on the
// underlay between worker-1 and worker-2. Each is explained alone, with its scenario's dumps.
const SEEDS = [
  { scenario: 'seed-flannel', capture: 'worker-2__eth0.pcap', overlay: "Flannel's overlay (flannel.1)" },
  { scenario: 'seed-calico', capture: 'worker-2__eth0.pcap', overlay: "Calico's VXLAN overlay (vxlan.calico)" },
];

describe("the user's seed captures, alone", () => {
  for (const seed of SEEDS) {
    it(`${seed.scenario}: ${seed.capture} in cluster terms (tunnel, pods, HTTP)`, async () => {
      const e = JSON.parse(read(seed.scenario, 'expected.json')) as Expected;
      const result = await runPodpath(['explain', `samples/${seed.scenario}/captures/${seed.capture}`, `samples/${seed.scenario}`]);
      // The direct pod-to-pod connection, as the lab recorded it on this capture.
      const direct = e.connections.find((c) => !c.service && c.sightings.some((s) => s.capture === `captures/${seed.capture}` && s.outer))!;
      const at = direct.sightings.find((s) => s.capture === `captures/${seed.capture}`)!;
      const from = e.nodes.find((n) => n.underlay === at.outer!.src)!;
      const to = e.nodes.find((n) => n.underlay === at.outer!.dst)!;
      const client = e.pods.find((p) => p.ip === at.src)!;
      const server = e.pods.find((p) => p.ip === at.dst)!;
      expect(result.stdout).toContain(
        `VXLAN VNI ${at.outer!.vni} from ${from.name} (${from.underlay}) to ${to.name} (${to.underlay}) on ${at.outer!.dport}: ${seed.overlay}, carrying ${client.name} → ${server.name}:${at.dport}`,
      );
      expect(result.stdout).toContain(`TCP ${client.name} (${client.ip}:${at.sport}) → ${server.name} (${server.ip}:${at.dport})`);
      const requests = tsharkFields(join(samplesDir, seed.scenario, 'captures', seed.capture), ['frame.number', 'http.request.method', 'http.request.uri', 'tcp.srcport'], ['-d', `udp.port==${at.outer!.dport},vxlan`, '-Y', 'http.request']);
      const mine = requests.find((r) => innermost(r[3]) === String(at.sport))!;
      expect(result.stdout).toContain(`HTTP ${mine[1]} ${mine[2]}`);
    });
  }
});

// The same checks without the tracer (`--no-trace`): the journeys set beside the dumps alone,
// in process (no CLI spawn) to stay fast.
describe('without the tracer, beside the dumps alone', () => {
  for (const scenario of scenarios) {
    if (EXPLAIN_WITHOUT_TRACE_GAPS[scenario]) {
      it.todo(`${scenario}: ${EXPLAIN_WITHOUT_TRACE_GAPS[scenario]}`);
      continue;
    }
    it(`${scenario}: delivered connections agree, lost ones stop at the recorded hop with the recorded cause`, async () => {
      const { explainFiles } = await import('../../src/explain/index.ts');
      const { loadTopology } = await import('../../src/topology/load.ts');
      const expected = onTheWire(JSON.parse(read(scenario, 'expected.json')) as Expected);
      const dir = join(samplesDir, scenario);
      const captures = readdirSync(join(dir, 'captures')).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, 'captures', f));
      const json = await explainFiles(captures, await loadTopology([dir]));
      for (const c of expected.connections) {
        const { journey } = journeyOf(json, c);
        expect(journey.model?.source, c.id).toBe('dumps');
        if (c.outcome === 'delivered') {
          expect(journey.verdict, `${c.id}: ${journey.text.join(' / ')}`).toBe('agrees');
          continue;
        }
        const last = c.sightings[c.sightings.length - 1]!;
        const cause = recordedCause(expected, c)!;
        expect(journey.verdict, c.id).toBe(c.outcome === 'rejected' ? 'rejected' : 'lost');
        if (c.answer) expectRecordedAnswer(json, journey, c);
        expect(journey.lostAfter, c.id).toEqual({ at: last.at, interface: last.interface });
        expect(journey.cause?.kind, c.id).toBe(cause.kind);
        expect(journey.cause?.node, c.id).toBe(cause.node);
      }
    });
  }
});

// `tcpdump -i any` sees a forwarded SYN once per interface it crosses: copies, not retransmissions.
describe('tcpdump -i any captures', () => {
  for (const scenario of scenarios) {
    if (EXPLAIN_GAPS[scenario]) {
      it.todo(`${scenario}: ${EXPLAIN_GAPS[scenario]}`);
      continue;
    }
    const dir = join(samplesDir, scenario, 'captures');
    const expected = JSON.parse(read(scenario, 'expected.json')) as Expected;
    const anyCaptures = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('__any.pcap')) : [];
    for (const capture of anyCaptures) {
      const node = capture.replace('__any.pcap', '');
      // Delivered TCP connections whose SYN the lab saw on more than one interface of this node (a
      // datagram has no sequence number to count copies by; the lines-up test covers UDP hops).
      const crossing = expected.connections.filter((c) => c.proto !== 'udp' && c.outcome === 'delivered' && c.sightings.filter((s) => s.at === node).length > 1);
      if (crossing.length === 0) continue; // a fault scenario: no SYN crosses this node
      it(`${scenario}/${capture}: a SYN seen on several interfaces is one SYN, not retransmissions`, async () => {
        const { explainFiles } = await import('../../src/explain/index.ts');
        const file = join(dir, capture);
        const json = await explainFiles([file]);
        const vxlan = ['-d', 'udp.port==8472,vxlan'];
        for (const c of crossing) {
          const first = c.sightings[0]!;
          // The SYN's ISN, read by tshark from the first capture that saw it, counted here by tshark.
          const isn = tsharkFields(join(samplesDir, scenario, first.capture), ['tcp.seq_raw'], [...vxlan, '-Y', `frame.number==${first.frame}`])[0]![0]!;
          const copies = tsharkFields(file, ['frame.number'], [...vxlan, '-Y', `tcp.flags.syn==1 && tcp.flags.ack==0 && tcp.seq_raw==${innermost(isn)}`]);
          expect(copies.length, c.id).toBe(c.sightings.filter((s) => s.at === node).length);
          const conn = json.connections.find((x) => x.tcp?.isn === Number(innermost(isn)));
          expect(conn, c.id).toBeDefined();
          expect(conn!.tcp?.syns, c.id).toBe(1);
          expect(conn!.tcp?.synRetransmissions, c.id).toBe(0);
          const sightings = json.journeys.find((j) => j.connection === conn!.id)!.sightings;
          expect(sightings.every((s) => s.repeats === 0), c.id).toBe(true);
          // Every copy is accounted for: a first sighting per view (before and after NAT), the rest as copies.
          expect(conn!.views.reduce((n, v) => n + v.copies, 0) + sightings.length, c.id).toBeGreaterThanOrEqual(copies.length);
        }
      });
    }
  }
});

// The command itself on each fault scenario: exit status 1 and the cause in the text, as the lab recorded it.
describe('podpath explain (CLI) on the fault scenarios', () => {
  for (const [index, scenario] of scenarios.filter((s) => s.startsWith('fault-')).entries()) {
    // One of them without the tracer, so `--no-trace` is exercised end to end too.
    const noTrace = index === 0;
    it(`${scenario}: exit 1, the hop and the cause in the text${noTrace ? ' (--no-trace)' : ''}`, async () => {
      const expected = JSON.parse(read(scenario, 'expected.json')) as Expected;
      const dir = join('samples', scenario);
      const captures = readdirSync(join(repoRoot, dir, 'captures')).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, 'captures', f));
      const result = await runPodpath(['explain', ...captures, dir, ...(noTrace ? ['--no-trace'] : [])]);
      expect(result.stdout.includes('trace (')).toBe(!noTrace);
      expect(result.status).toBe(1);
      for (const c of expected.connections.filter((x) => x.outcome !== 'delivered')) {
        const last = c.sightings[c.sightings.length - 1]!;
        expect(result.stdout).toContain(`was last seen on ${last.at} ${last.interface} (${last.src}:${last.sport} → ${last.dst}:${last.dport})`);
        for (const mention of recordedCause(expected, c)!.mentions) expect(result.stdout).toContain(mention);
      }
    });
  }
});

// The lab's answers from the network, through the command itself: host unreachable after the
// ARP timeout (arp-unanswered, from the VIP where conntrack reverses the DNAT) and fragmentation
// needed (mtu-overlay), in the text and in --json. Expected: the lab's expected.json (the kernel's
// answer as tshark read it in each capture), never podpath's output.
describe('podpath explain (CLI): what the client was told', () => {
  for (const scenario of ['arp-unanswered', 'mtu-overlay'].filter((s) => scenarios.includes(s))) {
    it(`${scenario}: the ICMP error the lab captured at the client, in the text and in --json`, async () => {
      const expected = onTheWire(JSON.parse(read(scenario, 'expected.json')) as Expected);
      const dir = join('samples', scenario);
      const captures = readdirSync(join(repoRoot, dir, 'captures')).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, 'captures', f));
      const [text, asJson] = await Promise.all([runPodpath(['explain', ...captures, dir]), runPodpath(['explain', '--json', ...captures, dir])]);
      expect(text.status).toBe(1);
      expect(asJson.status).toBe(1);
      const json = JSON.parse(asJson.stdout) as Explanation;
      const told = expected.connections.filter((c) => c.answer);
      expect(told.length).toBeGreaterThan(0);
      for (const c of told) {
        const { journey } = journeyOf(json, c);
        expect(journey.verdict, c.id).toBe('rejected');
        expectRecordedAnswer(json, journey, c);
        const first = c.sightings[0]!;
        const near = c.answer!.sightings.find((s) => s.capture === first.capture)!;
        const words = secondsBetween(first.time, near.time) >= 3 ? `${c.clientSaw} after the ARP timeout` : c.clientSaw;
        // "c2: the SYN, rejected: icmp host unreachable after the ARP timeout", and where it came from.
        expect(text.stdout, c.id).toContain(`${journey.connection}: the ${journey.firstPacket}, rejected: ${words}\n`);
        expect(text.stdout, c.id).toContain(`the client got ${words} from ${c.answer!.src}`);
        expect(text.stdout, c.id).toContain(`(frame ${near.frame} of ${join(dir, near.capture)})`);
        expect(text.stdout, c.id).toContain(`${journey.connection} rejected (${words})`);
        expect(text.stdout, c.id).not.toMatch(new RegExp(`^  ${journey.connection}: the \\S+( datagram)?, (lost|agrees)`, 'm'));
        // The connection's own line says so too, not "no reply" or "no TCP answer to the SYN".
        const line = text.stdout.split('\n').find((l) => l.startsWith(`  ${journey.connection}  `));
        expect(line, c.id).toContain(`${c.proto === 'udp' ? 'rejected: ' : 'SYN answered only by '}${c.clientSaw} from ${c.answer!.src}`);
        expect(json.connections.find((x) => x.id === journey.connection)?.summary, c.id).toBe(line!.slice(`  ${journey.connection}  `.length));
      }
    }, 60_000);
  }
});

// The user's own pasted dumps (the seed document's transcript, partial: worker-2 shows only `ip r`)
// with the lab's worker-2 capture: connections the server answered are never called lost.
const seedText = `${corpusDir}/seed/000-networking-section.txt`;
describe("the user's pasted transcript as the dumps", () => {
  it('names the nodes from the transcript and calls no answered connection lost', async () => {
    const capture = 'samples/seed-flannel/captures/worker-2__eth0.pcap';
    // The document holds two clusters' worker-1 and pod1 (Flannel's and Calico's): --merge reads them as one, as the user pasted them.
    const result = await runPodpath(['explain', '--json', '--merge', capture, seedText]);
    const json = JSON.parse(result.stdout) as Explanation;
    // "root@worker-2(10.74.107.62):/ $ …" and "10.74.107.0/24 dev eth0 proto kernel scope link src 10.74.107.63" in worker-1's `ip r`.
    const text = readFileSync(seedText, 'utf8');
    const worker2 = /root@worker-2\((\d+\.\d+\.\d+\.\d+)\)/.exec(text)![1]!;
    expect(json.addresses.find((a) => a.ip === worker2)).toMatchObject({ kind: 'node', name: 'worker-2' });
    const synAcks = tsharkFields(join(repoRoot, capture), ['tcp.dstport'], ['-d', 'udp.port==8472,vxlan', '-Y', 'tcp.flags.syn==1 && tcp.flags.ack==1']).map((r) => Number(innermost(r[0])));
    expect(synAcks.length).toBeGreaterThan(0);
    for (const c of json.connections.filter((x) => synAcks.includes(x.client.port ?? -1))) {
      expect(json.journeys.find((j) => j.connection === c.id)?.verdict, c.summary).not.toBe('lost');
    }
    expect(result.status).toBe(0);
  });
});

// Captures and dumps that do not belong together: the healthy cluster's captures (placed with
// --at, renamed) beside the FDB fault's dumps. The SYNs got through, so the explainer must say
// the dumps disagree with the captures, not invent a loss.
describe('captures beside dumps of another time', () => {
  it('--at places renamed captures; a loss the dumps foresee but the captures contradict is a disagreement without a cause', async () => {
    const healthy = JSON.parse(read('seed-flannel', 'expected.json')) as Expected;
    const tmp = mkdtempSync(join(tmpdir(), 'podpath-at-'));
    const places = [['worker-1', 'flannel.1'], ['worker-1', 'eth0']] as const;
    const args: string[] = [];
    for (const [at, iface] of places) {
      const copy = join(tmp, `capture-${iface}.pcap`);
      copyFileSync(join(samplesDir, 'seed-flannel', 'captures', `${at}__${iface}.pcap`), copy);
      args.push(copy, '--at', `${copy}=${at}:${iface}`);
    }
    const result = await runPodpath(['explain', '--json', ...args, 'samples/fault-fdb-missing']);
    const json = JSON.parse(result.stdout) as Explanation;
    const crossing = healthy.connections.filter((c) => c.clientSaw === 'connected' && c.sightings.some((s) => s.at === 'worker-1' && s.interface === 'flannel.1'));
    expect(crossing.length).toBeGreaterThan(0);
    for (const c of crossing) {
      const sport = c.sightings[0]!.sport;
      const conn = json.connections.find((x) => x.client.port === sport)!;
      const journey = json.journeys.find((j) => j.connection === conn.id)!;
      expect(journey.sightings.map((s) => `${s.at}:${s.interface}`)).toEqual(places.map(([at, iface]) => `${at}:${iface}`));
      expect(journey.verdict, c.id).toBe('disagrees');
      expect(journey.cause, c.id).toBeUndefined();
    }
    expect(result.status).toBe(1);
  });
});

// A reply lost on the way back, made from the healthy Flannel recording by deleting (editcap)
// the SYN-ACK of one connection from the captures on worker-1 past its eth0, as if worker-1
// had dropped it after it arrived from worker-2. The frames come from tshark.
describe('a reply lost on the way back', () => {
  it('follows the SYN-ACK back and names the hop where it stops', async () => {
    const e = JSON.parse(read('seed-flannel', 'expected.json')) as Expected;
    const direct = e.connections.find((c) => c.id === 'pod1-to-pod2') ?? e.connections[0]!;
    const sport = direct.sightings[0]!.sport!;
    const src = join(samplesDir, 'seed-flannel', 'captures');
    const tmp = mkdtempSync(join(tmpdir(), 'podpath-reply-'));
    const dropped = ['worker-1__flannel.1.pcap', 'worker-1__cni0.pcap', 'worker-1__veth6b3caf45.pcap', 'pod1__eth0.pcap'];
    for (const name of readdirSync(src).filter((f) => f.endsWith('.pcap'))) {
      const frames = dropped.includes(name)
        ? tsharkFields(join(src, name), ['frame.number'], ['-d', 'udp.port==8472,vxlan', '-Y', `tcp.flags.syn==1 && tcp.flags.ack==1 && tcp.dstport==${sport}`]).map((r) => r[0]!)
        : [];
      if (dropped.includes(name)) expect(frames, name).toHaveLength(1);
      oracle('editcap', [join(src, name), join(tmp, name), ...frames], { writes: join(tmp, name) });
    }
    const { explainFiles } = await import('../../src/explain/index.ts');
    const { loadTopology } = await import('../../src/topology/load.ts');
    const { tracerFunction } = await import('../../src/explain/links.ts');
    const files = readdirSync(tmp).map((f) => join(tmp, f));
    const json = await explainFiles(files, await loadTopology([join(samplesDir, 'seed-flannel')]), { trace: await tracerFunction() });
    const conn = json.connections.find((c) => c.client.port === sport)!;
    const journey = json.journeys.find((j) => j.connection === conn.id)!;
    expect(journey.verdict).toBe('agrees'); // the SYN itself went all the way
    expect(journey.reply?.lostAfter).toEqual({ at: 'worker-1', interface: 'eth0' });
    expect(journey.reply?.missingAt).toEqual({ at: 'worker-1', interface: 'flannel.1' });
    expect(json.faultFound).toBe(true);
    // The other connections kept their answers.
    for (const other of json.journeys.filter((j) => j.connection !== conn.id)) expect(other.reply, other.connection).toBeUndefined();
  });
});

// Two nodes' clocks are never quite equal. With worker-2's captures shifted 10 ms into the past
// (editcap -t), its sightings of a SYN would come "before" worker-1's by time alone; the
// journey must still follow the packet's way, in the lab's recorded order.
describe('clock skew between nodes', () => {
  it("keeps the recorded hop order when worker-2's clock runs 10 ms behind", async () => {
    const e = JSON.parse(read('seed-flannel', 'expected.json')) as Expected;
    const src = join(samplesDir, 'seed-flannel', 'captures');
    const tmp = mkdtempSync(join(tmpdir(), 'podpath-skew-'));
    const onWorker2 = new Set(['worker-2', ...e.pods.filter((p) => p.node === 'worker-2').map((p) => p.name)]);
    for (const name of readdirSync(src).filter((f) => f.endsWith('.pcap'))) {
      const shift = onWorker2.has(name.split('__')[0]!) ? ['-t', '-0.01'] : [];
      oracle('editcap', [...shift, join(src, name), join(tmp, name)], { writes: join(tmp, name) });
    }
    const { explainFiles } = await import('../../src/explain/index.ts');
    const { loadTopology } = await import('../../src/topology/load.ts');
    const json = await explainFiles(readdirSync(tmp).map((f) => join(tmp, f)), await loadTopology([join(samplesDir, 'seed-flannel')]));
    for (const c of e.connections) {
      const { journey } = journeyOf(json, c);
      const ours = journey.sightings.filter((s) => !s.file.endsWith('__any.pcap')).map((s) => `${s.at}:${s.interface}`);
      expect(ours, c.id).toEqual(c.sightings.map((s) => `${s.at}:${s.interface}`));
    }
  });
});

// `dumpcap -i cni0 -i flannel.1 -i eth0 -w worker-1.pcapng` on a node: one file, several
// interfaces named inside it. Built here from the lab's worker-1 captures; tshark confirms the
// names; placed with --at FILE=worker-1, each interface is a hop of its own.
describe('a multi-interface pcapng', () => {
  it('splits the file by interface name and lines its interfaces up as hops', async () => {
    const { buildPcapng } = await import('./pcapng.ts');
    const e = JSON.parse(read('seed-flannel', 'expected.json')) as Expected;
    const src = join(samplesDir, 'seed-flannel', 'captures');
    const ifaces = ['cni0', 'flannel.1', 'eth0'];
    const merged = join(mkdtempSync(join(tmpdir(), 'podpath-pcapng-')), 'worker-1.pcapng');
    writeFileSync(merged, buildPcapng(ifaces.map((name) => ({ file: join(src, `worker-1__${name}.pcap`), name }))));
    const names = new Set(tsharkFields(merged, ['frame.interface_name']).map((r) => r[0]));
    expect([...names].sort()).toEqual([...ifaces].sort());
    const others = readdirSync(src).filter((f) => f.endsWith('.pcap') && !ifaces.some((i) => f === `worker-1__${i}.pcap`)).map((f) => join(src, f));
    const { explainFiles } = await import('../../src/explain/index.ts');
    const { loadTopology } = await import('../../src/topology/load.ts');
    const json = await explainFiles([merged, ...others], await loadTopology([join(samplesDir, 'seed-flannel')]), { locations: { [merged]: { at: 'worker-1' } } });
    expect(json.captures.filter((c) => c.file === merged).map((c) => `${c.at}:${c.interface}`).sort()).toEqual(ifaces.map((i) => `worker-1:${i}`).sort());
    for (const c of e.connections) {
      const { journey } = journeyOf(json, c);
      expect(journey.sightings.filter((s) => !s.file.endsWith('__any.pcap')).map((s) => `${s.at}:${s.interface}`), c.id).toEqual(c.sightings.map((s) => `${s.at}:${s.interface}`));
      if (c.outcome === 'delivered') expect(journey.verdict, c.id).toBe('agrees');
    }
  });
});

// `tcpdump -i any` alone on a node: Linux cooked v2 gives each packet's ifindex, which the node's
// `ip link` names. The one capture must show the SYN at the same interfaces of that node, with
// the same addresses and outer headers, in the same order as the lab's per-interface captures.
describe('a tcpdump -i any capture alone', () => {
  for (const scenario of scenarios) {
    const dir = join(samplesDir, scenario, 'captures');
    const expected = JSON.parse(read(scenario, 'expected.json')) as Expected;
    for (const capture of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('__any.pcap')) : []) {
      const node = capture.replace('__any.pcap', '');
      const seenHere = expected.connections.filter((c) => c.sightings.some((s) => s.at === node));
      if (seenHere.length === 0) continue; // nothing reached this node in this scenario
      it(`${scenario}/${capture}: one place per interface, the recorded hops of ${node}`, async () => {
        const { explainFiles } = await import('../../src/explain/index.ts');
        const { loadTopology } = await import('../../src/topology/load.ts');
        const json = await explainFiles([join(dir, capture)], await loadTopology([join(samplesDir, scenario)]));
        expect(json.captures.every((c) => c.fromAny && c.interface !== 'any')).toBe(true);
        for (const c of seenHere) {
          const recorded = c.sightings.filter((s) => s.at === node);
          const first = recorded[0]!;
          const conn = json.connections.find((x) => x.views.some((v) => v.client.ip === first.src && v.client.port === first.sport))!;
          expect(conn, c.id).toBeDefined();
          const ours = json.journeys.find((j) => j.connection === conn.id)!.sightings.map((s) => ({
            at: s.at, interface: s.interface, src: s.packet.src, dst: s.packet.dst, sport: s.packet.sport, dport: s.packet.dport,
            ...(s.outer ? { outer: { src: s.outer.src, dst: s.outer.dst, dport: s.outer.dport, vni: s.outer.vni } } : {}),
          }));
          expect(ours, c.id).toEqual(recorded.map((s) => ({
            at: s.at, interface: s.interface, src: s.src, dst: s.dst, sport: s.sport, dport: s.dport,
            ...(s.outer ? { outer: { src: s.outer.src, dst: s.outer.dst, dport: s.outer.dport, vni: s.outer.vni } } : {}),
          })));
        }
      });
    }
  }
});
