// The lab's scenarios (names fixed by docs/samples-format.md). Names, addresses, MACs
// and ifindexes come from the user's dumps (shared/seed/000-networking-section.txt) where
// the user showed them; the rest are made up in the same style and marked "invented".
import type { ConnectionSpec, Fault, NetworkPolicyObject, NodeSpec, PodSpec, ScenarioSpec, ServiceSpec } from './lib/spec.ts';
import { UDP_PROBE_PORT } from './lib/record.ts';

const GATEWAY = '10.74.107.154';

// ---------------------------------------------------------------- Flannel (user's cluster)
const flannelNodes: NodeSpec[] = [
  {
    name: 'worker-1',
    underlay: '10.74.107.63',
    underlayMac: '00:50:56:82:51:0c', // Src of the user's worker-2 capture (10.74.107.63 → .62)
    podCIDR: '192.168.1.0/24',
    vtepMac: '7e:4f:1b:41:c7:7a',
    bridgeMac: 'e2:b0:c7:1e:8e:7a',
    docker0Mac: '02:42:de:f0:74:4f',
  },
  {
    name: 'worker-2',
    underlay: '10.74.107.62',
    underlayMac: '00:50:56:82:a9:01', // Dst of the user's capture
    podCIDR: '192.168.2.0/24',
    vtepMac: 'a6:0d:d2:cd:65:14', // inner Dst of the user's capture
    bridgeMac: '3a:52:7b:8e:d1:06', // invented
    docker0Mac: '02:42:5a:13:9e:c1', // invented
  },
];

const flannelPods: PodSpec[] = [
  // pod1: eth0@if11 (index 3), host veth6b3caf45 index 11, as in the user's `ip a`.
  { name: 'pod1', node: 'worker-1', ip: '192.168.1.7', mac: '6a:97:3e:20:55:e6', hostInterface: 'veth6b3caf45', hostMac: 'de:9c:43:da:8b:ce', hostIfindex: 11 },
  // web-a sits on another of the user's cni0 ports (veth100d66d7); address invented.
  { name: 'web-a', node: 'worker-1', ip: '192.168.1.5', mac: '2a:11:9c:4e:07:b3', hostInterface: 'veth100d66d7', hostMac: '86:3d:5e:a1:42:9f', hostIfindex: 9, serves: 80 },
  { name: 'pod2', node: 'worker-2', ip: '192.168.2.12', mac: '5e:0b:d4:72:c8:19', hostInterface: 'veth3a9c2e71', hostMac: 'f6:8a:21:5b:3c:d0', hostIfindex: 7, serves: 80 },
  { name: 'web-b', node: 'worker-2', ip: '192.168.2.13', mac: '0e:6f:a2:93:14:5c', hostInterface: 'vethc51f08d4', hostMac: 'b2:47:e9:0d:66:28', hostIfindex: 8, serves: 80 },
];

function services(remote: string, spread: string[], nodePort: number): ServiceSpec[] {
  return [
    // one endpoint, on the other node than the client pod; also a NodePort
    { namespace: 'default', name: 'web', portName: 'http', clusterIP: '10.96.0.10', port: 80, protocol: 'tcp', nodePort, endpoints: [{ ip: remote, port: 80 }] },
    // several endpoints on both nodes
    { namespace: 'default', name: 'spread', portName: 'http', clusterIP: '10.96.0.20', port: 80, protocol: 'tcp', endpoints: spread.map((ip) => ({ ip, port: 80 })) },
    // no endpoints: kube-proxy REJECTs in filter KUBE-SERVICES
    { namespace: 'default', name: 'empty', portName: 'http', clusterIP: '10.96.0.30', port: 80, protocol: 'tcp', endpoints: [] },
  ];
}

