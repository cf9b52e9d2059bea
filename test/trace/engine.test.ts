// The tracer on small hand-built clusters. Expected values come from documented kernel and
// kube-proxy behaviour (named in each test), not from podpath's output.
import { describe, expect, it } from 'vitest';
import { traceQuery } from '../../src/trace/trace.ts';
import type { TracePath, Step, NatStep, NetfilterStep } from '../../src/trace/model.ts';
import { flannelTopology, ns, iface, addr, route, netfilter } from './fixtures.ts';
import type { Topology } from '../../src/topology/model.ts';

const hopsOf = (path: TracePath) => path.hops.map((h) => `${h.at} ${h.interface}`);
const steps = (path: TracePath): Step[] => path.hops.flatMap((h) => h.steps);

describe('kube-proxy load balancing', () => {
  const result = traceQuery(flannelTopology(), { from: 'pod1', to: 'default/multi', sport: 40000 });

  it('follows every KUBE-SEP branch with the share kube-proxy\'s chained 1/(n-i) really gives', () => {
    // Rules: --probability 0.33333333349, then 0.50000000000, then none.
    const p1 = 0.33333333349;
    expect(result.paths.map((p) => p.endpoint)).toEqual(['192.168.1.8:8080', '192.168.2.12:8080', '192.168.2.13:8080']);
    expect(result.paths[0]!.probability).toBeCloseTo(p1, 12);
    expect(result.paths[1]!.probability).toBeCloseTo((1 - p1) * 0.5, 12);
    expect(result.paths[2]!.probability).toBeCloseTo((1 - p1) * 0.5, 12);
    expect(result.paths.every((p) => p.disposition === 'delivered')).toBe(true);
  });

  it('says which endpoint it picked, with what chance, and the rewrite', () => {
    const dnat = steps(result.paths[1]!).find((s): s is NatStep => s.type === 'nat')!;
    expect(dnat.explanation).toBe('kube-proxy picks endpoint 2 of 3 with probability 1/3 and rewrites the destination to 192.168.2.12:8080');
    // Said once: the jump into KUBE-SEP-M2 names the chain, the DNAT names the pick.
    const all = steps(result.paths[1]!).map((s) => s.explanation).join('\n');
    expect(all.split('endpoint 2 of 3').length - 1).toBe(1);
    expect(dnat.diffs).toEqual([{ field: 'dst', old: '10.96.0.20', new: '192.168.2.12' }, { field: 'dport', old: 80, new: 8080 }]);
    expect(dnat.rule).toBe('-A KUBE-SEP-M2 -p tcp -m comment --comment "default/multi:http" -m tcp -j DNAT --to-destination 192.168.2.12:8080');
    expect(steps(result.paths[1]!).some((s) => s.type === 'note' && s.explanation.startsWith('only the first packet of a connection crosses the nat table'))).toBe(true);
  });

  it('keeps only the asked endpoint with --endpoint, with its real probability', () => {
    const one = traceQuery(flannelTopology(), { from: 'pod1', to: '10.96.0.20:80', endpoint: '192.168.2.13:8080' });
    expect(one.paths).toHaveLength(1);
    expect(one.paths[0]!.probability).toBeCloseTo(1 / 3, 6);
    expect(() => traceQuery(flannelTopology(), { from: 'pod1', to: '10.96.0.20:80', endpoint: '1.2.3.4:80' })).toThrow(
      '--endpoint 1.2.3.4:80: no path reaches that endpoint (endpoints: 192.168.1.8:8080, 192.168.2.12:8080, 192.168.2.13:8080)',
    );
  });
});

