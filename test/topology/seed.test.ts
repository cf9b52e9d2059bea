// The user's own examples (shared/seed/000-networking-section.txt): dumps
// pasted into a document, flattened onto single lines with prose around them.
// Expected values are read off the seed text itself (quoted in comments).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const SEED = join(repoRoot, 'test', 'corpus', 'seed', '000-networking-section.txt');
const seed = readFileSync(SEED, 'utf8');
const work = mkdtempSync(join(tmpdir(), 'podpath-seed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The seed's Flannel (4.2.1) and Calico (4.2.2) sections, as a user would paste each on its own. */
function section(from: string, to: string, name: string): string {
  const start = seed.indexOf(from);
  const end = seed.indexOf(to, start);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  const file = join(work, name);
  writeFileSync(file, seed.slice(start, end));
  return file;
}

describe('the seed Flannel example (4.2.1)', async () => {
  const file = section('4.2.1 Flannel', '4.2.2 Calico', 'flannel.txt');
  const topology = await loadTopology([file]);

  it('finds worker-1 and worker-2 with their underlay addresses and pod subnets', () => {
    // "10.74.107.0/24 dev eth0 proto kernel scope link src 10.74.107.63" / "…src 10.74.107.62"
    // "192.168.1.0/24 dev cni0 proto kernel scope link src 192.168.1.1" / "192.168.2.0/24 dev cni0 …"
    expect(topology.nodes.map((n) => [n.name, n.addresses, n.podCIDRs])).toEqual([
      ['worker-1', ['10.74.107.63'], ['192.168.1.0/24']],
      ['worker-2', ['10.74.107.62'], ['192.168.2.0/24']],
    ]);
  });

  it('matches pod1 to veth6b3caf45 by index: pod "3: eth0@if11", node "11: veth6b3caf45@if3"', () => {
    expect(topology.pods).toEqual([expect.objectContaining({ name: 'pod1', node: 'worker-1', ip: '192.168.1.7', hostInterface: 'veth6b3caf45', podInterface: 'eth0', mac: '6a:97:3e:20:55:e6' })]);
  });

  it('reads the flattened brctl show: cni0 with three ports, docker0 with none', () => {
    const bridges = topology.nodes[0]!.netns.bridges;
    expect(bridges.find((b) => b.name === 'cni0')?.ports).toEqual(['veth100d66d7', 'veth6b3caf45', 'vetheed12777']);
    expect(bridges.find((b) => b.name === 'docker0')?.ports).toEqual([]);
  });

  it('reads worker-1 `ip r`: six routes, the docker0 one linkdown, flannel.1 ones onlink', () => {
    const routes = topology.nodes[0]!.netns.routes;
    expect(routes.map((r) => r.dst)).toEqual(['default', '10.74.107.0/24', '172.17.0.0/16', '192.168.0.0/24', '192.168.1.0/24', '192.168.2.0/24']);
    expect(routes[2]).toMatchObject({ dev: 'docker0', linkdown: true });
    expect(routes[5]).toMatchObject({ via: '192.168.2.0', dev: 'flannel.1', onlink: true });
  });

  it('detects flannel vxlan; flannel.1 reaches worker-2 at 10.74.107.62 on UDP 8472 (the capture: "Dst: 10.74.107.62 … Dst Port: 8472")', () => {
    expect(topology.cni).toMatchObject({ plugin: 'flannel', mode: 'vxlan' });
    expect(topology.vteps).toEqual([expect.objectContaining({ node: 'worker-1', device: 'flannel.1', vni: 1, port: 8472, local: '10.74.107.63', assumed: true })]);
    expect(topology.vteps[0]!.remotes).toEqual([expect.objectContaining({ node: 'worker-2', dst: '10.74.107.62', innerIP: '192.168.2.0' })]);
  });

  it('says it guessed which namespaces are pods', () => {
    expect(topology.warnings.some((w) => /guessed from the dumps: .*pod1 is a pod/.test(w.message))).toBe(true);
  });
});

describe('the seed Calico example (4.2.2)', async () => {
  const file = section('4.2.2 Calico', '4.2.2.1', 'calico.txt');
  const topology = await loadTopology([file]);

  it('finds worker-1 (src 10.74.107.72) and its block from "blackhole 192.168.226.64/26 proto 80"', () => {
    expect(topology.nodes.map((n) => [n.name, n.addresses, n.podCIDRs])).toEqual([['worker-1', ['10.74.107.72'], ['192.168.226.64/26']]]);
  });

  it('matches pod1 "eth0@if16" (192.168.226.74/32) to "16: cali6abd5b4bbeb@if3"', () => {
    expect(topology.pods.find((p) => p.name === 'pod1')).toMatchObject({ node: 'worker-1', ip: '192.168.226.74', hostInterface: 'cali6abd5b4bbeb' });
  });

  it('names the other local pods only by their /32 routes on cali* interfaces', () => {
    expect(topology.pods.filter((p) => p.unnamed).map((p) => [p.ip, p.hostInterface])).toEqual([
      ['192.168.226.65', 'cali9558f23398a'],
      ['192.168.226.73', 'cali5d30ef99766'],
    ]);
  });

  it('reads the pod neighbour "169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee used 0/0/0 probes 1 STALE"', () => {
    expect(topology.pods.find((p) => p.name === 'pod1')?.netns?.neighbours).toEqual([
      expect.objectContaining({ ip: '169.254.1.1', dev: 'eth0', mac: 'ee:ee:ee:ee:ee:ee', state: ['STALE'] }),
    ]);
  });

  it('detects calico vxlan from vxlan.calico and the "via 192.168.133.192 dev vxlan.calico onlink" route', () => {
    expect(topology.cni).toMatchObject({ plugin: 'calico', mode: 'vxlan' });
    expect(topology.vteps).toEqual([expect.objectContaining({ node: 'worker-1', device: 'vxlan.calico', vni: 4096, port: 4789, local: '10.74.107.72' })]);
  });
});

describe('pasted on stdin', () => {
  it('`podpath topology -` reads the Flannel section as typed into the terminal', async () => {
    const start = seed.indexOf('4.2.1 Flannel');
    const r = await runPodpath(['topology', '--json', '-'], { input: seed.slice(start, seed.indexOf('4.2.2 Calico', start)) });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout) as { pods: { name: string; hostInterface?: string }[]; warnings: { file: string }[] };
    expect(t.pods.map((p) => [p.name, p.hostInterface])).toEqual([['pod1', 'veth6b3caf45']]);
    expect(t.warnings.every((w) => w.file === '<stdin>')).toBe(true);
  });
});

describe('the whole seed document at once', () => {
  it('is two clusters that name their hosts alike: exit 2 naming both places (test/topology/input-conflicts.test.ts), unless --merge', async () => {
    const refused = await runPodpath(['topology', '--json', SEED]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/two machines or two moments/);
  });

  it('with --merge reads through the CLI without failing, and says where the two clusters\' same-named dumps disagree', async () => {
    const result = await runPodpath(['topology', '--json', '--merge', SEED]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const topology = JSON.parse(result.stdout) as { warnings: { message: string }[]; nodes: { name: string }[] };
    expect(topology.nodes.map((n) => n.name)).toEqual(['worker-1', 'worker-2']);
    expect(topology.warnings.some((w) => /route dump for worker-1 disagrees with/.test(w.message))).toBe(true);
    expect(topology.warnings.some((w) => /addr dump for pod1 disagrees with/.test(w.message))).toBe(true);
  });
});