/** The connections every healthy scenario makes; faults use the first two. */
function connections(remotePod: string, remotePodIp: string, remoteNodeIp: string, nodePort: number): ConnectionSpec[] {
  return [
    { id: `pod1-to-${remotePod}`, from: 'pod1', to: `${remotePodIp}:80`, sport: 50058 },
    { id: 'pod1-to-web', from: 'pod1', to: '10.96.0.10:80', service: 'default/web:http', sport: 50060 },
    { id: 'pod1-to-spread-1', from: 'pod1', to: '10.96.0.20:80', service: 'default/spread:http', sport: 50062 },
    { id: 'pod1-to-spread-2', from: 'pod1', to: '10.96.0.20:80', service: 'default/spread:http', sport: 50064 },
    { id: 'pod1-to-empty', from: 'pod1', to: '10.96.0.30:80', service: 'default/empty:http', sport: 50066 },
    { id: 'worker-1-to-web-nodeport', from: 'worker-1', to: `${remoteNodeIp}:${nodePort}`, service: 'default/web:http', sport: 50068 },
  ];
}

function flannelScenario(
  name: string, tag: string, mode: 'vxlan' | 'host-gw', description: string, fault?: Fault, clientTimeoutSeconds?: number,
  kubeProxyMode?: ScenarioSpec['kubeProxyMode'],
): ScenarioSpec {
  const all = connections('pod2', '192.168.2.12', '10.74.107.62', 30080);
  return {
    name,
    tag,
    cni: { plugin: 'flannel', mode },
    clusterCIDR: '192.168.0.0/16',
    gateway: GATEWAY,
    nodes: flannelNodes,
    pods: flannelPods,
    services: services('192.168.2.12', ['192.168.1.5', '192.168.2.12', '192.168.2.13'], 30080),
    connections: fault === undefined ? all : all.slice(0, 2),
    ...(fault === undefined ? {} : { fault }),
    ...(clientTimeoutSeconds === undefined ? {} : { clientTimeoutSeconds }),
    ...(kubeProxyMode === undefined ? {} : { kubeProxyMode }),
    anyCaptureNode: 'worker-2', // the user captured on worker-2
    description,
  };
}

// ---------------------------------------------------------------- Calico (user's cluster)
const calicoNodes: NodeSpec[] = [
  { name: 'worker-1', underlay: '10.74.107.72', underlayMac: '00:50:56:82:6b:75', podCIDR: '192.168.226.64/26', vtepMac: '66:93:7f:54:d5:53', docker0Mac: '02:42:20:9d:01:22' },
  { name: 'worker-2', underlay: '10.74.107.73', underlayMac: '00:50:56:82:2a:53', podCIDR: '192.168.133.192/26', vtepMac: '66:e2:6c:ca:0c:ad', docker0Mac: '02:42:7c:e8:33:0a' /* invented */ },
];

const CALI_MAC = 'ee:ee:ee:ee:ee:ee';
const calicoPods: PodSpec[] = [
  // The three workloads of the user's worker-1 `ip l` (cali9558f23398a 6, cali5d30ef99766 15, cali6abd5b4bbeb 16).
  { name: 'pod0', node: 'worker-1', ip: '192.168.226.65', mac: '9a:3c:51:e2:08:7d', hostInterface: 'cali9558f23398a', hostMac: CALI_MAC, hostIfindex: 6 },
  { name: 'web-a', node: 'worker-1', ip: '192.168.226.73', mac: 'c6:21:8f:4b:90:e5', hostInterface: 'cali5d30ef99766', hostMac: CALI_MAC, hostIfindex: 15, serves: 80 },
  { name: 'pod1', node: 'worker-1', ip: '192.168.226.74', mac: '7a:1d:70:95:60:29', hostInterface: 'cali6abd5b4bbeb', hostMac: CALI_MAC, hostIfindex: 16 },
  { name: 'pod2', node: 'worker-2', ip: '192.168.133.200', mac: '4e:b8:02:d7:5a:13', hostInterface: 'calie6c0b1f3a7d', hostMac: CALI_MAC, hostIfindex: 9, serves: 80 },
  { name: 'web-b', node: 'worker-2', ip: '192.168.133.201', mac: '12:c4:7b:e0:3f:96', hostInterface: 'cali1d2e3f4a5b6', hostMac: CALI_MAC, hostIfindex: 10, serves: 80 },
];