describe('Flannel VXLAN', () => {
  it('crosses cni0, flannel.1 and eth0 with the outer header from ip -d link, neighbour and FDB', () => {
    const [path] = traceQuery(flannelTopology(), { from: 'pod1', to: '192.168.2.12:80', sport: 50058 }).paths;
    expect(hopsOf(path!)).toEqual([
      'pod1 eth0', 'worker-1 veth6b3caf45', 'worker-1 cni0', 'worker-1 flannel.1', 'worker-1 eth0',
      'worker-2 eth0', 'worker-2 flannel.1', 'worker-2 cni0', 'worker-2 vethaaaa0001', 'pod2 eth0',
    ]);
    // Outer: flannel.1's `local`, the FDB's dst for the neighbour's MAC, dstport 8472, VNI 1.
    const outer = path!.hops.filter((h) => h.outer).map((h) => h.outer);
    expect(outer).toEqual([
      { src: '10.74.107.63', dst: '10.74.107.62', dport: 8472, vni: 1, encapsulation: 'vxlan' },
      { src: '10.74.107.63', dst: '10.74.107.62', dport: 8472, vni: 1, encapsulation: 'vxlan' },
    ]);
    expect(path!.disposition).toBe('delivered');
    expect(path!.hops.at(-1)!.steps.at(-1)).toMatchObject({ type: 'deliver', to: 'pod2', port: 80 });
  });

  it('drops at flannel.1 when the FDB has no entry for the peer VTEP', () => {
    const [path] = traceQuery(flannelTopology({ dropFdb: true }), { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('fdb-missing');
    expect(hopsOf(path!).at(-1)).toBe('worker-1 flannel.1');
    expect(path!.reason).toContain('no FDB entry for a6:0d:d2:cd:65:14');
    expect(path!.clientSees).toBe('no answer');
  });

  it('ends with the FORWARD policy when nothing accepts the forwarded packet', () => {
    const [path] = traceQuery(flannelTopology({ forwardPolicy: 'DROP', flannelAccept: false }), { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('dropped');
    const last = steps(path!).filter((s): s is NetfilterStep => s.type === 'netfilter').at(-1)!;
    expect(last).toMatchObject({ table: 'filter', chain: 'FORWARD', rule: ':FORWARD DROP', action: 'policy-drop' });
  });

  it('answers ICMP net unreachable when the node has no route at all', () => {
    const [path] = traceQuery(flannelTopology({ dropRoute: true }), { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('no-route');
    expect(path!.clientSees).toBe('icmp net unreachable');
  });

  it('says which dumps are missing when the peer node was not given', () => {
    const [path] = traceQuery(flannelTopology({ withoutWorker2: true }), { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('insufficient-info');
    expect(path!.needs).toEqual(['ip addr', 'ip -d link', 'ip route', 'ip neigh', 'bridge fdb show', 'iptables-save'].map((command) => ({ at: 'the node at 10.74.107.62', command })));
    expect(path!.reason).toContain('the dumps of the node at 10.74.107.62 (`ip addr`, `ip -d link`, `ip route`, `ip neigh`, `bridge fdb show`, `iptables-save`) would settle it');
  });

  it('rejects a service without endpoints with kube-proxy\'s REJECT', () => {
    const [path] = traceQuery(flannelTopology(), { from: 'pod1', to: 'default/empty' }).paths;
    expect(path!.disposition).toBe('rejected');
    expect(path!.clientSees).toBe('icmp port unreachable');
    expect(path!.reason).toContain('-A KUBE-SERVICES -d 10.96.0.11/32 -p tcp -m comment --comment "default/empty:http has no endpoints"');
  });
});

describe('NodePort from outside', () => {
  it('DNATs, marks 0x4000 and masquerades to the outgoing device\'s address (inet_select_addr) with a random port', () => {
    const [path] = traceQuery(flannelTopology(), { from: '10.74.107.200', via: 'worker-1', to: '10.74.107.63:30080', sport: 33000 }).paths;
    expect(path!.disposition).toBe('delivered');
    expect(path!.endpoint).toBe('192.168.2.12:80');
    const masq = steps(path!).find((s): s is NatStep => s.type === 'nat' && s.action === 'masquerade')!;
    // flannel.1 holds only 192.168.1.0/32, so that is the source MASQUERADE picks.
    expect(masq.diffs).toEqual([{ field: 'src', old: '10.74.107.200', new: '192.168.1.0' }, { field: 'sport', old: 33000, new: undefined }]);
    const marks = steps(path!).filter((s): s is NetfilterStep => s.type === 'netfilter' && s.action === 'mark').map((s) => s.rule);
    expect(marks[0]).toBe('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000');
    // KUBE-FORWARD lets marked traffic through before FLANNEL-FWD is reached.
    expect(steps(path!).some((s) => s.type === 'netfilter' && s.chain === 'KUBE-FORWARD' && s.action === 'accept')).toBe(true);
    expect(path!.hops[0]).toMatchObject({ at: 'worker-1', interface: 'eth0' });
    expect(path!.hops.at(-1)!.packet).toEqual({ src: '192.168.1.0', dst: '192.168.2.12', dport: 80, proto: 'tcp' });
  });
});

describe('Flannel host-gw', () => {
  it('routes via the peer node\'s underlay address, no encapsulation', () => {
    const [path] = traceQuery(flannelTopology({ hostGw: true }), { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(hopsOf(path!)).toEqual(['pod1 eth0', 'worker-1 veth6b3caf45', 'worker-1 cni0', 'worker-1 eth0', 'worker-2 eth0', 'worker-2 cni0', 'worker-2 vethaaaa0001', 'pod2 eth0']);
    expect(path!.hops.some((h) => h.outer)).toBe(false);
  });
});

function calicoTopology(mode: 'ipip' | 'vxlan'): Topology {
  const nodes = [
    { name: 'worker-1', ip: '10.74.107.72', block: '192.168.226.64/26', pod: { name: 'pod1', ip: '192.168.226.74', cali: 'cali6abd5b4bbeb' } },
    { name: 'worker-2', ip: '10.74.107.73', block: '192.168.133.192/26', pod: { name: 'pod2', ip: '192.168.133.200', cali: 'calie6c0b1f3a7d' } },
  ];
  return {
    nodes: nodes.map((n) => {
      const peer = nodes.find((p) => p !== n)!;
      const tunnel = mode === 'ipip'
        ? iface(5, 'tunl0', { kind: 'ipip', ipip: {}, addresses: [addr(n.block.replace(/\d+\/26$/, (x) => `${Number(x.split('/')[0]) + 1}`), 32)] })
        : iface(5, 'vxlan.calico', { kind: 'vxlan', mac: n.name === 'worker-1' ? '66:93:7f:54:d5:53' : '66:e2:6c:ca:0c:ad', vxlan: { vni: 4096, port: 4789, local: n.ip, learning: false } });
      const peerRoute = mode === 'ipip'
        ? route(peer.block, { via: peer.ip, dev: 'tunl0', onlink: true, proto: 'bird' })
        : route(peer.block, { via: peer.block.replace('/26', ''), dev: 'vxlan.calico', onlink: true });
      return {
        name: n.name, addresses: [n.ip], podCIDRs: [n.block],
        netns: ns(n.name, 'node', {
          interfaces: [iface(2, 'eth0', { mac: `00:50:56:82:00:${n.name.slice(-1)}`, addresses: [addr(n.ip, 24)] }), tunnel, iface(16, n.pod.cali, { kind: 'veth', mac: 'ee:ee:ee:ee:ee:ee' })],
          routes: [route('10.74.107.0/24', { dev: 'eth0', scope: 'link', src: n.ip }), route(n.block, { type: 'blackhole', proto: 'bird' }), route(`${n.pod.ip}/32`, { dev: n.pod.cali, scope: 'link' }), peerRoute],
          neighbours: mode === 'vxlan' ? [{ ip: peer.block.replace('/26', ''), dev: 'vxlan.calico', mac: peer.name === 'worker-1' ? '66:93:7f:54:d5:53' : '66:e2:6c:ca:0c:ad', state: ['PERMANENT'], source: { file: 'f', line: 1 } }] : [],
          fdb: mode === 'vxlan' ? [{ mac: peer.name === 'worker-1' ? '66:93:7f:54:d5:53' : '66:e2:6c:ca:0c:ad', dev: 'vxlan.calico', dst: peer.ip, self: true, permanent: true, source: { file: 'f', line: 1 } }] : [],
          netfilter: netfilter('*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n'),
        }),
      };
    }),
    pods: nodes.map((n) => ({ name: n.pod.name, node: n.name, ip: n.pod.ip, hostInterface: n.pod.cali, podInterface: 'eth0', mac: '7a:1d:70:95:60:29' })),
    services: [], vteps: [], cni: { plugin: 'calico', mode, evidence: [] }, networkPolicies: [], warnings: [],
  };
}

describe('Calico', () => {
  it('reaches 169.254.1.1 by proxy ARP on the cali interface and routes by the /32', () => {
    const [path] = traceQuery(calicoTopology('vxlan'), { from: 'pod1', to: '192.168.133.200:80' }).paths;
    const arp = path!.hops[0]!.steps.find((s) => s.type === 'neighbour')!;
    expect(arp).toMatchObject({ ip: '169.254.1.1', result: 'proxy-arp', mac: 'ee:ee:ee:ee:ee:ee' });
    expect(hopsOf(path!)).toEqual(['pod1 eth0', 'worker-1 cali6abd5b4bbeb', 'worker-1 vxlan.calico', 'worker-1 eth0', 'worker-2 eth0', 'worker-2 vxlan.calico', 'worker-2 calie6c0b1f3a7d', 'pod2 eth0']);
    expect(path!.hops[3]!.outer).toEqual({ src: '10.74.107.72', dst: '10.74.107.73', dport: 4789, vni: 4096, encapsulation: 'vxlan' });
  });

  it('encapsulates IP-in-IP on tunl0 towards the route\'s gateway, protocol 4', () => {
    const [path] = traceQuery(calicoTopology('ipip'), { from: 'pod1', to: '192.168.133.200:80' }).paths;
    expect(hopsOf(path!)).toEqual(['pod1 eth0', 'worker-1 cali6abd5b4bbeb', 'worker-1 tunl0', 'worker-1 eth0', 'worker-2 eth0', 'worker-2 tunl0', 'worker-2 calie6c0b1f3a7d', 'pod2 eth0']);
    expect(path!.hops[3]!.outer).toEqual({ src: '10.74.107.72', dst: '10.74.107.73', encapsulation: 'ipip' });
    expect(path!.disposition).toBe('delivered');
  });

  it('stops at the blackhole route of a block with no such pod', () => {
    const [path] = traceQuery(calicoTopology('vxlan'), { from: 'pod1', to: '192.168.226.99:80' }).paths;
    expect(path!.disposition).toBe('blackhole');
    expect(path!.reason).toContain('blackhole 192.168.226.64/26 proto bird');
  });
});

describe('loops', () => {
  it('stops a routing loop between two nodes and says so', () => {
    const topology = flannelTopology({ hostGw: true });
    // worker-2 sends 192.168.9.0/24 back to worker-1, which sends it to worker-2.
    topology.nodes[0]!.netns.routes.push(route('192.168.9.0/24', { via: '10.74.107.62', dev: 'eth0' }));
    topology.nodes[1]!.netns.routes.push(route('192.168.9.0/24', { via: '10.74.107.63', dev: 'eth0' }));
    const [path] = traceQuery(topology, { from: 'pod1', to: '192.168.9.9:80' }).paths;
    expect(path!.disposition).toBe('loop');
  });
});

describe('sources', () => {
  it('host-network traffic takes the route\'s preferred source: flannel.1\'s address towards a remote pod', () => {
    // fib_result_prefsrc → inet_select_addr(flannel.1): its only address, 192.168.1.0.
    const result = traceQuery(flannelTopology(), { from: 'worker-1', to: '192.168.2.12:80' });
    expect(result.query.packet.src).toBe('192.168.1.0');
    expect(result.paths[0]!.hops[0]).toMatchObject({ at: 'worker-1', interface: 'flannel.1' });
    expect(result.paths[0]!.disposition).toBe('delivered');
  });

  it('a pod without a route fails at once with ENETUNREACH, on a hop that never left the pod', () => {
    const topology = flannelTopology({ podDumps: true });
    const pod1 = topology.pods.find((p) => p.name === 'pod1')!;
    pod1.netns!.routes = pod1.netns!.routes.filter((r) => r.dst !== 'default' && r.dst !== '192.168.0.0/16');
    const [path] = traceQuery(topology, { from: 'pod1', to: '8.8.8.8:53/udp' }).paths;
    expect(path!.disposition).toBe('no-route');
    expect(path!.clientSees).toBe('network is unreachable (ENETUNREACH)');
    expect(path!.hops).toHaveLength(1);
    expect(path!.hops[0]).toMatchObject({ at: 'pod1', interface: '-' });
  });

  it('a pod without its own dumps gets the CNI\'s default route, and the trace says it assumed it', () => {
    const [path] = traceQuery(flannelTopology(), { from: 'pod1', to: '192.168.2.12:80' }).paths;
    const note = path!.hops[0]!.steps.find((s) => s.type === 'note')!;
    expect(note.explanation).toBe("pod1's own dumps were not given; podpath assumed its eth0 holds 192.168.1.7 with default via 192.168.1.1 dev eth0, the bridge cni0's address");
  });
});

describe('br_netfilter on the bridge', () => {
  it('bridges a frame between two pods on the same bridge without the host routing it (cni0 never sees it)', () => {
    const [path] = traceQuery(flannelTopology(), { from: 'pod1', to: '192.168.1.8:8080' }).paths;
    expect(hopsOf(path!)).toEqual(['pod1 eth0', 'worker-1 veth6b3caf45', 'worker-1 veth100d66d7', 'pod3 eth0']);
    expect(path!.hops.at(-1)!.packet).toEqual({ src: '192.168.1.7', dst: '192.168.1.8', dport: 8080, proto: 'tcp' });
    const chains = path!.hops[1]!.steps.filter((s): s is NetfilterStep => s.type === 'netfilter').map((s) => `${s.table} ${s.chain}`);
    expect(chains).toContain('filter FORWARD');
  });

  it('runs FORWARD for frames bridged port to port, where physdev --physdev-is-bridged holds', () => {
    const topology = flannelTopology();
    const filter = topology.nodes[0]!.netns.netfilter!.tables['filter']!;
    const bridgedDrop = netfilter('*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m physdev --physdev-is-bridged --physdev-in veth6b3caf45 -j DROP\nCOMMIT\n').tables['filter']!.chains['FORWARD']!.rules[0]!;
    filter.chains['FORWARD']!.rules.unshift(bridgedDrop);
    // pod1 → pod3: same subnet, so pod1 ARPs for pod3 and the bridge forwards the frame port to port.
    const [bridged] = traceQuery(topology, { from: 'pod1', to: '192.168.1.8:8080' }).paths;
    expect(hopsOf(bridged!)).toEqual(['pod1 eth0', 'worker-1 veth6b3caf45']);
    expect(bridged!.disposition).toBe('dropped');
    expect(bridged!.reason).toContain('-m physdev --physdev-is-bridged');
    // pod1 → pod2 is routed (via cni0's address): not bridged, so the rule does not match.
    const [routed] = traceQuery(topology, { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(routed!.disposition).toBe('delivered');
  });
});

describe('stale or missing facts', () => {
  it('drops on the peer when the sender\'s VTEP entries name a MAC the peer\'s flannel.1 no longer has', () => {
    const topology = flannelTopology();
    const w1 = topology.nodes[0]!.netns;
    // flannel.1 on worker-2 was recreated with a new MAC; worker-1 still has the old one (neighbour + FDB).
    w1.neighbours[0] = { ...w1.neighbours[0]!, mac: 'a6:0d:d2:cd:65:99' };
    w1.fdb[0] = { ...w1.fdb[0]!, mac: 'a6:0d:d2:cd:65:99' };
    const [path] = traceQuery(topology, { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('dropped');
    // tcpdump on worker-2's flannel.1 still sees the frame: the drop is in ip_rcv, after the tap.
    expect(hopsOf(path!).at(-1)).toBe('worker-2 flannel.1');
    expect(path!.reason).toContain('addressed to a6:0d:d2:cd:65:99');
  });

  it('notes a node whose iptables-save is missing and treats it as having no rules', () => {
    const topology = flannelTopology();
    const w2 = topology.nodes[1]!.netns;
    delete w2.netfilter;
    w2.dumps = w2.dumps.filter((d) => d !== 'iptables');
    const [path] = traceQuery(topology, { from: 'pod1', to: '192.168.2.12:80' }).paths;
    expect(path!.disposition).toBe('delivered');
    expect(steps(path!).some((s) => s.type === 'note' && s.explanation === "worker-2's iptables-save is not in the dumps; podpath assumed it has no rules (every hook accepts)")).toBe(true);
  });
});

describe('kube-proxy IPVS mode', () => {
  it('stops at a service address bound to kube-ipvs0 and names the dump that would settle it', () => {
    const topology = flannelTopology();
    topology.nodes[0]!.netns.interfaces.push(iface(30, 'kube-ipvs0', { kind: 'dummy', addresses: [addr('10.96.0.77', 32)] }));
    const [path] = traceQuery(topology, { from: 'pod1', to: '10.96.0.77:80' }).paths;
    expect(path!.disposition).toBe('insufficient-info');
    expect(path!.needs).toEqual([{ at: 'worker-1', command: 'ipvsadm -Ln' }]);
    expect(path!.reason).toContain('`ipvsadm -Ln` on worker-1');
  });
});

describe('an address nobody holds', () => {
  it('ends on the peer node when no pod on cni0 answers ARP: the packet never reaches cni0', () => {
    const [path] = traceQuery(flannelTopology(), { from: 'pod1', to: '192.168.2.99:80' }).paths;
    expect(path!.disposition).toBe('neighbour-unresolved');
    expect(hopsOf(path!).at(-1)).toBe('worker-2 flannel.1');
    expect(path!.clientSees).toBe('icmp host unreachable');
  });
});
