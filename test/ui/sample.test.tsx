// The UI on the user's Flannel sample with the real loader, tracer and decoder
// (ink-testing-library, 100 columns). Expected text comes from the lab's
// expected.json and from tshark, not from podpath.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oracle } from '../helpers/oracle.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import { loadTopology } from '../../src/topology/load.ts';
import type { Topology } from '../../src/topology/model.ts';
import { traceQuery } from '../../src/trace/trace.ts';
import type { TraceResult } from '../../src/trace/model.ts';
import * as decoder from '../../src/decode/index.ts';
import { App, type AppProps } from '../../src/ui/App.tsx';
import { captureStarter, workerCaptureStarter } from '../../src/ui/capture/start.ts';
import { PathPicker } from '../../src/ui/components/Overlays.tsx';
import { drawTopology } from '../../src/ui/diagram.ts';
import { makeTheme } from '../../src/ui/theme.ts';
import { inputWarnings } from '../../src/ui/warnings.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { KEY, frameWhere } from './helpers.ts';

const sample = join(repoRoot, 'samples', 'seed-flannel');
const expected = JSON.parse(readFileSync(join(sample, 'expected.json'), 'utf8')) as {
  nodes: { name: string; underlay: string }[];
  pods: { name: string; node: string; ip: string; hostInterface: string }[];
  vteps: { node: string; device: string; vni: number; port: number; local: string }[];
  connections: {
    id: string;
    from: string;
    to: string;
    outcome: string;
    endpoint: string;
    client: { command: string };
    sightings: { at: string; interface: string; sport: number }[];
    netfilter: { node: string; table: string; chain: string; rule: string | null }[];
  }[];
};
const connection = expected.connections.find((c) => c.id === 'pod1-to-web')!;
const dnatRule = connection.netfilter.find((n) => n.rule?.includes(' -j DNAT '))!.rule!;

let topology: Topology;
let trace: TraceResult;
beforeAll(async () => {
  topology = await loadTopology([sample]);
  trace = traceQuery(topology, { from: connection.from, to: connection.to, sport: connection.sightings[0]!.sport });
});
afterEach(() => cleanup());

const app = (props: Partial<AppProps> = {}) =>
  render(<App trace={trace} topology={topology} warnings={inputWarnings(topology, trace)} theme={makeTheme({ NO_COLOR: '1' })} {...props} />);