const CALICO_NO_ENDPOINTS_NOTE =
  ' The service without endpoints is not refused but times out: felix\'s FORWARD rules accept the pod\'s packet (mark 0x10000) ' +
  'before kube-proxy\'s REJECT in filter KUBE-SERVICES is reached, a known interaction (projectcalico/calico#1055, #3548; kubernetes/kubernetes#78994).';

function calicoScenario(name: string, tag: string, mode: 'vxlan' | 'bgp', description: string): ScenarioSpec {
  return {
    name,
    tag,
    cni: { plugin: 'calico', mode },
    clusterCIDR: '192.168.0.0/16',
    gateway: GATEWAY,
    nodes: calicoNodes,
    pods: calicoPods,
    services: services('192.168.133.200', ['192.168.226.73', '192.168.133.200', '192.168.133.201'], 30080),
    connections: connections('pod2', '192.168.133.200', '10.74.107.73', 30080),
    anyCaptureNode: 'worker-2',
    description: description + CALICO_NO_ENDPOINTS_NOTE,
  };
}

// ---------------------------------------------------------------- beyond the happy path (issue 15)
const UDP = UDP_PROBE_PORT;
const withUdp = (pods: PodSpec[], names: string[]): PodSpec[] => pods.map((p) => (names.includes(p.name) ? { ...p, servesUdp: UDP } : p));

/** Flannel vxlan with the user's names, for the scenarios below; they differ in pods, services, preparations and connections. */
function flannelBase(name: string, tag: string, description: string): Omit<ScenarioSpec, 'pods' | 'services' | 'connections'> {
  return {
    name, tag, cni: { plugin: 'flannel', mode: 'vxlan' }, clusterCIDR: '192.168.0.0/16', gateway: GATEWAY,
    nodes: flannelNodes, anyCaptureNode: 'worker-2', description,
  };
}

const mtuOverlay: ScenarioSpec = {
  ...flannelBase('mtu-overlay', 'mo',
    'Flannel vxlan where pod1\'s veth pair has MTU 1500 while cni0 and flannel.1 have 1450 (the seed\'s "mtu 1450" lines): ' +
      'UDP datagrams (udp-probe.py, sizes are IP total lengths) with and without DF. A 1500-byte DF datagram is refused by ip_forward\'s MTU check on worker-1 ' +
      '(before the FORWARD hook) with ICMP fragmentation needed (mtu 1450) from cni0\'s 192.168.1.1, and the client\'s socket reports EMSGSIZE; without DF worker-1 fragments it. ' +
      'worker-1 has a route with an mtu attribute (192.168.2.13/32 … mtu 1400) that lowers the limit for web-b; worker-1\'s own 1500-byte DF datagram fails at send() with EMSGSIZE, and without DF it leaves flannel.1 in two fragments.'),
  pods: withUdp(flannelPods, ['pod2', 'web-b']).map((p) => (p.name === 'pod1' ? { ...p, mtu: 1500 } : p)),
  services: services('192.168.2.12', ['192.168.1.5', '192.168.2.12', '192.168.2.13'], 30080),
  prepare: [{ kind: 'route', node: 'worker-1', route: ['192.168.2.13/32', 'via', '192.168.2.0', 'dev', 'flannel.1', 'onlink', 'mtu', '1400'] }],
  connections: [
    { id: 'pod1-udp-1500-df', from: 'pod1', to: `192.168.2.12:${UDP}`, proto: 'udp', size: 1500, df: true, sport: 50200 },
    { id: 'pod1-udp-1450-df', from: 'pod1', to: `192.168.2.12:${UDP}`, proto: 'udp', size: 1450, df: true, sport: 50202 },
    { id: 'pod1-udp-1500-to-web-b', from: 'pod1', to: `192.168.2.13:${UDP}`, proto: 'udp', size: 1500, df: false, sport: 50204 },
    { id: 'pod1-udp-1450-df-to-web-b', from: 'pod1', to: `192.168.2.13:${UDP}`, proto: 'udp', size: 1450, df: true, sport: 50206 },
    { id: 'worker-1-udp-1500-df', from: 'worker-1', to: `192.168.2.12:${UDP}`, proto: 'udp', size: 1500, df: true, sport: 50208 },
    { id: 'worker-1-udp-1500', from: 'worker-1', to: `192.168.2.12:${UDP}`, proto: 'udp', size: 1500, df: false, sport: 50210 },
  ],
};

