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
//
// Partial dumps: when a node's `ip neigh` / `bridge fdb show` were not given at all
// (not: given and lacking the entry, which is a real fault), the entries the CNI
// writes (flanneld/felix: a permanent neighbour entry and an FDB entry to the peer's
// underlay address) are assumed from the topology's inferred remote VTEP, and the
// trace says so. Likewise `ip -d link` (VNI, port: the CNI's defaults) and the peer's
// VXLAN device when its dumps are missing.
import type { FdbEntry, NetInterface, NetNamespace, Topology, VxlanInfo } from '../topology/model.ts';
import type { DecapsulateStep, EncapsulateStep, MissingDump, NoteStep, OuterHeader } from './model.ts';
import { needsAt } from './needs.ts';

export interface Encapsulation {
  outer?: OuterHeader;
  steps: (EncapsulateStep | NoteStep)[];
  /** Set when the frame cannot be sent: which entry is missing. */
  failure?: { disposition: 'fdb-missing'; reason: string } | { disposition: 'insufficient-info'; reason: string; needs: MissingDump[] };
  /** What the outer header rests on that no dump showed (short phrases for the path's reason). */
  assumptions: string[];
}

/** A device's VXLAN settings: its own `ip -d link`, or the topology's VTEP with the CNI's defaults. */
export interface VxlanSettings {
  info: VxlanInfo;
  /** Set when the settings are the CNI's defaults, not a dump: what was assumed and why. */
  assumed?: string;
}

/** The peer VTEP the topology worked out for a next hop on a VXLAN device. */
export interface InferredPeer {
  innerIP: string;
  dst: string;
  node?: string;
  mac?: string;
  inferredFrom?: string;
}

const ALL_ZEROS = '00:00:00:00:00:00';

/** Who writes the VXLAN entries, for the explanations. */
export function cniAgent(topology: Topology): string {
  if (topology.cni.plugin === 'flannel') return 'flanneld';
  if (topology.cni.plugin === 'calico') return 'felix';
  return 'the CNI';
}

export function vxlanSettings(topology: Topology, ns: NetNamespace, device: NetInterface): VxlanSettings | undefined {
  if (device.vxlan) return { info: device.vxlan };
  if (ns.kind !== 'node') return undefined;
  const vtep = topology.vteps.find((v) => v.node === ns.name && v.device === device.name);
  if (!vtep) return undefined;
  const info: VxlanInfo = { vni: vtep.vni, port: vtep.port, learning: false };
  if (vtep.local !== undefined) info.local = vtep.local;
  const settings: VxlanSettings = { info };
  if (vtep.assumed) {
    settings.assumed = `${device.name} is VXLAN with VNI ${vtep.vni} and UDP port ${vtep.port}, ${topology.cni.plugin === 'unknown' ? 'the usual' : `${topology.cni.plugin}'s`} defaults: ${ns.name}'s \`ip -d link show ${device.name}\` was not given and would confirm them`;
  }
  return settings;
}

/** The remote VTEP the topology knows for a next hop (an FDB entry with its neighbour, or inferred from routes). */
export function inferredPeer(topology: Topology, ns: NetNamespace, device: string, nextHop: string): InferredPeer | undefined {
  const vtep = topology.vteps.find((v) => v.node === ns.name && v.device === device);
  const remote = vtep?.remotes.find((r) => r.innerIP === nextHop);
  if (!remote) return undefined;
  const peer: InferredPeer = { innerIP: nextHop, dst: remote.dst };
  if (remote.node !== undefined) peer.node = remote.node;
  if (remote.inferredFrom !== undefined) peer.inferredFrom = remote.inferredFrom;
  // The inferred remote has no MAC when no neighbour entry was dumped; the peer's own device may show it.
  const peerNode = remote.node !== undefined ? topology.nodes.find((n) => n.name === remote.node) : undefined;
  const mac = remote.mac || peerNode?.netns.interfaces.find((i) => i.name === device)?.mac;
  if (mac) peer.mac = mac;
  return peer;
}

export interface VxlanInput {
  topology: Topology;
  ns: NetNamespace;
  device: NetInterface;
  settings: VxlanSettings;
  /** The inner frame's destination MAC (the neighbour entry); absent when assumed without a known MAC. */
  innerDstMac?: string;
  /** The peer VTEP the neighbour step assumed, when `ip neigh` was not given. */
  peer?: InferredPeer;
  /** The route's next hop (the peer VTEP's inner address), to find the topology's remote for it. */
  nextHop?: string;
  sourceFor: (remote: string) => string | undefined;
}

