// TEST FIXTURES, hand-made for the UI's unit tests only: a small trace and topology
// shaped like the user's Flannel example (worker-1/worker-2, pod1 192.168.1.7 →
// service → 192.168.2.12:80). They exercise the components' layout and keys; the
// end-to-end test (ui.tmux.test.ts) runs the real loaders and tracer on samples/.
import type { Topology } from '../../src/topology/model.ts';
import type { Hop, TracePath, TraceResult } from '../../src/trace/model.ts';

export const DNAT_RULE =
  '-A KUBE-SEP-FIXTUREAAAAAAAA -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 192.168.2.12:80';

const pod1Hop: Hop = {
  at: 'pod1',
  interface: 'eth0',
  packet: { src: '192.168.1.7', dst: '10.96.0.20', sport: 50058, dport: 80, proto: 'tcp' },
  steps: [
    {
      type: 'route',
      table: 'main',
      chosen: 'default via 192.168.1.1 dev eth0',
      losers: [],
      result: 'forward',
      outInterface: 'eth0',
      nextHop: '192.168.1.1',
      explanation: 'pod1 sends everything off-link to its gateway on cni0',
    },
  ],
};

const cniHop: Hop = {
  at: 'worker-1',
  interface: 'cni0',
  packet: { src: '192.168.1.7', dst: '10.96.0.20', sport: 50058, dport: 80, proto: 'tcp' },
  steps: [
    {
      type: 'netfilter',
      table: 'nat',
      chain: 'PREROUTING',
      rule: '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      action: 'jump',
      explanation: 'every packet entering the node is checked against the services',
    },
    {
      type: 'nat',
      table: 'nat',
      chain: 'KUBE-SEP-FIXTUREAAAAAAAA',
      rule: DNAT_RULE,
      action: 'dnat',
      diffs: [{ field: 'dst', old: '10.96.0.20', new: '192.168.2.12' }],
      explanation: 'kube-proxy rewrites the destination to the endpoint',
      source: { file: 'fixture/worker-1/iptables-save', line: 42 },
    },
    {
      type: 'route',
      table: 'main',
      chosen: '192.168.2.0/24 via 192.168.2.0 dev flannel.1 onlink',
      losers: ['default via 10.74.107.154 dev eth0 proto static'],
      result: 'forward',
      outInterface: 'flannel.1',
      nextHop: '192.168.2.0',
      explanation: 'the longest prefix sends it to the overlay',
    },
  ],
};

const vxlanHop: Hop = {
  at: 'worker-1',
  interface: 'eth0',
  packet: { src: '192.168.1.7', dst: '192.168.2.12', sport: 50058, dport: 80, proto: 'tcp' },
  outer: { src: '10.74.107.63', dst: '10.74.107.62', dport: 8472, vni: 1, encapsulation: 'vxlan' },
  steps: [
    {
      type: 'encapsulate',
      device: 'flannel.1',
      vni: 1,
      localVtep: '10.74.107.63',
      remoteVtep: '10.74.107.62',
      outer: { src: '10.74.107.63', dst: '10.74.107.62', dport: 8472, vni: 1, encapsulation: 'vxlan' },
      explanation: 'flannel.1 wraps the frame in VXLAN to worker-2',
    },
  ],
};

const pod2Hop: Hop = {
  at: 'pod2',
  interface: 'eth0',
  packet: { src: '192.168.1.7', dst: '192.168.2.12', sport: 50058, dport: 80, proto: 'tcp' },
  steps: [{ type: 'deliver', to: 'pod2', port: 80, explanation: 'pod2 receives it' }],
};

export const deliveredPath: TracePath = {
  endpoint: '192.168.2.12:80',
  probability: 0.5,
  disposition: 'delivered',
  reason: 'delivered to pod2 port 80',
  hops: [pod1Hop, cniHop, vxlanHop, pod2Hop],
};

export const droppedPath: TracePath = {
  endpoint: '192.168.2.13:80',
  probability: 0.5,
  disposition: 'dropped',
  reason: 'dropped by FORWARD policy DROP',
  hops: [pod1Hop, { ...cniHop, steps: [{ type: 'drop', disposition: 'dropped', explanation: 'policy DROP' }] }],
};

export const fixtureTrace: TraceResult = {
  query: { from: 'pod1', to: '10.96.0.20:80', packet: pod1Hop.packet },
  paths: [deliveredPath, droppedPath],
  warnings: [{ file: 'fixture', message: 'one warning' }],
};

const iface = (index: number, name: string, extra: Record<string, unknown> = {}) => ({ index, name, flags: [], addresses: [], ...extra });

export const fixtureTopology: Topology = {
  nodes: [
    {
      name: 'worker-1',
      addresses: ['10.74.107.63'],
      podCIDRs: ['192.168.1.0/24'],
      netns: {
        name: 'worker-1',
        kind: 'node',
        interfaces: [
          iface(2, 'eth0', { kind: 'ether', addresses: [{ family: 4, address: '10.74.107.63', prefixLength: 24 }] }),
          iface(4, 'flannel.1', { kind: 'vxlan', vxlan: { vni: 1, port: 8472, learning: false }, addresses: [{ family: 4, address: '192.168.1.0', prefixLength: 32 }] }),
          iface(5, 'cni0', { kind: 'bridge', addresses: [{ family: 4, address: '192.168.1.1', prefixLength: 24 }] }),
          iface(11, 'veth6b3caf45', { kind: 'veth', master: 'cni0' }),
        ],
        routes: [],
        rules: [],
        neighbours: [],
        fdb: [],
        bridges: [{ name: 'cni0', ports: ['veth6b3caf45'] }],
        dumps: [],
      },
    },
    {
      name: 'worker-2',
      addresses: ['10.74.107.62'],
      podCIDRs: ['192.168.2.0/24'],
      netns: {
        name: 'worker-2',
        kind: 'node',
        interfaces: [
          iface(2, 'eth0', { kind: 'ether', addresses: [{ family: 4, address: '10.74.107.62', prefixLength: 24 }] }),
          iface(4, 'flannel.1', { kind: 'vxlan', vxlan: { vni: 1, port: 8472, learning: false } }),
          iface(5, 'cni0', { kind: 'bridge' }),
          iface(9, 'veth0a0b0c0d', { kind: 'veth', master: 'cni0' }),
        ],
        routes: [],
        rules: [],
        neighbours: [],
        fdb: [],
        bridges: [{ name: 'cni0', ports: ['veth0a0b0c0d'] }],
        dumps: [],
      },
    },
  ],
  pods: [
    { name: 'pod1', node: 'worker-1', ip: '192.168.1.7', hostInterface: 'veth6b3caf45', podInterface: 'eth0' },
    { name: 'pod2', node: 'worker-2', ip: '192.168.2.12', hostInterface: 'veth0a0b0c0d', podInterface: 'eth0' },
  ],
  services: [],
  vteps: [
    { node: 'worker-1', device: 'flannel.1', vni: 1, port: 8472, local: '10.74.107.63', remotes: [{ mac: 'a6:0d:d2:cd:65:14', dst: '10.74.107.62', node: 'worker-2' }] },
    { node: 'worker-2', device: 'flannel.1', vni: 1, port: 8472, local: '10.74.107.62', remotes: [{ mac: '7e:4f:1b:41:c7:7a', dst: '10.74.107.63', node: 'worker-1' }] },
  ],
  cni: { plugin: 'flannel', mode: 'vxlan', evidence: [] },
  networkPolicies: [],
  warnings: [{ file: 'fixture', line: 1, message: 'fixture warning' }],
};
