// Which MAC the next hop has (the neighbour table, `ip neigh`), or who would
// answer the ARP request when the table has no entry: the namespace on the
// other end of the link holding the address, the bridge or one of its pods,
// or (Calico) the host side of the veth by proxy ARP for 169.254.1.1 — an
// address nobody holds, answered because felix sets proxy_arp on cali*.
// On a VXLAN device the answer must already be in the table: Flannel and Calico
// write permanent entries, and an ARP request sent into the tunnel finds no FDB
// entry to go to.
// When the node's `ip neigh` was not given at all, the entry the CNI writes for the
// peer VTEP the topology inferred is assumed (and said so); without such a peer the
// result is unknown, not missing: a missing entry is a fault only in a dumped table.
import type { NetNamespace } from '../topology/model.ts';
import type { MissingDump, NeighbourResult, NeighbourStep } from './model.ts';
import { needsAt } from './needs.ts';
import { interfaceRole } from '../topology/roles.ts';
import { bridgeOfPort, interfaceOf, isBridge, type Cluster } from './cluster.ts';
import { cniAgent, inferredPeer, vxlanSettings, type InferredPeer } from './overlay.ts';

export interface NeighbourResolution {
  mac?: string;
  result: NeighbourResult;
  step: NeighbourStep;
  /** A VXLAN next hop assumed from the topology because `ip neigh` was not given. */
  peer?: InferredPeer;
  /** What the path rests on that no dump showed. */
  assumption?: string;
  /** Set when the table was not dumped and nothing else says who the next hop is: why the trace cannot go on, and the dumps that would settle it. */
  insufficient?: { reason: string; needs: MissingDump[] };
}

const UNUSABLE = new Set(['FAILED', 'INCOMPLETE']);

export function resolveNeighbour(cluster: Cluster, ns: NetNamespace, iface: string, ip: string): NeighbourResolution {
  const entry = ns.neighbours.find((n) => n.ip === ip && n.dev === iface && n.mac && !n.state.some((s) => UNUSABLE.has(s)));
  const base = { type: 'neighbour' as const, ip, interface: iface };
  if (entry?.mac) {
    return {
      mac: entry.mac,
      result: 'found',
      step: { ...base, mac: entry.mac, result: 'found', source: entry.source, explanation: `${ns.name}'s neighbour table maps ${ip} on ${iface} to ${entry.mac} (${entry.state.join(' ') || 'entry'})` },
    };
  }
  const failed = ns.neighbours.find((n) => n.ip === ip && n.dev === iface && n.state.some((s) => UNUSABLE.has(s)));
  if (failed) {
    return {
      result: 'failed',
      step: { ...base, result: 'failed', source: failed.source, explanation: `${ns.name}'s neighbour entry for ${ip} on ${iface} is ${failed.state.join(' ')}: ARP for it got no answer` },
    };
  }
  const device = interfaceOf(ns, iface);
  const isVxlan = device !== undefined && (interfaceRole(device, ns.kind) === 'vxlan' || vxlanSettings(cluster.topology, ns, device) !== undefined);
  if (isVxlan && !ns.dumps.includes('neigh')) return assumeVxlanNeighbour(cluster, ns, iface, ip);
  if (isVxlan) {
    return {
      result: 'missing',
      step: { ...base, result: 'missing', explanation: `${ns.name} has no neighbour entry for ${ip} on ${iface}: the VTEP's MAC must be written there (flanneld/felix do it), and an ARP request sent into the tunnel has nowhere to go` },
    };
  }
  const answer = whoAnswers(cluster, ns, iface, ip);
  if (answer) {
    const step: NeighbourStep = { ...base, result: answer.result, explanation: answer.explanation };
    if (answer.mac) step.mac = answer.mac;
    const resolution: NeighbourResolution = { result: answer.result, step };
    if (answer.mac) resolution.mac = answer.mac;
    return resolution;
  }
  // A missing entry is a fault only in a dumped table: without `ip neigh` nothing says ARP fails.
  if (!ns.dumps.includes('neigh')) {
    const unknown = `${ns.name}'s \`ip neigh\` was not given, and no dump shows who holds ${ip} on ${iface} to answer its ARP request; \`ip neigh show dev ${iface}\` on ${ns.name}, or the dumps of the pod or host at ${ip}, would settle it`;
    const needs = [...needsAt(ns.name, ['ip neigh']), ...needsAt(`the pod or host at ${ip}`, ['ip addr'])];
    return { result: 'unknown', insufficient: { reason: unknown, needs }, step: { ...base, result: 'unknown', explanation: unknown } };
  }
  return {
    result: 'missing',
    step: { ...base, result: 'missing', explanation: `${ns.name} has no neighbour entry for ${ip} on ${iface}, and nothing in the dumps on that link holds ${ip} to answer its ARP request` },
  };
}

interface Answer {
  mac?: string;
  result: 'proxy-arp' | 'assumed';
  explanation: string;
}