export function vxlanEncapsulate(input: VxlanInput): Encapsulation {
  const { topology, ns, device, settings, innerDstMac, peer, nextHop, sourceFor } = input;
  const vxlan = settings.info;
  const steps: (EncapsulateStep | NoteStep)[] = [];
  const assumptions: string[] = [];
  if (settings.assumed) {
    steps.push({ type: 'note', explanation: `assumed: ${settings.assumed}` });
    assumptions.push(`${ns.name}'s ${device.name} VNI ${vxlan.vni} and UDP port ${vxlan.port} (no \`ip -d link\`)`);
  }
  const mac = innerDstMac?.toLowerCase();
  const onDevice = (e: FdbEntry) => e.dev === device.name && e.dst !== undefined;
  const target = innerDstMac ?? `${peer?.node ?? peer?.innerIP ?? 'the peer'}'s VTEP`;
  let entry = ns.fdb.find((e) => onDevice(e) && (mac !== undefined ? e.mac.toLowerCase() === mac : e.dst === peer?.dst));
  let remote = entry?.dst;
  if (!entry) {
    entry = ns.fdb.find((e) => onDevice(e) && e.mac === ALL_ZEROS);
    if (entry) {
      remote = entry.dst;
      steps.push({ type: 'note', explanation: `no FDB entry for ${target} on ${device.name}; the all-zeros entry sends the frame to ${entry.dst}` });
    }
  }
  if (!entry) {
    const fdbNotGiven = !ns.dumps.includes('fdb');
    const known = fdbNotGiven ? (peer ?? (mac !== undefined ? peerByMac(topology, ns, device.name, mac, nextHop) : undefined)) : undefined;
    if (fdbNotGiven && known) {
      remote = known.dst;
      const who = known.node ? `${known.node}'s VTEP` : 'the peer VTEP';
      const from = known.inferredFrom ? ` (worked out from ${known.inferredFrom})` : '';
      steps.push({
        type: 'note',
        explanation: `assumed: ${ns.name}'s \`bridge fdb show\` was not given, so podpath assumes the permanent FDB entry ${cniAgent(topology)} writes for ${who}: ${innerDstMac ?? `${known.node ?? 'the peer'}'s ${device.name} MAC (not in the dumps)`} dst ${known.dst}${from}; \`bridge fdb show dev ${device.name}\` on ${ns.name} would confirm it`,
      });
      assumptions.push(`${ns.name}'s FDB entry for ${who} → ${known.dst} (no \`bridge fdb show\`)`);
    } else if (fdbNotGiven) {
      return {
        steps, assumptions,
        failure: {
          disposition: 'insufficient-info',
          reason: `${ns.name}'s \`bridge fdb show\` was not given and no dump says which node's VTEP ${target} is; ${ns.name}'s \`bridge fdb show dev ${device.name}\` would settle it`,
          needs: needsAt(ns.name, ['bridge fdb show']),
        },
      };
    } else {
      const learning = vxlan.learning ? ' (the device learns, but only from frames it receives)' : '';
      return {
        steps, assumptions,
        failure: {
          disposition: 'fdb-missing',
          reason: `${ns.name}'s ${device.name} has no FDB entry for ${target} (\`bridge fdb show dev ${device.name}\`): the VXLAN driver does not know which node to send the frame to and drops it${learning}`,
        },
      };
    }
  }
  const dst = remote!;
  const src = vxlan.local ?? sourceFor(dst);
  if (!src) {
    return { steps, assumptions, failure: { disposition: 'insufficient-info', reason: `${device.name} has no local address and ${ns.name} has no route to ${dst} to pick one`, needs: needsAt(ns.name, ['ip -d link', 'ip route']) } };
  }
  const outer: OuterHeader = { src, dst, dport: vxlan.port, vni: vxlan.vni, encapsulation: 'vxlan' };
  const step: EncapsulateStep = {
    type: 'encapsulate',
    device: device.name,
    vni: vxlan.vni,
    localVtep: src,
    remoteVtep: dst,
    outer,
    explanation: `${device.name} (VXLAN ${vxlan.vni}) wraps the frame: the FDB maps ${target} to ${dst}, so the outer packet goes ${src} → ${dst} UDP port ${vxlan.port}, VNI ${vxlan.vni} (the outer source port is a hash of the inner flow)`,
  };
  if (entry?.source) step.source = entry.source;
  steps.push(step);
  return { outer, steps, assumptions };
}

