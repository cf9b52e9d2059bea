// Which MAC the next hop has (the neighbour table, `ip neigh`), or who would
// answer the ARP request when the table has no entry: the namespace on the
// other end of the link holding the address, the bridge or one of its pods,
// or (Calico) the host side of the veth by proxy ARP for 169.254.1.1 — an
// address nobody holds, answered because felix sets proxy_arp on cali*.
// On a VXLAN device the answer must already be in the table: Flannel and Calico
// write permanent entries, and an ARP request sent into the tunnel finds no FDB
// entry to go to.
import type { NetNamespace } from '../topology/model.ts';
import type { NeighbourStep } from './model.ts';
import { bridgeOfPort, interfaceOf, isBridge, type Cluster } from './cluster.ts';

export interface NeighbourResolution {
  mac?: string;
  result: 'found' | 'proxy-arp' | 'assumed' | 'missing' | 'failed';
  step: NeighbourStep;
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
  if (device?.kind === 'vxlan' || device?.vxlan) {
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
