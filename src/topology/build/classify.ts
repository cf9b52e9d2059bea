// Decides which namespaces are nodes and which are pods. The input says so
// for bundles (pods/ folder) and `kubectl exec`; in a transcript only the
// prompt's name is known, so the dumps decide:
//   node: CNI devices (cni0, flannel.1, vxlan.calico, cali*, tunl0, docker0),
//         bridge ports, an iptables-save, routes through CNI devices;
//   pod:  a single eth0@ifN (the pod end of a veth pair), a default route via
//         Calico's 169.254.1.1 or via the node's bridge gateway.
import type { Warning } from '../model.ts';
import type { KubePod } from '../parse/kubectl.ts';
import type { NamespaceRecords } from '../inputs/records.ts';
import { isTunnelRole, roleOfName } from '../roles.ts';

export interface Classification {
  kind: 'node' | 'pod';
  /** True when the dumps decided, not the input's structure. */
  guessed: boolean;
  reasons: string[];
}

// Loading ipip gives every namespace a fallback tunl0@NONE, down and unused: a pod has one too
// (Calico IP-in-IP nodes load the module), so only an up or routed tunl0 says node.
function isIdleFallbackTunnel(ns: NamespaceRecords, iface: NamespaceRecords['interfaces'][number]): boolean {
  if (iface.name !== 'tunl0') return false;
  const up = iface.flags?.includes('UP') === true || iface.state === 'UP' || iface.state === 'UNKNOWN';
  return !up && !ns.routes.some((r) => r.dev === 'tunl0');
}

function nodeEvidence(ns: NamespaceRecords): string[] {
  const reasons: string[] = [];
  const cni = ns.interfaces.filter((i) => /^(?:cni\d*|cbr0|docker\d*|flannel(?:-v6)?\.\d+|vxlan\.calico|tunl0|kube-ipvs0|cilium_\w+|weave)$/.test(i.name) && !isIdleFallbackTunnel(ns, i));
  if (cni.length > 0) reasons.push(cni.slice(0, 3).map((i) => i.name).join(', '));
  const cali = ns.interfaces.filter((i) => /^cali[0-9a-f]{6,}/.test(i.name));
  if (cali.length > 0) reasons.push(`${cali.length} cali* interface(s)`);
  const ports = ns.interfaces.filter((i) => i.master !== undefined);
  if (ports.length > 0 && cni.length === 0) reasons.push(`${ports.length} bridge port(s)`);
  if (ns.bridges.length > 0) reasons.push('brctl show lists bridges');
  if (ns.iptables.length > 0) reasons.push('an iptables-save');
  const viaCni = ns.routes.filter((r) => r.dev !== undefined && (isTunnelRole(roleOfName(r.dev)) || /^(?:cni0|cali)/.test(r.dev)));
  if (viaCni.length > 0) reasons.push(`routes via ${[...new Set(viaCni.map((r) => r.dev))].slice(0, 2).join(', ')}`);
  if (ns.routes.some((r) => r.proto === 'bird')) reasons.push('proto bird routes');
  if (ns.fdb.some((f) => f.dst !== undefined)) reasons.push('VXLAN fdb entries');
  // Hosts get their default route from DHCP, router adverts or static config; the CNI adds a pod's without a proto.
  const defaultRoute = ns.routes.find((r) => r.dst === 'default');
  if (defaultRoute?.proto !== undefined && ['dhcp', 'static', 'ra'].includes(defaultRoute.proto)) reasons.push(`default route proto ${defaultRoute.proto}`);
  return reasons;
}

function podEvidence(ns: NamespaceRecords): string[] {
  const reasons: string[] = [];
  const real = ns.interfaces.filter((i) => i.name !== 'lo' && !isIdleFallbackTunnel(ns, i));
  const veth = real.find((i) => i.peerIndex !== undefined && /^eth\d+$/.test(i.name));
  if (veth && real.length <= 2) reasons.push(`${veth.name}@if${veth.peerIndex} is its only interface`);
  const defaultRoute = ns.routes.find((r) => r.dst === 'default');
  if (defaultRoute?.via === '169.254.1.1') reasons.push('default via 169.254.1.1 (Calico)');
  else if (defaultRoute?.via && defaultRoute.proto === undefined && /\.1$/.test(defaultRoute.via) && defaultRoute.dev === 'eth0' && ns.routes.every((r) => r.dev === undefined || r.dev === 'eth0')) {
    reasons.push(`default via ${defaultRoute.via} dev eth0, the bridge gateway`);
  }
  if (ns.neighbours.some((n) => n.mac === 'ee:ee:ee:ee:ee:ee')) reasons.push('neighbour ee:ee:ee:ee:ee:ee (Calico proxy ARP)');
  return reasons;
}

export function classify(ns: NamespaceRecords, kubePods: KubePod[]): Classification {
  if (ns.hostKind === 'pod' && ns.hostEvidence.includes('bundle-pod')) return { kind: 'pod', guessed: false, reasons: ['pods/ folder'] };
  if (ns.hostEvidence.includes('bundle-node')) {
    // A pod's folder put at the top of a bundle: its dumps say pod and nothing says node.
    const pod = podEvidence(ns);
    if (pod.length > 0 && nodeEvidence(ns).length === 0) return { kind: 'pod', guessed: true, reasons: [...pod, 'a top-level folder, but its dumps are a pod\'s'] };
    return { kind: 'node', guessed: false, reasons: ['node folder'] };
  }
  if (ns.hostKind === 'pod') {
    // kube-proxy, calico-node and the CNI agents run with hostNetwork: exec'd into, they show the
    // node's own devices (cni0, flannel.1, bridge ports) and no pod veth. That namespace is a node's.
    const node = nodeEvidence(ns);
    if (node.length > 0 && podEvidence(ns).length === 0) return { kind: 'node', guessed: true, reasons: [...node, 'a hostNetwork pod: its dumps are its node\'s'] };
    return { kind: 'pod', guessed: false, reasons: ['kubectl exec / ip netns exec'] };
  }
  // `--node NAME` says the loose dumps are that node's.
  if (ns.hostEvidence.includes('option')) return { kind: 'node', guessed: false, reasons: ['--node'] };
  if (kubePods.some((p) => p.node === ns.name)) return { kind: 'node', guessed: false, reasons: ['kubectl get pods lists it as a node'] };
  if (kubePods.some((p) => p.name === ns.name)) return { kind: 'pod', guessed: false, reasons: ['kubectl get pods lists it'] };
  const node = nodeEvidence(ns);
  const pod = podEvidence(ns);
  if (ns.hostKind === 'node' && pod.length === 0) return { kind: 'node', guessed: false, reasons: ['docker exec into the node'] };
  if (pod.length > 0 && node.length === 0) return { kind: 'pod', guessed: true, reasons: pod };
  if (node.length > 0) return { kind: 'node', guessed: true, reasons: node };
  return { kind: 'node', guessed: true, reasons: ['nothing pod-like in its dumps'] };
}

/** One warning per file listing the guesses, so users see what to correct. */
export function guessWarnings(namespaces: NamespaceRecords[], classes: Map<string, Classification>): Warning[] {
  const byFile = new Map<string, string[]>();
  for (const ns of namespaces) {
    const c = classes.get(ns.name);
    if (!c?.guessed) continue;
    const file = [...ns.files][0] ?? '';
    const list = byFile.get(file) ?? [];
    list.push(`${ns.name} is a ${c.kind} (${c.reasons.join('; ')})`);
    byFile.set(file, list);
  }
  return [...byFile].map(([file, list]) => ({ file, message: `guessed from the dumps: ${list.join('; ')}` }));
}