const arpUnanswered: ScenarioSpec = {
  ...flannelBase('arp-unanswered', 'au',
    'Flannel vxlan with stale endpoints nobody holds: 192.168.1.9 on worker-1\'s cni0 and 192.168.2.99 on worker-2\'s; both bridges\' ports are all known pods. ' +
      'The kernel ARPs, gets no answer, keeps the packet queued (it never appears on the egress device) and after its 3 probes (1 s apart) drops it with ICMP host unreachable ' +
      'from the address it would answer the client from; where worker-1 DNATed the packet, its conntrack rewrites that answer to come from the service VIP.'),
  pods: withUdp(flannelPods, []),
  services: [
    { namespace: 'default', name: 'stale-remote', portName: 'http', clusterIP: '10.96.0.41', port: 80, protocol: 'tcp', endpoints: [{ ip: '192.168.2.99', port: 80 }] },
    { namespace: 'default', name: 'stale-local', portName: 'http', clusterIP: '10.96.0.40', port: 80, protocol: 'tcp', endpoints: [{ ip: '192.168.1.9', port: 80 }] },
  ],
  connections: [
    { id: 'pod1-to-stale-remote', from: 'pod1', to: '10.96.0.41:80', service: 'default/stale-remote:http', sport: 50220 },
    { id: 'pod1-to-stale-local', from: 'pod1', to: '10.96.0.40:80', service: 'default/stale-local:http', sport: 50222 },
    { id: 'pod1-to-absent-remote-pod', from: 'pod1', to: '192.168.2.99:80', sport: 50224 },
  ],
  // Long enough for the kernel's ARP give-up (3 × 1 s) and its answer to reach the client.
  clientTimeoutSeconds: 4,
};

const WEB_C: PodSpec = { name: 'web-c', node: 'worker-1', ip: '192.168.1.6', mac: '3e:5a:c4:19:72:0b', hostInterface: 'veth7d21a9e3', hostMac: 'c2:0e:58:f1:3a:64', hostIfindex: 10, serves: 80 }; // invented
const bridgeOrder: ScenarioSpec = {
  ...flannelBase('bridge-order', 'bo',
    'Flannel vxlan, two ClusterIPs whose one endpoint sits on the client\'s own bridge (routed back out of cni0, br_netfilter\'s bridged DNAT). ' +
      'worker-1\'s neighbour entry for web-a (192.168.1.5) is REACHABLE (a datagram from worker-1 just before), so br_netfilter takes its fast path: the frame goes to web-a\'s port first; ' +
      'the entry for web-c (192.168.1.6) is STALE (written so), so the frame leaves through the bridge device cni0 first (neigh_resolve_output), then the port.'),
  pods: [...flannelPods, WEB_C],
  services: [
    { namespace: 'default', name: 'local-a', portName: 'http', clusterIP: '10.96.0.50', port: 80, protocol: 'tcp', endpoints: [{ ip: '192.168.1.5', port: 80 }] },
    { namespace: 'default', name: 'local-c', portName: 'http', clusterIP: '10.96.0.51', port: 80, protocol: 'tcp', endpoints: [{ ip: '192.168.1.6', port: 80 }] },
  ],
  prepare: [
    { kind: 'contact', node: 'worker-1', to: '192.168.1.5' },
    { kind: 'neigh', node: 'worker-1', ip: '192.168.1.6', dev: 'cni0', mac: WEB_C.mac, state: 'stale' },
  ],
  connections: [
    { id: 'pod1-to-local-a-reachable', from: 'pod1', to: '10.96.0.50:80', service: 'default/local-a:http', sport: 50240 },
    { id: 'pod1-to-local-c-stale', from: 'pod1', to: '10.96.0.51:80', service: 'default/local-c:http', sport: 50242 },
  ],
};

