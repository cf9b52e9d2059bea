// Traces from a node's own (host) network: the source address comes from the kernel's rule
// (fib_result_prefsrc, then inet_select_addr: the route's `src`, else the outgoing device's
// primary address, else another device's), and a neighbour no dump shows is never a fault.
// The real dumps are test/wild/ (sources in test/wild/SOURCES.md) and samples/seed-flannel.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPodpath } from '../helpers/run.ts';
import { hostSource } from '../../src/trace/source-address.ts';
import { lookupRoute } from '../../src/trace/routing.ts';
import { loadTopology } from '../../src/topology/load.ts';
import type { TraceResult } from '../../src/trace/model.ts';

const work = mkdtempSync(join(tmpdir(), 'podpath-host-source-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function trace(args: string[]): Promise<{ status: number | null; stderr: string; result?: TraceResult }> {
  const run = await runPodpath(['trace', ...args, '--json']);
  return { status: run.status, stderr: run.stderr, ...(run.stdout ? { result: JSON.parse(run.stdout) as TraceResult } : {}) };
}

describe('hostSource (the kernel\'s choice of source address)', () => {
  it('takes the route\'s src, then the out device\'s connected-route src, as facts', async () => {
    const file = join(work, 'routes.txt');
    // flannel-545's node0, old iproute2 format (test/wild/flannel-545-node0-route-oldformat.txt)
    cpSync('test/wild/flannel-545-node0-route-oldformat.txt', file);
    const t = await loadTopology([file]);
    const node = t.nodes[0]!;
    const toPod = lookupRoute({ ns: node.netns, dst: '10.244.0.9', mark: 0 });
    expect(hostSource(node.netns, toPod, node)).toEqual({ address: '10.244.0.1' }); // "10.244.0.0/24 dev cni0 … src 10.244.0.1"
    const toLan = lookupRoute({ ns: node.netns, dst: '192.168.56.7', mark: 0 });
    expect(hostSource(node.netns, toLan, node)).toEqual({ address: '192.168.56.110' });
  });

  it('flannel.N without `ip addr`: its subnet\'s network address, said to be assumed', async () => {
    const t = await loadTopology(['test/wild/flannel-1029-node3-route-brctl.txt']);
    const node = t.nodes[0]!;
    const chosen = hostSource(node.netns, lookupRoute({ ns: node.netns, dst: '172.20.0.5', mark: 0 }), node);
    expect(chosen?.address).toBe('172.20.4.0'); // node3's cni0 subnet is 172.20.4.0/24
    expect(chosen?.assumed).toMatch(/flannel\.1's address is not in the dumps/);
  });

  it('another device\'s address: the node\'s underlay, never a Docker bridge, said to be assumed', async () => {
    const file = join(work, 'machine1.txt');
    cpSync('test/wild/calicoctl-772-machine1-docker-gwbridge.txt', file);
    const t = await loadTopology([file], { node: 'Machine1' });
    const node = t.nodes[0]!;
    const chosen = hostSource(node.netns, lookupRoute({ ns: node.netns, dst: '192.168.0.13', mark: 0 }), node);
    expect(chosen).toMatchObject({ address: '172.31.27.45' });
    expect(chosen?.assumed).toContain('caliefab0610c79');
  });
});

describe('podpath trace --from a node', () => {
  it('never exits 70: flannel node3 to a peer\'s pod, its source assumed and said so', async () => {
    const run = await trace(['test/wild/flannel-1029-node3-route-brctl.txt', '--from', 'node3', '--to', '172.20.0.5:80']);
    expect(run.status).toBe(1); // unknown beyond flannel.1: node3's ip -d link and fdb were not given
    expect(run.result!.query.packet.src).toBe('172.20.4.0');
    expect(run.result!.warnings[0]).toMatchObject({ file: 'trace' });
    expect(run.result!.warnings[0]).not.toHaveProperty('line'); // a stage's own warning has no dump line
    expect(run.result!.warnings[0]!.message).toMatch(/^source address assumed: flannel\.1's address/);
  });

  it('no address of the node anywhere (calico #8953: routes without src): one line naming its ip addr, not exit 70', async () => {
    const run = await runPodpath(['trace', 'test/wild/calico-8953-ipip-ip-route.txt', '--node', 'host', '--from', 'host', '--to', '10.96.7.130:80']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('podpath: --from host: no IPv4 address for it in the dumps (no inet line in its ip addr, no IP in kubectl get pods), so the first packet has no source; add its ip addr dump, or trace from its IP\n');
  });

  it('to a pod on its own cni0 with no `ip neigh` dumped: insufficient-info, not EHOSTUNREACH', async () => {
    // samples/seed-flannel's worker-1 with only its ip addr and ip route (no ip neigh, no pods)
    const dir = join(work, 'bundle', 'worker-1');
    cpSync('samples/seed-flannel/worker-1/ip-addr.txt', join(dir, 'ip-addr.txt'));
    cpSync('samples/seed-flannel/worker-1/ip-route.txt', join(dir, 'ip-route.txt'));
    const run = await trace([join(work, 'bundle'), '--from', 'worker-1', '--to', '192.168.1.5:80']);
    const path = run.result!.paths[0]!;
    expect(run.result!.query.packet.src).toBe('192.168.1.1'); // "192.168.1.0/24 dev cni0 … src 192.168.1.1"
    expect(path.disposition).toBe('insufficient-info');
    expect(path.needs).toContainEqual({ at: 'worker-1', command: 'ip neigh' });
    expect(path.clientSees).not.toMatch(/EHOSTUNREACH|unreachable/);
    const neighbour = path.hops.flatMap((h) => h.steps).find((s) => s.type === 'neighbour');
    expect(neighbour).toMatchObject({ result: 'unknown', ip: '192.168.1.5', interface: 'cni0' });
  });

  it('a dumped neighbour table that says FAILED is still a neighbour failure', async () => {
    const dir = join(work, 'failed', 'worker-1');
    cpSync('samples/seed-flannel/worker-1/ip-addr.txt', join(dir, 'ip-addr.txt'));
    cpSync('samples/seed-flannel/worker-1/ip-route.txt', join(dir, 'ip-route.txt'));
    writeFileSync(join(dir, 'ip-neigh.txt'), '192.168.1.5 dev cni0 FAILED\n');
    const run = await trace([join(work, 'failed'), '--from', 'worker-1', '--to', '192.168.1.5:80']);
    expect(run.result!.paths[0]!.disposition).toBe('neighbour-unresolved');
  });
});
