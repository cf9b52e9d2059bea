// Partial dumps: a node whose `ip neigh` / `bridge fdb show` / `ip -d link` were never given
// (as opposed to given and lacking the entry, a real fault) is traced through the overlay as
// flanneld/felix program it, from the peer VTEP the topology infers, and the trace says so.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPodpath } from '../helpers/run.ts';
import { seedFile } from '../helpers/shared.ts';
import { traceQuery } from '../../src/trace/trace.ts';
import type { Hop, TracePath, TraceResult } from '../../src/trace/model.ts';
import type { Topology, Vtep } from '../../src/topology/model.ts';
import { flannelTopology } from './fixtures.ts';

const seed = readFileSync(seedFile, 'utf8').split('\n');

/** `awk '/start/{f=1} /stop/{f=0} f'`: the seed's section from `start` up to (not including) `stop`. */
function section(start: string, stop?: string): string {
  const out: string[] = [];
  let on = false;
  for (const line of seed) {
    if (line.includes(start)) on = true;
    if (stop && line.includes(stop)) on = false;
    if (on) out.push(line);
  }
  return out.join('\n') + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'podpath-partial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function traceJson(file: string, from: string, to: string): Promise<TracePath> {
  const run = await runPodpath(['trace', file, '--from', from, '--to', to, '--json']);
  expect(run.stdout).not.toBe('');
  const result = JSON.parse(run.stdout) as TraceResult;
  expect(result.paths).toHaveLength(1);
  return result.paths[0]!;
}

const at = (hops: Hop[]) => hops.map((h) => `${h.at} ${h.interface}`);
const notes = (path: TracePath) => path.hops.flatMap((h) => h.steps).filter((s) => s.type === 'note' || s.type === 'neighbour').map((s) => s.explanation);

describe('the seed\'s Flannel section (worker-1 without ip neigh / bridge fdb show)', () => {
  const file = () => write('flannel.txt', section('4.2.1 Flannel', '4.2.2 Calico'));

  it('follows the overlay to worker-2 with the outer header of the user\'s capture, saying what it assumed', async () => {
    const path = await traceJson(file(), 'pod1', '192.168.2.12:80');
    // Expected outer header from the user's own capture on worker-2 (seed, Flannel section):
    //   "Frame 361: 192 bytes on wire ... Internet Protocol Version 4, Src: 10.74.107.63, Dst: 10.74.107.62 外层 IP
    //    User Datagram Protocol, Src Port: 35115, Dst Port: 8472 Virtual eXtensible Local Area Network"
    // The summary does not print the VNI; 1 is flanneld's default VNI (flannel's vxlan backend, VNI 1
    // unless configured), so the trace must call it assumed. The source port is a flow hash (not compared).
    const worker1Eth0 = path.hops.find((h) => h.at === 'worker-1' && h.interface === 'eth0');
    expect(worker1Eth0?.outer).toEqual({ src: '10.74.107.63', dst: '10.74.107.62', dport: 8472, vni: 1, encapsulation: 'vxlan' });
    expect(at(path.hops)).toEqual(expect.arrayContaining(['worker-1 flannel.1', 'worker-1 eth0', 'worker-2 eth0', 'worker-2 flannel.1']));
    const said = notes(path).join('\n');
    expect(said).toContain("worker-1's `ip neigh` was not given");
    expect(said).toContain("worker-1's `ip neigh show dev flannel.1` would confirm it");
    expect(said).toContain("worker-1's `bridge fdb show` was not given");
    expect(said).toContain('`bridge fdb show dev flannel.1` on worker-1 would confirm it');
    expect(said).toContain('flannel.1 is VXLAN with VNI 1 and UDP port 8472');
    // worker-2 was given only as `ip r` (192.168.2.0/24 dev cni0): it stops there, naming worker-2's dumps.
    expect(path.disposition).toBe('insufficient-info');
    expect(path.needs?.map((n) => `${n.command} on ${n.at}`)).toEqual(['ip addr on worker-2', 'ip -d link on worker-2', 'ip neigh on worker-2', 'bridge fdb show on worker-2', 'iptables-save on worker-2']);
    expect(path.reason).toContain("worker-2's route sends the packet out of cni0, but worker-2's `ip addr` and `ip -d link` were not given");
    expect(path.reason).not.toContain('the machine at 192.168.2.0');
    expect(path.reason).toContain('this path rests on assumptions');
    expect(path.reason).toContain("worker-1's neighbour entry for 192.168.2.0");
    expect(path.reason).toContain("worker-1's FDB entry for worker-2's VTEP → 10.74.107.62");
  });

  it('prints the outer header and the assumptions in the text output', async () => {
    const run = await runPodpath(['trace', file(), '--from', 'pod1', '--to', '192.168.2.12:80', '-v']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/worker-1 eth0 +192\.168\.1\.7 → 192\.168\.2\.12:80 tcp {2}outer 10\.74\.107\.63 → 10\.74\.107\.62:8472 VXLAN vni 1 udp/);
    expect(run.stdout).toMatch(/worker-2 eth0 +192\.168\.1\.7 → 192\.168\.2\.12:80 tcp {2}outer 10\.74\.107\.63 → 10\.74\.107\.62:8472 VXLAN vni 1 udp/);
    expect(run.stdout).toContain('INSUFFICIENT-INFO');
    expect(run.stdout).toContain('would settle it: `ip addr`, `ip -d link`, `ip neigh`, `bridge fdb show` and `iptables-save` on worker-2');
    expect(run.stdout).not.toContain('NEIGHBOUR-MISSING');
  });
});

