// Small hand-built clusters for the tracer's unit tests, shaped like the user's
// Flannel example (worker-1 10.74.107.63, worker-2 10.74.107.62, pod1 192.168.1.7,
// pod2 192.168.2.12) and Calico example. Rules are written in kube-proxy's and
// flannel's own shapes (see docs/kube-proxy-rules.md) and read by the real
// iptables-save parser.
import type { ClusterNode, NetInterface, NetNamespace, Pod, Route, Service, Topology } from '../../src/topology/model.ts';
import { parseIptablesSave } from '../../src/topology/parse/iptables-save.ts';

const src = { file: 'fixture', line: 1 };

export function iface(index: number, name: string, extra: Partial<NetInterface> = {}): NetInterface {
  return { index, name, flags: ['UP'], addresses: [], ...extra };
}

export function addr(address: string, prefixLength: number) {
  return { family: 4 as const, address, prefixLength, scope: 'global' };
}

export function route(dst: string, rest: Partial<Route> = {}): Route {
  return { table: 'main', type: 'unicast', dst, family: 4, onlink: false, source: src, ...rest };
}

export function ns(name: string, kind: 'node' | 'pod', parts: Partial<NetNamespace>): NetNamespace {
  return { name, kind, interfaces: [], routes: [], rules: [], neighbours: [], fdb: [], bridges: [], dumps: ['addr', 'link', 'route', 'neigh', 'fdb', 'iptables'], ...parts };
}

export function netfilter(text: string) {
  return { tables: parseIptablesSave(text, 'iptables-save.txt').tables };
}

/** kube-proxy rules for: web (1 endpoint on worker-2), multi (3 endpoints), empty (none), web NodePort 30080. */
export const KUBE_PROXY_NAT = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-WEB - [0:0]
:KUBE-EXT-WEB - [0:0]
:KUBE-SEP-WEB1 - [0:0]
:KUBE-SVC-MULTI - [0:0]
:KUBE-SEP-M1 - [0:0]
:KUBE-SEP-M2 - [0:0]
:KUBE-SEP-M3 - [0:0]
:FLANNEL-POSTRTG - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/multi:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-MULTI
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j KUBE-EXT-WEB
-A KUBE-EXT-WEB -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-WEB -j KUBE-SVC-WEB
-A KUBE-SVC-WEB ! -s 192.168.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEB -m comment --comment "default/web:http -> 192.168.2.12:80" -j KUBE-SEP-WEB1
-A KUBE-SEP-WEB1 -s 192.168.2.12/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-WEB1 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 192.168.2.12:80
-A KUBE-SVC-MULTI ! -s 192.168.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment "default/multi:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-MULTI -m comment --comment "default/multi:http -> 192.168.1.8:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-M1
-A KUBE-SVC-MULTI -m comment --comment "default/multi:http -> 192.168.2.12:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-M2
-A KUBE-SVC-MULTI -m comment --comment "default/multi:http -> 192.168.2.13:8080" -j KUBE-SEP-M3
-A KUBE-SEP-M1 -s 192.168.1.8/32 -m comment --comment "default/multi:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-M1 -p tcp -m comment --comment "default/multi:http" -m tcp -j DNAT --to-destination 192.168.1.8:8080
-A KUBE-SEP-M2 -s 192.168.2.12/32 -m comment --comment "default/multi:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-M2 -p tcp -m comment --comment "default/multi:http" -m tcp -j DNAT --to-destination 192.168.2.12:8080
-A KUBE-SEP-M3 -s 192.168.2.13/32 -m comment --comment "default/multi:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-M3 -p tcp -m comment --comment "default/multi:http" -m tcp -j DNAT --to-destination 192.168.2.13:8080
-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN
-A FLANNEL-POSTRTG -s 192.168.0.0/16 -d 192.168.0.0/16 -m comment --comment "flanneld masq" -j RETURN
COMMIT
`;

export function kubeProxyFilter(forwardPolicy = 'ACCEPT', flannelAccept = true): string {
  return `*filter