// ---------------------------------------------------------------- NetworkPolicy (issue 15, item 5)
/** A NetworkPolicy in namespace default, as people write them (the seed's notes: deny-all-incoming, deny-all-outgoing …). */
function policy(name: string, spec: NetworkPolicyObject['spec']): NetworkPolicyObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'default' }, spec };
}
const DENY_ALL_INCOMING = policy('deny-all-incoming', { podSelector: {}, policyTypes: ['Ingress'] });
const labelled = (pods: PodSpec[], labels: Record<string, Record<string, string>>): PodSpec[] =>
  pods.map((p) => ({ ...p, labels: { run: p.name, ...(labels[p.name] ?? {}) } }));

const calicoPolicy: ScenarioSpec = {
  name: 'calico-policy',
  tag: 'cp',
  cni: { plugin: 'calico', mode: 'vxlan' },
  clusterCIDR: '192.168.0.0/16',
  gateway: GATEWAY,
  nodes: calicoNodes,
  pods: labelled(calicoPods, { pod0: { role: 'locked' }, pod1: { role: 'client' }, 'web-a': { app: 'web' }, 'web-b': { app: 'web' }, pod2: { app: 'api' } }),
  services: [
    { namespace: 'default', name: 'web', portName: 'http', clusterIP: '10.96.0.60', port: 80, protocol: 'tcp', endpoints: [{ ip: '192.168.133.201', port: 80 }] },
  ],
  networkPolicies: {
    output: 'yaml',
    items: [
      DENY_ALL_INCOMING,
      policy('allow-client-to-web', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 80 }] }],
      }),
      policy('deny-egress-locked', { podSelector: { matchLabels: { role: 'locked' } }, policyTypes: ['Egress'] }),
    ],
  },
  connections: [
    { id: 'pod1-to-web-b-allowed', from: 'pod1', to: '192.168.133.201:80', sport: 50260 },
    { id: 'pod1-to-web-service-allowed', from: 'pod1', to: '10.96.0.60:80', service: 'default/web:http', sport: 50262 },
    { id: 'pod1-to-web-a-allowed-local', from: 'pod1', to: '192.168.226.73:80', sport: 50264 },
    { id: 'pod1-to-pod2-ingress-denied', from: 'pod1', to: '192.168.133.200:80', sport: 50266 },
    { id: 'pod0-to-web-b-egress-denied', from: 'pod0', to: '192.168.133.201:80', sport: 50268 },
  ],
  anyCaptureNode: 'worker-2',
  description:
    'Calico vxlan with NetworkPolicy enforced by felix-shaped chains: deny-all-incoming selects every pod for ingress, allow-client-to-web lets pods labelled role=client reach app=web pods on TCP 80, ' +
    'deny-egress-locked isolates pod0 (role=locked) for egress with no rule. Each selected workload\'s cali-tw-/cali-fw- chain gets felix\'s tier section (Start of tier default, one cali-pi-/cali-po- jump per policy, ' +
    'Return if policy accepted, End of tier default. Drop if no policies passed packet); a podSelector peer is an ipset (cali40s:…). pod1 reaches web-b and web-a (allowed, also through the service, judged after DNAT); ' +
    'pod1 → pod2 is dropped at the end of the tier in pod2\'s cali-tw- on worker-2, pod0 → web-b at the end of the tier in pod0\'s cali-fw- on worker-1; both clients time out (DROP, not REJECT).',
};