describe('the seed\'s Calico section', () => {
  // From "4.2.2 Calico" to the next section (4.2.2.1): worker-1's ip l and ip r, pod1's dumps, Frame 54.
  const calico = () => section('4.2.2 Calico', '4.2.2.1');

  it('alone: no dump says which node serves 192.168.133.192/26, so it stops at vxlan.calico for want of dumps, not neighbour-unresolved', async () => {
    const path = await traceJson(write('calico.txt', calico()), 'pod1', '192.168.133.200:80');
    expect(path.disposition).toBe('insufficient-info');
    expect(path.needs?.map((n) => `${n.command} on ${n.at}`)).toEqual(['ip neigh on worker-1', 'bridge fdb show on worker-1', 'ip addr on the node that serves 192.168.133.192/26', 'ip -d link on the node that serves 192.168.133.192/26']);
    // The neighbour lookup comes before the device: the packet is last seen entering worker-1.
    expect(at(path.hops).at(-1)).toBe('worker-1 cali6abd5b4bbeb');
    expect(path.hops.at(-1)!.steps.find((s) => s.type === 'route')).toMatchObject({ outInterface: 'vxlan.calico', nextHop: '192.168.133.192' });
    expect(path.reason).toContain("worker-1's `ip neigh` and `bridge fdb show` were not given");
    expect(path.reason).toContain('the dumps of the node that serves 192.168.133.192/26');
  });

  it('with the peer node given: the outer header of the user\'s capture, VNI 4096 as Calico\'s default', async () => {
    // The seed has no dump of the Calico worker-2; only its capture (Frame 54) shows it:
    //   "Ethernet II, Src: VMware_82:6b:75 (00:50:56:82:6b:75), Dst: VMware_82:2a:53 (00:50:56:82:2a:53)
    //    Internet Protocol Version 4, Src: 10.74.107.72, Dst: 10.74.107.73
    //    User Datagram Protocol, Src Port: 59709, Dst Port: 4789
    //    Virtual eXtensible Local Area Network
    //    Ethernet II, Src: 66:93:7f:54:d5:53 (...), Dst: 66:e2:6c:ca:0c:ad (...)"
    // So this test adds a minimal worker-2 `ip a` / `ip r` built from that frame (eth0 10.74.107.73 with
    // MAC 00:50:56:82:2a:53; vxlan.calico with MAC 66:e2:6c:ca:0c:ad holding 192.168.133.192, the address
    // worker-1's route "192.168.133.192/26 via 192.168.133.192 dev vxlan.calico onlink" goes via; felix
    // gives the node's VXLAN device its block's tunnel address and a blackhole route for the block).
    const peer = [
      '(worker-2)$ ip a',
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
      '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '    inet 127.0.0.1/8 scope host lo',
      '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000',
      '    link/ether 00:50:56:82:2a:53 brd ff:ff:ff:ff:ff:ff',
      '    inet 10.74.107.73/24 brd 10.74.107.255 scope global eth0',
      '7: vxlan.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default',
      '    link/ether 66:e2:6c:ca:0c:ad brd ff:ff:ff:ff:ff:ff',
      '    inet 192.168.133.192/32 scope global vxlan.calico',
      '(worker-2)$ ip r',
      'default via 10.74.107.154 dev eth0 proto static',
      '10.74.107.0/24 dev eth0 proto kernel scope link src 10.74.107.73',
      'blackhole 192.168.133.192/26 proto 80',
      '',
    ].join('\n');
    const path = await traceJson(write('calico-peer.txt', calico() + peer), 'pod1', '192.168.133.200:80');
    const worker1Eth0 = path.hops.find((h) => h.at === 'worker-1' && h.interface === 'eth0');
    // Frame 54: 10.74.107.72 → 10.74.107.73, UDP 4789. VNI 4096 is Calico's default (no `ip -d link` in the seed).
    expect(worker1Eth0?.outer).toEqual({ src: '10.74.107.72', dst: '10.74.107.73', dport: 4789, vni: 4096, encapsulation: 'vxlan' });
    expect(at(path.hops)).toEqual(expect.arrayContaining(['worker-2 eth0', 'worker-2 vxlan.calico']));
    const said = notes(path).join('\n');
    expect(said).toContain('vxlan.calico is VXLAN with VNI 4096 and UDP port 4789');
    expect(said).toContain("worker-1's `ip -d link show vxlan.calico` was not given");
    expect(said).toContain("worker-1's `ip neigh` was not given");
    expect(said).toContain("worker-1's `bridge fdb show` was not given");
    // The inner frame's destination MAC the trace assumes is worker-2's vxlan.calico: Frame 54's inner Dst.
    const neighbour = path.hops.flatMap((h) => h.steps).find((s) => s.type === 'neighbour' && s.interface === 'vxlan.calico');
    expect(neighbour).toMatchObject({ result: 'assumed', mac: '66:e2:6c:ca:0c:ad' });
    expect(path.reason).toContain('this path rests on assumptions');
  });
});

