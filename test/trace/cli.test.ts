// `podpath trace` end to end: text, --json shape (issue 5), exit statuses, bad usage, escapes.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import type { TraceResult } from '../../src/trace/model.ts';

const flannel = join(repoRoot, 'samples', 'seed-flannel');

describe('podpath trace (text)', () => {
  it('numbers the hops, shows addresses before and after the rewrite, and explains the pick', async () => {
    const run = await runPodpath(['trace', flannel, '--from', 'pod1', '--to', 'default/spread:http', '--sport', '50062', '-v']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('3 paths, 3 delivered');
    expect(run.stdout).toContain('Path 2 of 3 · endpoint 192.168.2.12:80 · probability 1/3 · DELIVERED');
    // The spread service's endpoints, in rule order: 192.168.1.5, 192.168.2.12, 192.168.2.13 (expected.json).
    expect(run.stdout).toContain('kube-proxy picks endpoint 2 of 3 with probability 1/3 and rewrites the destination to 192.168.2.12:80');
    expect(run.stdout).toContain('dst: 10.96.0.20 → 192.168.2.12');
    expect(run.stdout).toMatch(/^ {2}1\. pod1 eth0 +192\.168\.1\.7:50062 → 10\.96\.0\.20:80 tcp$/m);
    expect(run.stdout).toMatch(/^ {2}5\. worker-1 eth0 +192\.168\.1\.7:50062 → 192\.168\.2\.12:80 tcp {2}outer 10\.74\.107\.63 → 10\.74\.107\.62:8472 VXLAN vni 1 udp$/m);
  });

  it('exits 1 when a path is not delivered and names the rule', async () => {
    const run = await runPodpath(['trace', flannel, '--from', 'pod1', '--to', '10.96.0.30:80', '-v']);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('REJECTED');
    expect(run.stdout).toContain('the client sees: icmp port unreachable');
    expect(run.stdout).toContain('"default/empty:http has no endpoints"');
  });
});

describe('podpath trace to an address outside the cluster', () => {
  // 198.51.100.7 is TEST-NET-2 (RFC 5737): no pod, node or service of the seed holds it. worker-1's
  // `ip route` sends it by "default via 10.74.107.154 dev eth0", and flanneld's FLANNEL-POSTRTG rule
  // masquerades pod traffic leaving the pod network to eth0's 10.74.107.63.
  it('exits 0 and says the packet leaves the cluster, by which device and next hop', async () => {
    const run = await runPodpath(['trace', flannel, '--from', 'pod1', '--to', '198.51.100.7:53/udp', '-v']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('1 path, 0 delivered, 1 leaves the cluster');
    expect(run.stdout).toContain('EXITS-CLUSTER');
    expect(run.stdout).toContain('worker-1 sends the packet out of eth0 to 10.74.107.154 towards 198.51.100.7, which is outside the cluster');
    const json = await runPodpath(['trace', flannel, '--from', 'pod1', '--to', '198.51.100.7:53/udp', '--json']);
    expect(json.status).toBe(0);
    const [path] = (JSON.parse(json.stdout) as TraceResult).paths;
    expect(path!.disposition).toBe('exits-cluster');
    const last = path!.hops.at(-1)!;
    expect(last).toMatchObject({ at: 'worker-1', interface: 'eth0', packet: { src: '10.74.107.63', dst: '198.51.100.7', dport: 53, proto: 'udp' } });
    expect(last.steps.at(-1)).toMatchObject({ type: 'exit-cluster', interface: 'eth0', nextHop: '10.74.107.154' });
  });
});

describe('podpath trace --json', () => {
  it('prints {query, paths[]} with the fields issue 5 lists', async () => {
    const run = await runPodpath(['trace', flannel, '--from', 'pod1', '--to', '10.96.0.10:80/tcp', '--sport', '50060', '--json']);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as TraceResult;
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['query', 'paths']));
    expect(result.query.packet).toEqual({ src: '192.168.1.7', dst: '10.96.0.10', sport: 50060, dport: 80, proto: 'tcp' });
    const [path] = result.paths;
    expect(path).toMatchObject({ endpoint: '192.168.2.12:80', probability: 1, disposition: 'delivered' });
    expect(typeof path!.reason).toBe('string');
    for (const hop of path!.hops) {
      expect(Object.keys(hop)).toEqual(expect.arrayContaining(['at', 'interface', 'packet', 'steps']));
      expect(Object.keys(hop.packet)).toEqual(expect.arrayContaining(['src', 'dst', 'sport', 'dport', 'proto']));
    }
    const outer = path!.hops.find((h) => h.outer)!.outer!;
    expect(outer).toMatchObject({ src: '10.74.107.63', dst: '10.74.107.62', dport: 8472, vni: 1 });
    const steps = path!.hops.flatMap((h) => h.steps);
    const jump = steps.find((s) => s.type === 'netfilter' && s.chain === 'PREROUTING')!;
    expect(jump).toMatchObject({ type: 'netfilter', table: 'nat', chain: 'PREROUTING', action: 'jump', rule: '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES' });
    const nat = steps.find((s) => s.type === 'nat')!;
    expect(nat).toMatchObject({ type: 'nat', action: 'dnat', diffs: [{ field: 'dst', old: '10.96.0.10', new: '192.168.2.12' }] });
  });
});