const flannelPolicy: ScenarioSpec = {
  ...flannelBase('flannel-policy', 'fp',
    'Flannel vxlan with the seed\'s deny-all-incoming and deny-all-outgoing NetworkPolicies in the cluster (kubectl get networkpolicy -A -o json): Flannel has no policy engine, ' +
      'so nothing in the kernel enforces them and pod1 reaches pod2 directly and through the service.'),
  pods: labelled(flannelPods, {}),
  services: [{ namespace: 'default', name: 'web', portName: 'http', clusterIP: '10.96.0.10', port: 80, protocol: 'tcp', endpoints: [{ ip: '192.168.2.12', port: 80 }] }],
  networkPolicies: {
    output: 'json',
    items: [DENY_ALL_INCOMING, policy('deny-all-outgoing', { podSelector: {}, policyTypes: ['Egress'] })],
  },
  connections: [
    { id: 'pod1-to-pod2-not-enforced', from: 'pod1', to: '192.168.2.12:80', sport: 50280 },
    { id: 'pod1-to-web-not-enforced', from: 'pod1', to: '10.96.0.10:80', service: 'default/web:http', sport: 50282 },
  ],
};

export const SCENARIOS: ScenarioSpec[] = [
  flannelScenario('seed-flannel', 'sf', 'vxlan',
    'Flannel vxlan, the user\'s cluster: pod1 on worker-1 reaches pod2 (192.168.2.12:80) on worker-2 directly and through services; the SYN crosses cni0, flannel.1 and eth0 as VXLAN (VNI 1, UDP 8472).'),
  calicoScenario('seed-calico', 'sc', 'vxlan',
    'Calico vxlan, the user\'s cluster: pod1 (192.168.226.74 on cali6abd5b4bbeb) reaches pod2 (192.168.133.200:80) on worker-2; routed via proxy ARP on the cali veth and vxlan.calico (VNI 4096, UDP 4789).'),
  flannelScenario('fault-fdb-missing', 'ff', 'vxlan',
    'Flannel vxlan with worker-1\'s FDB entry for worker-2\'s VTEP (a6:0d:d2:cd:65:14) deleted: the SYN enters flannel.1 and is never encapsulated; the client times out.',
    { kind: 'fdb-missing', node: 'worker-1' }),
  flannelScenario('fault-forward-drop', 'fd', 'vxlan',
    'Flannel vxlan with the FORWARD policy DROP and flanneld\'s FLANNEL-FWD accept rules missing (as when Docker sets FORWARD to DROP): worker-1 drops the pod\'s SYN in filter FORWARD.',
    { kind: 'forward-drop', node: 'worker-1' }),
  flannelScenario('fault-no-route', 'fr', 'vxlan',
    'Flannel vxlan with worker-1\'s route to 192.168.2.0/24 deleted: the SYN follows the default route towards 10.74.107.154, which never answers ARP; ' +
      'after its 3 ARP probes (1 s apart) fail, worker-1 answers the pod with ICMP host unreachable (the second connection gets it at once: the neighbour entry is FAILED by then).',
    // 4 s: long enough for the kernel's ARP give-up (3 × 1 s) and its ICMP error to reach the client.
    { kind: 'no-route', node: 'worker-1' }, 4),
  flannelScenario('flannel-hostgw', 'fh', 'host-gw',
    'Flannel host-gw: no tunnel; worker-1 routes 192.168.2.0/24 via worker-2\'s underlay address 10.74.107.62 on eth0.'),
  calicoScenario('calico-bgp', 'cb', 'bgp',
    'Calico without encapsulation (BGP): worker-1 routes 192.168.133.192/26 via 10.74.107.73 dev eth0 proto bird.'),
  flannelScenario('kube-proxy-nftables', 'kn', 'vxlan',
    'Flannel vxlan with kube-proxy in nftables mode: its rules sit in `table ip kube-proxy` (service-ips / service-nodeports verdict maps, ' +
      '`numgen random mod N vmap` over endpoint chains, reject-chain for the service without endpoints) beside flanneld\'s iptables-nft ' +
      'rules in `table ip nat` / `table ip filter`; the kernel runs both at each hook by priority, as `nft monitor trace` records.',
    undefined, undefined, 'nftables'),
  mtuOverlay,
  arpUnanswered,
  bridgeOrder,
  calicoPolicy,
  flannelPolicy,
];

export function scenarioByName(name: string): ScenarioSpec {
  const found = SCENARIOS.find((s) => s.name === name);
  if (found === undefined) {
    throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return found;
}