// ---- units: absent versus present-but-lacking ----

/** The remote VTEP topology's inferRemotes adds for worker-1 without an FDB dump (mac '' as the inferred remotes of the seed have). */
function withInferredRemote(t: Topology): Topology {
  const vtep: Vtep = {
    node: 'worker-1', device: 'flannel.1', vni: 1, port: 8472, local: '10.74.107.63',
    remotes: [{ mac: '', dst: '10.74.107.62', node: 'worker-2', innerIP: '192.168.2.0', inferredFrom: 'fixture:1 (192.168.2.0/24 via 192.168.2.0 dev flannel.1; worker-2 serves 192.168.2.0/24)' }],
  };
  return { ...t, vteps: [vtep] };
}

function worker1(t: Topology) {
  return t.nodes.find((n) => n.name === 'worker-1')!.netns;
}

describe('partial dumps (units)', () => {
  it('a dumped FDB that lacks the peer\'s entry is still fdb-missing, even when the topology infers the peer', () => {
    const t = withInferredRemote(flannelTopology({ dropFdb: true }));
    expect(worker1(t).dumps).toContain('fdb');
    const [path] = traceQuery(t, { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('fdb-missing');
    expect(path!.reason).toContain("worker-1's flannel.1 has no FDB entry for a6:0d:d2:cd:65:14");
    expect(path!.reason).not.toContain('rests on assumptions');
  });

  it('a dumped neighbour table that lacks the VTEP\'s entry is still neighbour-unresolved', () => {
    const t = withInferredRemote(flannelTopology());
    worker1(t).neighbours = [];
    const [path] = traceQuery(t, { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('neighbour-unresolved');
  });

  it('an FDB that was not dumped is assumed from the inferred peer, and the packet is delivered (the peer\'s dumps are complete)', () => {
    const t = withInferredRemote(flannelTopology({ dropFdb: true }));
    worker1(t).dumps = worker1(t).dumps.filter((d) => d !== 'fdb');
    const [path] = traceQuery(t, { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('delivered');
    expect(path!.hops.find((h) => h.at === 'worker-1' && h.interface === 'eth0')?.outer).toEqual({ src: '10.74.107.63', dst: '10.74.107.62', dport: 8472, vni: 1, encapsulation: 'vxlan' });
    expect(notes(path!).join('\n')).toContain("worker-1's `bridge fdb show` was not given");
    expect(path!.reason).toContain("worker-1's FDB entry for worker-2's VTEP → 10.74.107.62 (no `bridge fdb show`)");
  });

  it('a neighbour table that was not dumped, with no peer the topology knows, ends insufficient-info naming the dumps', () => {
    const t = flannelTopology();
    worker1(t).neighbours = [];
    worker1(t).dumps = worker1(t).dumps.filter((d) => d !== 'neigh');
    const [path] = traceQuery(t, { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('insufficient-info');
    expect(path!.needs).toContainEqual({ at: 'worker-1', command: 'ip neigh' });
    expect(path!.reason).toContain("worker-1's `ip neigh` was not given");
    expect(path!.reason).toContain('`ip neigh show dev flannel.1`');
  });
});
