// Overlays: VXLAN (Flannel's flannel.1, Calico's vxlan.calico) and IP-in-IP
// (Calico's tunl0).
//
//   VXLAN (RFC 7348) on the sending node:
//     route "192.168.2.0/24 via 192.168.2.0 dev flannel.1 onlink"
//     → neighbour 192.168.2.0 on flannel.1 = peer VTEP MAC        (ip neigh, PERMANENT)
//     → FDB: that MAC on flannel.1 → dst 10.74.107.62             (bridge fdb, self permanent)
//     → outer IP  local(ip -d link) → dst,  UDP dstport(ip -d link),  VXLAN VNI id(ip -d link)
//   The outer UDP source port is a hash of the inner flow (vxlan_src_port), not in any dump.
//   On the receiving node the UDP socket on that port hands the frame to the VXLAN
//   device with the same VNI, which decapsulates it; the inner packet is routed on.
//   IP-in-IP: the route's gateway (the peer node) is the outer destination, protocol 4.
import type { FdbEntry, NetInterface, NetNamespace } from '../topology/model.ts';
import type { DecapsulateStep, EncapsulateStep, NoteStep, OuterHeader } from './model.ts';

export interface Encapsulation {
  outer?: OuterHeader;
  steps: (EncapsulateStep | NoteStep)[];
  /** Set when the frame cannot be sent: which entry is missing. */
  failure?: { disposition: 'fdb-missing' | 'unknown'; reason: string };
}

const ALL_ZEROS = '00:00:00:00:00:00';

export function vxlanEncapsulate(
  ns: NetNamespace,
  device: NetInterface,
  innerDstMac: string,
  sourceFor: (remote: string) => string | undefined,
): Encapsulation {
  const vxlan = device.vxlan!;
  const mac = innerDstMac.toLowerCase();
  const onDevice = (e: FdbEntry) => e.dev === device.name && e.dst !== undefined;
  let entry = ns.fdb.find((e) => onDevice(e) && e.mac.toLowerCase() === mac);
  const steps: (EncapsulateStep | NoteStep)[] = [];
  if (!entry) {
    entry = ns.fdb.find((e) => onDevice(e) && e.mac === ALL_ZEROS);
    if (!entry) {
      const learning = vxlan.learning ? ' (the device learns, but only from frames it receives)' : '';
      return {
        steps,
        failure: {
          disposition: 'fdb-missing',
          reason: `${ns.name}'s ${device.name} has no FDB entry for ${innerDstMac} (\`bridge fdb show dev ${device.name}\`): the VXLAN driver does not know which node to send the frame to and drops it${learning}`,
        },
      };
    }
    steps.push({ type: 'note', explanation: `no FDB entry for ${innerDstMac} on ${device.name}; the all-zeros entry sends the frame to ${entry.dst}` });
  }
  const remote = entry.dst!;
  const src = vxlan.local ?? sourceFor(remote);
  if (!src) {
    return { steps, failure: { disposition: 'unknown', reason: `${device.name} has no local address and ${ns.name} has no route to ${remote} to pick one` } };
  }
  const outer: OuterHeader = { src, dst: remote, dport: vxlan.port, vni: vxlan.vni, encapsulation: 'vxlan' };
  steps.push({
    type: 'encapsulate',
    device: device.name,
    vni: vxlan.vni,
    localVtep: src,
    remoteVtep: remote,
    outer,
    source: entry.source,
    explanation: `${device.name} (VXLAN ${vxlan.vni}) wraps the frame: the FDB maps ${innerDstMac} to ${remote}, so the outer packet goes ${src} → ${remote} UDP port ${vxlan.port}, VNI ${vxlan.vni} (the outer source port is a hash of the inner flow)`,
  });
  return { outer, steps };
}

export function ipipEncapsulate(
  ns: NetNamespace,
  device: NetInterface,
  nextHop: string,
  sourceFor: (remote: string) => string | undefined,
): Encapsulation {
  const configured = device.ipip?.remote;
  const remote = configured && configured !== 'any' ? configured : nextHop;
  const local = device.ipip?.local;
  const src = local && local !== 'any' ? local : sourceFor(remote);
  if (!src) return { steps: [], failure: { disposition: 'unknown', reason: `${ns.name} has no route to ${remote} to pick an outer source address` } };
  const outer: OuterHeader = { src, dst: remote, encapsulation: 'ipip' };
  return {
    outer,
    steps: [{
      type: 'encapsulate', device: device.name, localVtep: src, remoteVtep: remote, outer,
      explanation: `${device.name} (IP-in-IP) puts the packet inside an outer IP header ${src} → ${remote}, protocol 4`,
    }],
  };
}

export type Receiver = { device: NetInterface; step: DecapsulateStep } | { failure: string };

/** The device that takes an arriving tunnel packet: VXLAN by UDP port and VNI, IP-in-IP by protocol. */
export function findReceiver(ns: NetNamespace, outer: OuterHeader): Receiver {
  if (outer.encapsulation === 'ipip') {
    const device = ns.interfaces.find((i) => i.kind === 'ipip' || i.ipip !== undefined);
    if (!device) return { failure: `${ns.name} has no IP-in-IP device (tunl0) to take protocol 4 packets` };
    return { device, step: { type: 'decapsulate', device: device.name, outer, explanation: `${ns.name}'s ${device.name} takes the IP-in-IP packet and removes the outer header` } };
  }
  const onPort = ns.interfaces.filter((i) => i.vxlan && i.vxlan.port === outer.dport);
  const device = onPort.find((i) => i.vxlan!.vni === outer.vni);
  if (!device) {
    if (onPort.length > 0) return { failure: `${ns.name}'s VXLAN device on UDP port ${outer.dport} (${onPort.map((i) => `${i.name} VNI ${i.vxlan!.vni}`).join(', ')}) does not carry VNI ${outer.vni}; the frame is dropped` };
    return { failure: `no VXLAN device on ${ns.name} listens on UDP port ${outer.dport}; the packet is not decapsulated` };
  }
  const step: DecapsulateStep = {
    type: 'decapsulate',
    device: device.name,
    vni: device.vxlan!.vni,
    outer,
    explanation: `the kernel's VXLAN socket on UDP port ${outer.dport} hands VNI ${outer.vni} to ${device.name}, which removes the outer headers; the inner packet arrives on ${device.name}`,
  };
  if (device.source) step.source = device.source;
  return { device, step };
}
