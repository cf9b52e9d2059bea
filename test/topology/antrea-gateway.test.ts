// Antrea's gateway port antrea-gw0 holds the first address of the node's pod CIDR (antrea-io/antrea
// release notes v0.12.2, #1900), so its connected route is the node's own pod CIDR, as cni0's is.
// In encap mode Antrea also routes every other node's CIDR through it, `via <their gateway> dev
// antrea-gw0 onlink` (its docs/design/architecture.md), and AntreaProxy's service range via
// 169.254.0.253: those are not this node's pods. Expected values are the routes' own text.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPodpath } from '../helpers/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-antrea-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TWO_NODES = `root@node1:~# ip route
default via 192.168.64.1 dev ens3 proto dhcp src 192.168.64.27 metric 100
10.42.0.0/24 dev antrea-gw0 proto kernel scope link src 10.42.0.1
10.42.1.0/24 via 10.42.1.1 dev antrea-gw0 onlink
192.168.64.0/24 dev ens3 proto kernel scope link src 192.168.64.27
root@node2:~# ip route
default via 192.168.64.1 dev ens3 proto dhcp src 192.168.64.28 metric 100
10.42.0.0/24 via 10.42.0.1 dev antrea-gw0 onlink
10.42.1.0/24 dev antrea-gw0 proto kernel scope link src 10.42.1.1
10.96.0.0/12 via 169.254.0.253 dev antrea-gw0 onlink
169.254.0.253 dev antrea-gw0 scope link
192.168.64.0/24 dev ens3 proto kernel scope link src 192.168.64.28
root@node2:~# ip addr
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    inet 127.0.0.1/8 scope host lo
2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
    inet 192.168.64.28/24 brd 192.168.64.255 scope global ens3
5: antrea-gw0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UNKNOWN group default qlen 1000
    link/ether 8a:3e:1c:22:4d:5f brd ff:ff:ff:ff:ff:ff
    inet 10.42.1.1/24 brd 10.42.1.255 scope global antrea-gw0
`;

describe('antrea-gw0', () => {
  it("each node's pod CIDR is its gateway's connected subnet, not the other nodes' nor the service range routed through it", async () => {
    const file = join(dir, 't.txt');
    writeFileSync(file, TWO_NODES);
    const r = await runPodpath(['topology', file, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as { nodes: { name: string; addresses: string[]; podCIDRs: string[] }[]; warnings: { message: string }[] };
    expect(t.nodes.map((n) => [n.name, n.podCIDRs])).toEqual([
      ['node1', ['10.42.0.0/24']],
      ['node2', ['10.42.1.0/24']],
    ]);
    // Its address is the pods' gateway, not the node's own.
    expect(t.nodes.find((n) => n.name === 'node2')?.addresses).toEqual(['192.168.64.28']);
    expect(t.warnings.filter((w) => /disagree/.test(w.message))).toEqual([]);
  });
});
