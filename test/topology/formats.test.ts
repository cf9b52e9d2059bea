// The formats people paste instead of `ip route` / `iptables-save` (issue 12,
// item 5), read from real outputs: test/corpus/formats/ was recorded from a
// kernel by test/corpus/formats/record.sh (route -n, netstat -rn, ip -6, ip -br,
// iptables -S, iptables -L, in one namespace). Every expected value comes from
// the tools' own text — `ip route` of the same namespace, iptables-save's rule
// lines — cut with awk/grep, never from podpath.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBrctlShow } from '../../src/topology/parse/brctl.ts';
import { parseKubectlNodes, parseKubectlPods } from '../../src/topology/parse/kubectl.ts';
import { parseRouteTable } from '../../src/topology/parse/route-table.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const dir = join(repoRoot, 'test', 'corpus', 'formats');
const fixture = (name: string) => join(dir, name);
const sh = (script: string): string[] =>
  execFileSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.length > 0);

/** `ip route` lines as `type dst via dev`, by awk: the kernel's own answer for the same table. */
const IP_ROUTE_AWK = `awk '{t="unicast"; i=1; if ($1 ~ /^(unreachable|blackhole|prohibit)$/) {t=$1; i=2}; d=$i; if (d != "default" && d !~ /\\//) d = d (d ~ /:/ ? "/128" : "/32"); via="-"; dev="-"; for (k=i;k<=NF;k++){ if ($k=="via") via=$(k+1); if ($k=="dev") dev=$(k+1)}; print t, d, via, dev}'`;

const asLines = (routes: { type: string; dst: string; via?: string; dev?: string }[]) => routes.map((r) => `${r.type} ${r.dst} ${r.via ?? '-'} ${r.dev ?? '-'}`).sort();

interface TopologyJson {
  nodes: { name: string; netns: { routes: { type: string; dst: string; via?: string; dev?: string; family: number; table: string }[]; interfaces: { index: number; name: string; mtu?: number; mac?: string; addresses: { address: string; prefixLength: number }[] }[]; netfilter?: { tables: Record<string, { chains: Record<string, { rules: { text: string }[]; policy?: string }> }> } } }[];
  warnings: { file: string; line: number; message: string }[];
}

async function topology(args: string[]): Promise<TopologyJson> {
  const result = await runPodpath(['topology', ...args, '--json']);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as TopologyJson;
}