describe('podpath ui on samples/seed-flannel', () => {
  it('lists the hops the kernel saw, first to last, and how the path ends', async () => {
    const ui = app();
    const first = connection.sightings[0]!;
    const last = connection.sightings.at(-1)!;
    const opened = await frameWhere(ui.lastFrame, (f) => f.includes(`Trace · ${connection.sightings.length} hops`));
    expect(opened).toMatch(new RegExp(`›\\s*1 ${first.at} ${first.interface}`));
    expect(opened).toContain(`${connection.outcome.toUpperCase()} via ${connection.endpoint}`);
    ui.stdin.write('G');
    await frameWhere(ui.lastFrame, (f) => new RegExp(`›\\s*${connection.sightings.length} ${last.at} ${last.interface}`).test(f));
  });

  it('offers a path per endpoint of a service with several, with the share each gets', async () => {
    const spread = expected.connections.find((c) => c.id === 'pod1-to-spread-1')!;
    const service = (expected as unknown as { services: { clusterIP: string; port: number; endpoints: { ip: string; port: number; probability: number }[] }[] }).services.find(
      (s) => spread.to.startsWith(`${s.clusterIP}:${s.port}`),
    )!;
    const spreadTrace = traceQuery(topology, { from: spread.from, to: spread.to });
    const ui = app({ trace: spreadTrace });
    await frameWhere(ui.lastFrame, (f) => f.includes('podpath'));
    ui.stdin.write('p');
    const picker = await frameWhere(ui.lastFrame, (f) => f.includes('Choose a path'));
    // Each endpoint beside the pod the lab put at its address (its dumps' folder name; no kubectl file, so no namespace).
    for (const endpoint of service.endpoints) {
      const pod = expected.pods.find((p) => p.ip === endpoint.ip)!.name;
      expect(picker).toContain(`${endpoint.ip}:${endpoint.port} ${pod}  ${Math.round(endpoint.probability * 100)}%`);
    }
    // Both endpoints the lab's connections reached end delivered.
    for (const id of ['pod1-to-spread-1', 'pod1-to-spread-2']) {
      const c = expected.connections.find((x) => x.id === id)!;
      expect(picker).toMatch(new RegExp(`${c.endpoint.replace(/\./g, '\\.')} \\S+\\s+\\d+%\\s+${c.outcome}`));
    }
  });

  it('names the endpoint pod namespace/name as kubectl get pods lists it', async () => {
    const dir = join(repoRoot, 'samples', 'calico-policy');
    const record = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as typeof expected;
    const viaService = record.connections.find((c) => c.id === 'pod1-to-web-service-allowed')!;
    // The row of kubectl-get-pods.txt (NAMESPACE NAME … IP …) whose IP is the endpoint kube-proxy chose.
    const [head, ...lines] = readFileSync(join(dir, 'kubectl-get-pods.txt'), 'utf8').trim().split('\n');
    const column = (name: string) => head!.split(/\s+/).indexOf(name);
    const endpointIp = viaService.endpoint.split(':')[0];
    const row = lines.map((l) => l.split(/\s+/)).find((cells) => cells[column('IP')] === endpointIp)!;
    const calico = await loadTopology([dir]);
    const picked = traceQuery(calico, { from: viaService.from, to: viaService.to });
    const ui = render(<PathPicker paths={picked.paths} topology={calico} index={0} current={0} theme={makeTheme({ NO_COLOR: '1' })} width={96} height={10} />);
    const frame = await frameWhere(ui.lastFrame, (f) => f.includes('1. '));
    expect(frame).toContain(`1. ${viaService.endpoint} ${row[column('NAMESPACE')]}/${row[column('NAME')]}  100%  ${viaService.outcome}`);
  });

  it('shows a rejected connection in the ending line', async () => {
    const empty = expected.connections.find((c) => c.id === 'pod1-to-empty')!;
    const ui = app({ trace: traceQuery(topology, { from: empty.from, to: empty.to }) });
    const f = await frameWhere(ui.lastFrame, (x) => x.includes('podpath'));
    // The ending, and what the lab's client saw, as the tracer predicts it.
    const clientSaw = (empty as unknown as { clientSaw: string }).clientSaw;
    expect(f).toMatch(new RegExp(`^${empty.outcome.toUpperCase()} · client sees: ${clientSaw}: `, 'm'));
  });

  it('draws every node, pod and VTEP of the sample in the topology pane', () => {
    const text = drawTopology(topology, 98).map((line) => line.map((s) => s.text).join('')).join('\n');
    for (const node of expected.nodes) expect(text).toContain(`┌─ ${node.name} ${node.underlay}`);
    for (const pod of expected.pods) {
      expect(text).toContain(`${pod.hostInterface} ─ ${pod.name}`);
      expect(text).toContain(`eth0 ${pod.ip}`);
    }
    const [a, b] = expected.vteps;
    expect(text).toContain(`${a!.node} ${a!.device} ${a!.local} ══ VNI ${a!.vni} udp/${a!.port} ══ ${b!.node} ${b!.device} ${b!.local}`);
  });

  // `podpath ui` streams on a thread of its own (src/ui/capture/worker.ts); the tests can also stream on the UI's.
  it.each(['worker', 'in-process'] as const)('marks the traced connection in the worker-2 capture as tshark counts it (streamer %s)', async (mode) => {
    const file = join(sample, 'captures', 'worker-2__eth0.pcap');
    const sport = connection.sightings[0]!.sport;
    const tsharkCount = (filter?: string) =>
      oracle('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', ...(filter ? ['-Y', filter] : []), '-T', 'fields', '-e', 'frame.number'])
        .trim()
        .split('\n').length;
    const startCapture = mode === 'worker' ? workerCaptureStarter([file], topology, trace) : captureStarter([file], topology, trace, decoder);
    const ui = app({ startCapture });
    await frameWhere(ui.lastFrame, (f) => f.includes('podpath'));
    ui.stdin.write('4');
    const f = await frameWhere(ui.lastFrame, (x) => x.includes('read to the end'));
    expect(f).toContain(`${tsharkCount()} packets, ● ${tsharkCount(`tcp.port==${sport}`)} of the traced connection`);
    ui.stdin.write(KEY.enter);
    await frameWhere(ui.lastFrame, (x) => x.includes('0000  '));
  });

  it('prints the text trace instead of the UI when stdout is not a terminal', async () => {
    const result = await runPodpath(['ui', sample, '--from', connection.from, '--to', connection.to]);
    expect(result.status).toBe(connection.outcome === 'delivered' ? 0 : 1);
    expect(result.stdout).toContain(dnatRule);
    expect(result.stdout).not.toMatch(/\u001B\[\?1049h/);
  });

  it('rejects a missing --to and a bad --sport with one line and status 2', async () => {
    const missing = await runPodpath(['ui', sample, '--from', 'pod1']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--to/);
    const bad = await runPodpath(['ui', sample, '--from', 'pod1', '--to', connection.to, '--sport', 'x']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const noCapture = await runPodpath(['ui', sample, '--from', 'pod1', '--to', connection.to, '--capture', 'no-such.pcap']);
    expect(noCapture.status).toBe(2);
    expect(noCapture.stderr.trim()).toBe('podpath: --capture no-such.pcap: no such file');
  });
});