describe('podpath trace: bad usage (exit 2, one line)', () => {
  const cases: [string[], string][] = [
    [['--from', 'pod1'], 'podpath: trace needs --to <namespace/service[:port]|IP:port>[/tcp|/udp]\n'],
    [['--to', '10.96.0.10:80'], 'podpath: trace needs --from <pod|pod IP|node|outside IP with --via>\n'],
    [['--from', 'nosuchpod', '--to', '10.96.0.10:80'], 'podpath: --from nosuchpod: no pod or node of that name in the dumps (known: pod1, web-a, pod2, web-b, worker-1, worker-2)\n'],
    [['--from', '8.8.8.8', '--to', '10.96.0.10:80'], 'podpath: --from 8.8.8.8: not a pod or node address in the dumps; for a client outside the cluster add --via NODE\n'],
    [['--from', '8.8.8.8', '--via', 'worker-9', '--to', '10.96.0.10:80'], 'podpath: --via worker-9: no such node in the dumps (nodes: worker-1, worker-2)\n'],
    [['--from', 'pod1', '--to', 'default/nosuch'], 'podpath: --to default/nosuch: no such service or pod in the dumps (expected IP:port, namespace/name[:port], svc/NAME, NAME.NAMESPACE.svc or a pod with its port; services: default/empty:http, default/spread:http, default/web:http)\n'],
    [['--from', 'pod1', '--to', '10.96.0.10:99999'], 'podpath: --to 10.96.0.10:99999: port 99999 is not between 1 and 65535\n'],
    [['--from', 'pod1', '--to', '10.96.0.10:80', '--sport', 'x'], 'podpath: --sport x: expected a port between 1 and 65535\n'],
    [['--from', 'pod1', '--to', '10.96.0.10:80', '--endpoint', 'pod2'], 'podpath: --endpoint pod2: expected IP:port\n'],
    [['--from', 'pod1', '--to', '10.96.0.10:80', '--endpoint', '1.2.3.4:80'], 'podpath: --endpoint 1.2.3.4:80: no path reaches that endpoint (endpoints: 192.168.2.12:80)\n'],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), async () => {
      const run = await runPodpath(['trace', flannel, ...args]);
      expect(run.status).toBe(2);
      expect(run.stderr).toBe(message);
      expect(run.stdout).toBe('');
    });
  }
});

describe('podpath trace: text from the dumps is escaped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-trace-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows an escape sequence hidden in a rule comment as \\e, in text and JSON', async () => {
    cpSync(flannel, dir, { recursive: true, filter: (src) => !src.includes('captures') });
    rmSync(join(dir, 'transcript.txt'), { force: true });
    const file = join(dir, 'worker-1', 'iptables-save.txt');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"default/web:http cluster IP"', '"default/web:http \u001b[31mcluster IP\u009b"'));
    const text = await runPodpath(['trace', dir, '--from', 'pod1', '--to', '10.96.0.10:80', '-v']);
    expect(text.stdout).toContain('default/web:http \\e[31mcluster IP\\x9b');
    expect(text.stdout).not.toMatch(/[\u001b\u009b]/);
    const json = await runPodpath(['trace', dir, '--from', 'pod1', '--to', '10.96.0.10:80', '--json']);
    expect(json.stdout).not.toMatch(/[\u001b\u009b]/);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain('\\u001b[31mcluster IP');
  });
});