:INPUT ACCEPT [0:0]
:FORWARD ${forwardPolicy} [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:FLANNEL-FWD - [0:0]
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
${flannelAccept ? '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD\n' : ''}-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.11/32 -p tcp -m comment --comment "default/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FLANNEL-FWD -s 192.168.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
-A FLANNEL-FWD -d 192.168.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT
COMMIT
`;
}

interface FlannelNodeSpec {
  name: string;
  underlay: string;
  eth0Mac: string;
  subnet: number; // 1 → 192.168.1.0/24
  vtepMac: string;
  cni0Mac: string;
  pods: { name: string; ip: string; veth: string; mac: string }[];
}

const FLANNEL_NODES: FlannelNodeSpec[] = [
  { name: 'worker-1', underlay: '10.74.107.63', eth0Mac: '00:50:56:82:51:0c', subnet: 1, vtepMac: '7e:4f:1b:41:c7:7a', cni0Mac: 'e2:b0:c7:1e:8e:7a',
    pods: [{ name: 'pod1', ip: '192.168.1.7', veth: 'veth6b3caf45', mac: '6a:97:3e:20:55:e6' }, { name: 'pod3', ip: '192.168.1.8', veth: 'veth100d66d7', mac: '6a:97:3e:20:55:e8' }] },
  { name: 'worker-2', underlay: '10.74.107.62', eth0Mac: '00:50:56:82:a9:01', subnet: 2, vtepMac: 'a6:0d:d2:cd:65:14', cni0Mac: 'e2:b0:c7:1e:8e:7b',
    pods: [{ name: 'pod2', ip: '192.168.2.12', veth: 'vethaaaa0001', mac: '6a:97:3e:20:56:0c' }, { name: 'pod4', ip: '192.168.2.13', veth: 'vethaaaa0002', mac: '6a:97:3e:20:56:0d' }] },
];

export interface FlannelOptions {
  /** Leave out worker-1's FDB entry for worker-2's VTEP. */
  dropFdb?: boolean;
  /** Leave out worker-1's route to 192.168.2.0/24 (and its default route). */
  dropRoute?: boolean;
  forwardPolicy?: string;
  flannelAccept?: boolean;
  /** Give pods their own namespaces (ip addr/route/neigh dumps). */
  podDumps?: boolean;
  /** Drop worker-2 from the topology (its dumps missing). */
  withoutWorker2?: boolean;
  /** Replace the VXLAN routes with host-gw routes via the peer's underlay address. */
  hostGw?: boolean;
}

export function flannelTopology(options: FlannelOptions = {}): Topology {
  const nodes: ClusterNode[] = [];
  const pods: Pod[] = [];
  for (const spec of FLANNEL_NODES) {
    const peer = FLANNEL_NODES.find((n) => n !== spec)!;
    const interfaces = [
      iface(1, 'lo', { kind: 'loopback', addresses: [{ family: 4, address: '127.0.0.1', prefixLength: 8, scope: 'host' }] }),
      iface(2, 'eth0', { mac: spec.eth0Mac, addresses: [addr(spec.underlay, 24)] }),
      iface(4, 'flannel.1', { kind: 'vxlan', mac: spec.vtepMac, addresses: [addr(`192.168.${spec.subnet}.0`, 32)], vxlan: { vni: 1, port: 8472, local: spec.underlay, device: 'eth0', learning: false } }),
      iface(5, 'cni0', { kind: 'bridge', mac: spec.cni0Mac, addresses: [addr(`192.168.${spec.subnet}.1`, 24)] }),
      ...spec.pods.map((p, i) => iface(11 + i, p.veth, { kind: 'veth', master: 'cni0', peerIndex: 3, linkNetnsId: i, mac: `de:9c:43:da:8b:${(0xce + i).toString(16)}` })),
    ];
    const routes = [
      route('default', { via: '10.74.107.154', dev: 'eth0', proto: 'static' }),
      route('10.74.107.0/24', { dev: 'eth0', proto: 'kernel', scope: 'link', src: spec.underlay }),
      route(`192.168.${spec.subnet}.0/24`, { dev: 'cni0', proto: 'kernel', scope: 'link', src: `192.168.${spec.subnet}.1` }),
      options.hostGw
        ? route(`192.168.${peer.subnet}.0/24`, { via: peer.underlay, dev: 'eth0' })
        : route(`192.168.${peer.subnet}.0/24`, { via: `192.168.${peer.subnet}.0`, dev: 'flannel.1', onlink: true }),
    ].filter((r) => !(options.dropRoute && spec.name === 'worker-1' && (r.dst === '192.168.2.0/24' || r.dst === 'default')));
    const neighbours = [{ ip: `192.168.${peer.subnet}.0`, dev: 'flannel.1', mac: peer.vtepMac, state: ['PERMANENT'], source: src }];
    const fdb = options.dropFdb && spec.name === 'worker-1' ? [] : [{ mac: peer.vtepMac, dev: 'flannel.1', dst: peer.underlay, self: true, permanent: true, source: src }];
    const netns = ns(spec.name, 'node', {
      interfaces, routes, neighbours, fdb,
      bridges: [{ name: 'cni0', ports: spec.pods.map((p) => p.veth) }],
      netfilter: { tables: { ...netfilter(KUBE_PROXY_NAT).tables, ...netfilter(kubeProxyFilter(options.forwardPolicy, options.flannelAccept)).tables } },
    });
    if (options.withoutWorker2 && spec.name === 'worker-2') continue;
    nodes.push({ name: spec.name, addresses: [spec.underlay], podCIDRs: [`192.168.${spec.subnet}.0/24`], netns });
    for (const p of spec.pods) {
      const pod: Pod = { name: p.name, node: spec.name, ip: p.ip, hostInterface: p.veth, podInterface: 'eth0', mac: p.mac };
      if (options.podDumps) {
        pod.netns = ns(p.name, 'pod', {
          interfaces: [iface(1, 'lo', { kind: 'loopback' }), iface(3, 'eth0', { kind: 'veth', mac: p.mac, addresses: [addr(p.ip, 24)] })],
          routes: [
            route('default', { via: `192.168.${spec.subnet}.1`, dev: 'eth0' }),
            route('192.168.0.0/16', { via: `192.168.${spec.subnet}.1`, dev: 'eth0' }),
            route(`192.168.${spec.subnet}.0/24`, { dev: 'eth0', scope: 'link', src: p.ip }),
          ],
          dumps: ['addr', 'route'],
        });
      }
      pods.push(pod);
    }
  }
  return { nodes, pods, services: FLANNEL_SERVICES, vteps: [], cni: { plugin: 'flannel', mode: options.hostGw ? 'host-gw' : 'vxlan', evidence: [] }, networkPolicies: [], warnings: [] };
}

const FLANNEL_SERVICES: Service[] = [
  { namespace: 'default', name: 'web', portName: 'http', clusterIP: '10.96.0.10', port: 80, protocol: 'tcp', nodePorts: [30080], externalIPs: [], svcChain: 'KUBE-SVC-WEB', endpoints: [{ ip: '192.168.2.12', port: 80, probability: 1, sepChain: 'KUBE-SEP-WEB1' }], noEndpointsReject: false, seenOn: ['worker-1', 'worker-2'] },
  // KUBE-SVC-MULTI's rules: --probability 0.33333333349, 0.5, none; each endpoint's share is
  // p_i · Π_{j<i}(1 − p_j), as the topology build computes it (kube-proxy's 1/(n−i) gives 1/3 each).
  {
    namespace: 'default', name: 'multi', portName: 'http', clusterIP: '10.96.0.20', port: 80, protocol: 'tcp', nodePorts: [], externalIPs: [], svcChain: 'KUBE-SVC-MULTI',
    endpoints: [
      { ip: '192.168.1.8', port: 8080, probability: 0.33333333349, ruleProbability: 0.33333333349, sepChain: 'KUBE-SEP-M1' },
      { ip: '192.168.2.12', port: 8080, probability: (1 - 0.33333333349) * 0.5, ruleProbability: 0.5, sepChain: 'KUBE-SEP-M2' },
      { ip: '192.168.2.13', port: 8080, probability: (1 - 0.33333333349) * 0.5, sepChain: 'KUBE-SEP-M3' },
    ],
    noEndpointsReject: false, seenOn: ['worker-1', 'worker-2'],
  },
  { namespace: 'default', name: 'empty', portName: 'http', clusterIP: '10.96.0.11', port: 80, protocol: 'tcp', nodePorts: [], externalIPs: [], endpoints: [], noEndpointsReject: true, seenOn: ['worker-1', 'worker-2'] },
];