function whoAnswers(cluster: Cluster, ns: NetNamespace, iface: string, ip: string): Answer | undefined {
  const arp = `${ns.name} has no neighbour entry for ${ip} on ${iface}, so it ARPs`;
  // Out through a bridge: the pod on one of its ports that holds the address answers.
  if (isBridge(ns, iface)) {
    const pod = cluster.podOnBridge(ns, iface, ip);
    if (pod) {
      const mac = pod.mac ?? cluster.macOf({ ns: cluster.podNamespace(pod), iface: cluster.podInterface(pod) });
      return { ...(mac ? { mac } : {}), result: 'assumed', explanation: `${arp}; ${pod.name}, behind ${pod.hostInterface}, holds it and answers${mac ? ` with ${mac}` : ''}` };
    }
    return undefined;
  }
  const peer = cluster.linkPeer(ns, iface);
  if (peer) {
    const bridge = bridgeOfPort(peer.ns, peer.iface);
    if (bridge) {
      const bridgeIface = interfaceOf(peer.ns, bridge);
      if (bridgeIface?.addresses.some((a) => a.address === ip)) {
        const mac = bridgeIface.mac;
        return { ...(mac ? { mac } : {}), result: 'assumed', explanation: `${arp}; the bridge ${bridge} on ${peer.ns.name} holds ${ip} and answers${mac ? ` with ${mac}` : ''}` };
      }
      const pod = cluster.podOnBridge(peer.ns, bridge, ip);
      if (pod) {
        const mac = pod.mac ?? cluster.macOf({ ns: cluster.podNamespace(pod), iface: cluster.podInterface(pod) });
        return { ...(mac ? { mac } : {}), result: 'assumed', explanation: `${arp}; ${pod.name} on the same bridge ${bridge} holds it and answers` };
      }
      return undefined;
    }
    const peerIface = interfaceOf(peer.ns, peer.iface);
    const mac = peerIface?.mac;
    if (peerIface?.addresses.some((a) => a.address === ip)) {
      return { ...(mac ? { mac } : {}), result: 'assumed', explanation: `${arp}; ${peer.ns.name}'s ${peer.iface} holds it and answers` };
    }
    // Calico: the host side of the veth answers for any address by proxy ARP (felix sets proxy_arp=1).
    const calicoLike = peerIface?.mac?.toLowerCase() === 'ee:ee:ee:ee:ee:ee' || peer.iface.startsWith('cali');
    if (peerIface?.proxyArp === true || (peerIface?.proxyArp === undefined && calicoLike)) {
      const assumed = peerIface?.proxyArp === undefined ? ' (proxy_arp is not in the dumps; assumed on, as felix sets it on cali* interfaces)' : '';
      return { ...(mac ? { mac } : {}), result: 'proxy-arp', explanation: `${arp}; nobody holds ${ip}, but ${peer.ns.name}'s ${peer.iface} answers by proxy ARP${mac ? ` with its own MAC ${mac}` : ''}${assumed}` };
    }
    return undefined;
  }
  // The underlay: the node that holds the next hop answers.
  const owner = cluster.nodeOwning(ip);
  if (owner && owner.node.netns !== ns) {
    const mac = cluster.macOf({ ns: owner.node.netns, iface: owner.iface });
    return { ...(mac ? { mac } : {}), result: 'assumed', explanation: `${arp}; ${owner.node.name} holds it on ${owner.iface} and answers${mac ? ` with ${mac}` : ''}` };
  }
  return undefined;
}

/** `ip neigh` of this node was not given: the permanent entry flanneld/felix write for the peer VTEP, when the topology knows it. */
function assumeVxlanNeighbour(cluster: Cluster, ns: NetNamespace, iface: string, ip: string): NeighbourResolution {
  const base = { type: 'neighbour' as const, ip, interface: iface };
  const peer = inferredPeer(cluster.topology, ns, iface, ip);
  const confirm = `${ns.name}'s \`ip neigh show dev ${iface}\``;
  if (!peer) {
    const cidr = ns.routes.find((r) => r.via === ip && r.dev === iface)?.dst;
    const serves = cidr ? `no node in the dumps serves ${cidr}, the pod CIDR routed via ${ip}` : `no node in the dumps serves a pod CIDR routed via ${ip}`;
    const notGiven = ns.dumps.includes('fdb') ? '`ip neigh` was' : '`ip neigh` and `bridge fdb show` were';
    const unknown = `${ns.name}'s ${notGiven} not given, and no dump says which node's VTEP ${ip} on ${iface} is (${serves}); ${confirm} and \`bridge fdb show dev ${iface}\` on ${ns.name}, or the dumps of the node that serves ${cidr ?? 'that CIDR'}, would settle it`;
    const needs = [...needsAt(ns.name, ns.dumps.includes('fdb') ? ['ip neigh'] : ['ip neigh', 'bridge fdb show']), ...needsAt(`the node that serves ${cidr ?? `the pod CIDR routed via ${ip}`}`, ['ip addr', 'ip -d link'])];
    return { result: 'unknown', insufficient: { reason: unknown, needs }, step: { ...base, result: 'unknown', explanation: unknown } };
  }
  const who = peer.node ? `${peer.node}'s VTEP` : `the VTEP at ${peer.dst}`;
  const macText = peer.mac ?? `the MAC of ${peer.node ?? 'the peer'}'s ${iface} (not in the dumps)`;
  const from = peer.inferredFrom ? `, worked out from ${peer.inferredFrom}` : '';
  const step: NeighbourStep = {
    ...base,
    result: 'assumed',
    explanation: `assumed: ${ns.name}'s \`ip neigh\` was not given, so podpath assumes the permanent entry ${cniAgent(cluster.topology)} writes for ${who}: ${ip} on ${iface} → ${macText}${from}; ${confirm} would confirm it`,
  };
  if (peer.mac) step.mac = peer.mac;
  const resolution: NeighbourResolution = { result: 'assumed', step, peer, assumption: `${ns.name}'s neighbour entry for ${ip} (${who}; no \`ip neigh\`)` };
  if (peer.mac) resolution.mac = peer.mac;
  return resolution;
}