describe('route -n and netstat -rn read into the routes `ip route` prints for the same kernel', () => {
  const ipRoute = sh(`${IP_ROUTE_AWK} ip-route.txt`).sort();

  it.each(['route-n.txt', 'netstat-rn.txt'])('%s', (name) => {
    const { records, warnings } = parseRouteTable(readFileSync(fixture(name), 'utf8'), { file: name });
    expect(warnings).toEqual([]);
    expect(asLines(records)).toEqual(ipRoute);
    // Flannel's `via 192.168.3.0 dev flannel.1 onlink`: the table hides onlink, the kernel needs it.
    const onlink = sh(`grep -w onlink ip-route.txt | awk '{print $1}'`);
    expect(records.filter((r) => r.onlink).map((r) => r.dst)).toEqual(onlink);
  });

  it('route -6 -n and netstat -6 -rn give the main table `ip -6 route` prints (plus the local table, kept apart)', () => {
    const ipRoute6 = sh(`${IP_ROUTE_AWK} ip-6-route.txt`).sort();
    for (const name of ['route-6-n.txt', 'netstat-6-rn.txt']) {
      const { records, warnings } = parseRouteTable(readFileSync(fixture(name), 'utf8'), { file: name });
      expect(warnings).toEqual([]);
      // The kernel's null entry (`::/0 … !n -1 lo`) is the fib6 root, printed by net-tools from /proc/net/ipv6_route.
      const main = records.filter((r) => r.table === 'main' && !(r.dst === 'default' && r.type === 'unreachable'));
      expect(asLines(main)).toEqual(ipRoute6);
      // Local addresses (/128, flag n) and ff00::/8 are the local table's.
      expect(records.filter((r) => r.table === 'local').map((r) => r.dst).sort()).toEqual(sh(`awk '$3 ~ /n/ && $3 !~ /!/ && $1 ~ /\\/128$/ || $1 == "ff00::/8" {print $1}' ${name}`).sort());
      expect(records.every((r) => r.family === 6)).toBe(true);
    }
  });

  it("netstat -6 -rn's bare dotted quads are the IPv4-mapped prefixes `ip -6 route` prints as ::ffff:a.b.c.d", () => {
    const { records, warnings } = parseRouteTable(readFileSync(fixture('netstat-6-rn-v4mapped.txt'), 'utf8'), { file: 'netstat-6-rn-v4mapped.txt' });
    expect(warnings).toEqual([]);
    const main = records.filter((r) => r.table === 'main' && !(r.dst === 'default' && r.type === 'unreachable'));
    expect(asLines(main)).toEqual(sh(`${IP_ROUTE_AWK} ip-6-route-v4mapped.txt`).sort());
  });

  it('a table wrapped in markdown emphasis (`_Kernel IP routing table` … `cni0_`) is read without the markers, with a warning on the closing line', () => {
    const text = [
      '_Kernel IP routing table',
      'Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface',
      '10.180.11.0     0.0.0.0         255.255.255.0   U         0 0          0 ens160',
      '10.244.2.0      0.0.0.0         255.255.255.0   U         0 0          0 cni0_',
    ].join('\n');
    const { records, warnings } = parseRouteTable(text, { file: 'r' });
    expect(records.map((r) => r.dev)).toEqual(['ens160', 'cni0']);
    expect(warnings.map((w) => [w.line, w.message])).toEqual([[4, expect.stringMatching(/markdown emphasis/)]]);
    // Without the opening marker a trailing `_` is the device's own name.
    const plain = parseRouteTable(text.replace(/^_/, ''), { file: 'r' });
    expect(plain.records.map((r) => r.dev)).toEqual(['ens160', 'cni0_']);
    expect(plain.warnings).toEqual([]);
  });

  it('a row with names (route without -n), a placeholder or a bad mask is one warning and no route', () => {
    const text = [
      'Kernel IP routing table',
      'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface',
      'default         _gateway        0.0.0.0         UG    100    0        0 eth0',
      '10.xx.xx.0      0.0.0.0         255.255.255.0   U     0      0        0 eth0',
      '10.0.0.0        0.0.0.0         255.0.255.0     U     0      0        0 eth0',
      '10.244.1.0      10.0.0.12       255.255.255.0   UG    0      0        0 eth0',
    ].join('\n');
    const { records, warnings } = parseRouteTable(text, { file: 'r' });
    expect(records.map((r) => `${r.dst} ${r.via}`)).toEqual(['10.244.1.0/24 10.0.0.12']);
    expect(warnings.map((w) => w.line)).toEqual([3, 4, 5]);
    expect(warnings[1]!.message).toMatch(/10\.xx\.xx\.0 is a placeholder/);
  });

  it('through the CLI, `route -n` in a transcript joins `ip route` of the same node without a disagreement', async () => {
    const t = await topology([fixture('transcript.txt')]);
    const node = t.nodes.find((n) => n.name === 'q12-node')!;
    expect(asLines(node.netns.routes.filter((r) => r.family === 4))).toEqual(ipRoute);
    expect(asLines(node.netns.routes.filter((r) => r.family === 6))).toEqual(sh(`${IP_ROUTE_AWK} ip-6-route.txt`).sort());
    expect(t.warnings.filter((w) => /disagrees/.test(w.message))).toEqual([]);
  });
});

describe('iptables -S: iptables-save rules without the table lines', () => {
  /** iptables-save's rules of one table, as `chain rule-text` lines. */
  const saved = (table: string) => sh(`awk '/^\\*/{t=substr($0,2)} t=="${table}" && /^-A /' iptables-save.txt`).sort();

  it('in a transcript the command names the table: every rule lands in it, with no warning', async () => {
    const t = await topology([fixture('transcript.txt'), '--rules']);
    const tables = t.nodes[0]!.netns.netfilter!.tables;
    for (const table of ['nat', 'filter']) {
      const rules = Object.values(tables[table]!.chains).flatMap((c) => c.rules.map((r) => r.text));
      expect(rules.sort()).toEqual(saved(table));
    }
    // `-P FORWARD DROP` from `iptables -S` sets the policy iptables-save shows.
    expect(tables.filter!.chains.FORWARD!.policy).toBe(sh(`awk '/^\\*filter/{f=1} f && /^:FORWARD /{print $2; exit}' iptables-save.txt`)[0]);
    expect(t.warnings.filter((w) => /\*table|assumed/.test(w.message))).toEqual([]);
  });

  it('--json gives each chain its rule count; the rules themselves only with --rules', async () => {
    const counted = (await topology([fixture('transcript.txt')])).nodes[0]!.netns.netfilter!.tables;
    const full = (await topology([fixture('transcript.txt'), '--rules'])).nodes[0]!.netns.netfilter!.tables;
    for (const table of ['nat', 'filter']) {
      const lines = saved(table);
      const chains = Object.values(counted[table]!.chains) as unknown as { name: string; rules?: unknown; ruleCount: number }[];
      expect(chains.every((c) => c.rules === undefined)).toBe(true);
      // Each count is the number of `-A CHAIN` lines iptables-save wrote for that chain.
      for (const c of chains) expect(c.ruleCount, c.name).toBe(lines.filter((l) => l.startsWith(`-A ${c.name} `)).length);
      expect(Object.values(full[table]!.chains).flatMap((c) => c.rules.map((r) => r.text)).sort()).toEqual(lines);
    }
  });

  it('a loose file of -P/-N/-A lines is read, each rule where its target says, and the assumption is one warning', async () => {
    const t = await topology([fixture('iptables-t-nat-S.txt'), '--node', 'q12-node', '--rules']);
    const tables = t.nodes[0]!.netns.netfilter!.tables;
    const natRules = Object.values(tables.nat!.chains).flatMap((c) => c.rules.map((r) => r.text));
    expect(natRules.sort()).toEqual(saved('nat'));
    expect(t.warnings.filter((w) => /no \*table line: the table of each rule is assumed/.test(w.message))).toHaveLength(1);
  });
});