/** The topology's remote for the neighbour's MAC, or for the next hop when the remote's MAC is not known (never a conflicting one). */
function peerByMac(topology: Topology, ns: NetNamespace, device: string, mac: string, nextHop: string | undefined): InferredPeer | undefined {
  const remotes = topology.vteps.find((v) => v.node === ns.name && v.device === device)?.remotes ?? [];
  const remote = remotes.find((r) => r.mac.toLowerCase() === mac) ?? remotes.find((r) => r.mac === '' && nextHop !== undefined && r.innerIP === nextHop);
  if (!remote) return undefined;
  const peer: InferredPeer = { innerIP: remote.innerIP ?? '', dst: remote.dst, mac };
  if (remote.node !== undefined) peer.node = remote.node;
  if (remote.inferredFrom !== undefined) peer.inferredFrom = remote.inferredFrom;
  return peer;
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
  if (!src) return { steps: [], assumptions: [], failure: { disposition: 'insufficient-info', reason: `${ns.name} has no route to ${remote} to pick an outer source address`, needs: needsAt(ns.name, ['ip route', 'ip addr']) } };
  const outer: OuterHeader = { src, dst: remote, encapsulation: 'ipip' };
  return {
    outer,
    assumptions: [],
    steps: [{
      type: 'encapsulate', device: device.name, localVtep: src, remoteVtep: remote, outer,
      explanation: `${device.name} (IP-in-IP) puts the packet inside an outer IP header ${src} → ${remote}, protocol 4`,
    }],
  };
}

export type Receiver = { device: NetInterface; step: DecapsulateStep; assumption?: string } | { failure: string };

/** The device that takes an arriving tunnel packet: VXLAN by UDP port and VNI, IP-in-IP by protocol. */
export function findReceiver(ns: NetNamespace, outer: OuterHeader, topology?: Topology): Receiver {
  const found = findDumpedReceiver(ns, outer);
  if ('failure' in found && topology) return assumedReceiver(topology, ns, outer) ?? found;
  return found;
}

/**
 * The peer's VXLAN device when its `ip -d link` was not given: the CNI creates it on every
 * node with the same VNI and port (flanneld: flannel.<VNI>; felix: vxlan.calico), so the
 * packet is taken as the sender's settings say, and the step says it is assumed.
 */
function assumedReceiver(topology: Topology, ns: NetNamespace, outer: OuterHeader): Receiver | undefined {
  if (outer.encapsulation !== 'vxlan' || ns.kind !== 'node') return undefined;
  if (ns.interfaces.some((i) => i.vxlan)) return undefined; // its VXLAN devices' details are known: a mismatch is real
  const vtep = topology.vteps.find((v) => v.node === ns.name && v.vni === outer.vni && v.port === outer.dport);
  const name = vtep?.device ?? (topology.cni.plugin === 'flannel' ? `flannel.${outer.vni}` : topology.cni.plugin === 'calico' ? 'vxlan.calico' : undefined);
  if (!name) return undefined;
  const dumped = ns.interfaces.find((i) => i.name === name);
  // A device list was dumped (`ip addr` / `ip link`) and has no such device: it really is not there.
  if (!dumped && (ns.dumps.includes('link') || ns.dumps.includes('addr'))) return undefined;
  if (dumped && dumped.kind !== undefined && dumped.kind !== 'vxlan') return undefined;
  const device: NetInterface = dumped ?? { index: 0, name, flags: [], addresses: [] };
  const why = `${ns.name}'s \`ip -d link\` was not given; podpath assumes ${cniAgent(topology)} created ${name} there with VNI ${outer.vni} on UDP port ${outer.dport}, as on the sender`;
  const step: DecapsulateStep = {
    type: 'decapsulate',
    device: name,
    vni: outer.vni!,
    outer,
    explanation: `assumed: ${why}; the kernel's VXLAN socket on UDP port ${outer.dport} hands VNI ${outer.vni} to ${name}, which removes the outer headers (${ns.name}'s \`ip -d link show ${name}\` would confirm it)`,
  };
  return { device, step, assumption: `${ns.name}'s ${name} taking VNI ${outer.vni} on UDP port ${outer.dport} (no \`ip -d link\` of ${ns.name})` };
}

function findDumpedReceiver(ns: NetNamespace, outer: OuterHeader): Receiver {
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