describe('iptables -L is refused by name, with the command to run instead', () => {
  const REFUSAL = '-L output cannot be replayed: paste `iptables-save` or `iptables -S`';

  it('in a transcript: one warning on the command line, the rest is read', async () => {
    const t = await topology([fixture('transcript.txt')]);
    const line = Number(sh(`grep -n '# iptables -L' transcript.txt | cut -d: -f1`)[0]);
    expect(t.warnings.filter((w) => w.message.includes(REFUSAL))).toEqual([expect.objectContaining({ line })]);
  });

  it.each(['iptables-L-n-v.txt', 'iptables-t-nat-L-n-v.txt'])('as a loose file (%s): the error names the format, not a truncation', async (name) => {
    const result = await runPodpath(['topology', fixture(name), '--node', 'n1']);
    expect(result.status).toBe(2); // nothing usable: an input that cannot be used
    expect(result.stderr).toContain(REFUSAL);
    expect(result.stderr).not.toMatch(/truncated|not recognised/);
  });
});

describe('ip -br and ip -6 addr join ip addr', () => {
  it('ip -br addr alone gives every interface and address `ip addr` shows', async () => {
    const t = await topology([fixture('ip-br-addr.txt'), '--node', 'n1']);
    const got = t.nodes[0]!.netns.interfaces.flatMap((i) => i.addresses.map((a) => `${a.address}/${a.prefixLength}`)).sort();
    expect(got).toEqual(sh(`awk '$1 ~ /^inet6?$/ {print $2}' ip-addr.txt`).sort());
  });

  it('ip -o addr (one line per address, recognised as a loose file) gives every interface and address `ip addr` shows', async () => {
    const t = await topology([fixture('ip-o-addr.txt'), '--node', 'n1']);
    expect(t.warnings).toEqual([]);
    const got = t.nodes[0]!.netns.interfaces.flatMap((i) => i.addresses.map((a) => `${a.address}/${a.prefixLength} ${i.name}`)).sort();
    expect(got).toEqual(sh(`awk '/^[0-9]+: /{d=$2; sub(/:$/,"",d); sub(/@.*/,"",d)} $1 ~ /^inet6?$/ {print $2, d}' ip-addr.txt`).sort());
  });

  it('ip -o link (each block on one line, joined by `\\`) gives the interfaces, MTUs and MACs `ip addr` shows', async () => {
    const t = await topology([fixture('ip-o-link.txt'), '--node', 'n1']);
    // (ip link shows no address: that is the only warning.)
    expect(t.warnings.map((w) => w.message)).toEqual(['n1: no underlay address found (no ip addr on its own interfaces, no kernel route with src)']);
    const got = t.nodes[0]!.netns.interfaces.map((i) => `${i.index} ${i.name} ${i.mtu} ${i.mac}`);
    expect(got).toEqual(
      sh(`awk '/^[0-9]+: /{i=$1; sub(/:$/,"",i); d=$2; sub(/:$/,"",d); sub(/@.*/,"",d); for(k=3;k<=NF;k++) if($k=="mtu") m=$(k+1)} $1 ~ /^link\\// {print i, d, m, $2}' ip-addr.txt`),
    );
  });

  it('ip -6 addr next to a v4-only view adds the IPv6 addresses to the same interfaces', async () => {
    const work = mkdtempSync(join(tmpdir(), 'podpath-q12-'));
    try {
      const v4 = readFileSync(fixture('ip-addr.txt'), 'utf8').split('\n').filter((l) => !/^\s+inet6 /.test(l)).join('\n');
      const transcript = `root@n1:~# ip addr\n${v4}root@n1:~# ip -6 addr\n${readFileSync(fixture('ip-6-addr.txt'), 'utf8')}`;
      writeFileSync(join(work, 't.txt'), transcript);
      const t = await topology([join(work, 't.txt')]);
      const got = t.nodes[0]!.netns.interfaces.flatMap((i) => i.addresses.map((a) => `${a.address}/${a.prefixLength}`)).sort();
      expect(got).toEqual(sh(`awk '$1 ~ /^inet6?$/ {print $2}' ip-addr.txt`).sort());
      expect(t.warnings.filter((w) => /disagrees/.test(w.message))).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('kubectl tables people paste', () => {
  // rancher/rancher#14389 (galal-hussein, 2018-07-23), quoted: `kubectl get nodes -o wide` before INTERNAL-IP existed.
  const RANCHER = [
    'NAME              STATUS    ROLES                      AGE       VERSION   EXTERNAL-IP   OS-IMAGE           KERNEL-VERSION     CONTAINER-RUNTIME',
    'hgalal-rke-ros1   Ready     controlplane,etcd,worker   42m       v1.11.1   <none>        RancherOS v1.4.0   4.14.32-rancher2   docker://17.3.2',
  ].join('\n');
  // opea-project/docs#355 (k8s_install_kubeadm.md), quoted: `kubectl get node`.
  const OPEA = ['NAME          STATUS   ROLES           AGE     VERSION', 'k8s-master    Ready    control-plane   31m     v1.29.6', 'k8s-worker1   Ready    <none>          7m31s   v1.29.6'].join('\n');

  it('kubectl get nodes (wide or not) gives the node names, roles and addresses it prints', () => {
    expect(parseKubectlNodes(RANCHER, { file: 'n' })).toMatchObject({ records: [{ name: 'hgalal-rke-ros1', status: 'Ready', roles: 'controlplane,etcd,worker' }], warnings: [] });
    const opea = parseKubectlNodes(OPEA, { file: 'n' });
    expect(opea.warnings).toEqual([]);
    expect(opea.records.map((r) => r.name)).toEqual(OPEA.split('\n').slice(1).map((l) => l.split(/\s+/)[0]));
    const wide = parseKubectlNodes('NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE\nw1 Ready <none> 3d v1.29.0 10.0.0.11 <none> Ubuntu 22.04.3 LTS\nw2 Ready <none> 3d v1.29.0 <node-ip> <none> Ubuntu 22.04.3 LTS\n', { file: 'n' });
    expect(wide.records.map((r) => [r.name, r.internalIP])).toEqual([['w1', '10.0.0.11'], ['w2', undefined]]);
    expect(wide.warnings).toEqual([expect.objectContaining({ line: 3, message: expect.stringMatching(/<node-ip> is a placeholder/) })]);
  });

  it('kubectl get pods without -o wide is one warning that says to add -o wide, not one per line', () => {
    const r = parseKubectlPods('NAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/1     Running   0          3d\nweb-2   1/1     Running   2 (5d ago) 9d\n', { file: 'p' });
    expect(r.records).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ line: 1, message: expect.stringMatching(/without IP column.*-o wide/) })]);
  });

  it('RESTARTS with "(5d ago)" keeps the IP and NODE columns in place', () => {
    const r = parseKubectlPods('NAME    READY   STATUS    RESTARTS      AGE   IP           NODE\nweb-2   1/1     Running   2 (5d ago)    9d    10.244.1.7   w1\n', { file: 'p' });
    expect(r.records).toMatchObject([{ name: 'web-2', ip: '10.244.1.7', node: 'w1' }]);
  });
});

afterAll(() => undefined);

describe('brctl show from a page that collapsed its blanks', () => {
  // brctl prints tabs between the header's columns and indents continuation ports with tabs;
  // a web page that collapsed every run of blanks leaves single spaces and no indent.
  const tabbed = 'bridge name\tbridge id\t\tSTP enabled\tinterfaces\ncni0\t\t8000.e2ee89678398\tno\t\tveth28b04daf\n\t\t\t\t\t\t\tvethe6d4a6b8\n';
  const collapsed = tabbed.replace(/[ \t]+/g, ' ').replace(/^ /gm, '');

  it('a lone name under a bridge is its port, with a warning on that line', () => {
    const { records, warnings } = parseBrctlShow(collapsed, { file: 'b' });
    expect(records.map((b) => b.ports)).toEqual([['veth28b04daf', 'vethe6d4a6b8']]);
    expect(warnings.map((w) => w.line)).toEqual([3]);
  });

  it('with brctl\'s own tabs an unindented lone word is a stray line, not a port', () => {
    const stray = tabbed.replace('\t\t\t\t\t\t\tvethe6d4a6b8', 'vethe6d4a6b8');
    const { records, warnings } = parseBrctlShow(stray, { file: 'b' });
    expect(records.map((b) => b.ports)).toEqual([['veth28b04daf']]);
    expect(warnings.map((w) => w.line)).toEqual([3]);
  });
});
