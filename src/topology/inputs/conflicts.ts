// Two dumps of one host that cannot be the same machine at the same moment. A node keeps its
// underlay addresses and its CNI's devices between two `ip addr` runs; when two dumps of
// `worker-1` share no underlay address, or one shows only Flannel's devices (flannel.N, cni0)
// and the other only Calico's (cali*, vxlan.calico, tunl0), they are two machines that share a
// name (two clusters' bundles) or one machine before and after a change. Merging them grafts
// one's pods onto the other's routes, so load.ts refuses (exit 2) unless --merge is given.
//
// Only disjoint sets count: `ip -4 a` beside `ip a`, a canal node (flannel.1 and cali*), a
// DHCP address added between two dumps all overlap and are one machine. A dump of one device
// (`ip link show cni0`, then `ip link show flannel.1`, as people paste them) says nothing about
// the rest of the machine, so only dumps listing several interfaces are compared; and a cni0
// bridge is Flannel's bridge as much as the bridge plugin's, so it never decides a CNI.
import { classifyInterface, isFlannelVxlanName } from '../roles.ts';
import type { NetInterface } from '../model.ts';

export interface HostConflict {
  host: string;
  first: { file: string; line: number };
  second: { file: string; line: number };
  /** What disagrees, for the message: `addresses 10.0.0.1 vs 10.0.0.2`, `CNI flannel vs calico`. */
  differences: string[];
}

type Cni = 'flannel' | 'calico' | 'cilium' | 'weave';

/** The CNI a device name belongs to, by each CNI's naming convention (see roles.ts). */
function cniOfDevice(name: string): Cni | undefined {
  if (isFlannelVxlanName(name)) return 'flannel';
  // cni0 is flannel's bridge and the bridge plugin's default name: it names no CNI (see the header).
  if (/^cali[0-9a-f]{6,}/.test(name) || /^vxlan(-v6)?\.calico$/.test(name)) return 'calico';
  if (/^cilium_/.test(name) || /^lxc[0-9a-f]{6,}/.test(name)) return 'cilium';
  if (name === 'weave' || /^vethwe-/.test(name)) return 'weave';
  return undefined;
}

interface Fingerprint {
  file: string;
  line: number;
  addresses: Set<string>;
  cni: Set<Cni>;
}

function fingerprintOf(interfaces: readonly NetInterface[], file: string, line: number): Fingerprint {
  const addresses = new Set<string>();
  const cni = new Set<Cni>();
  for (const iface of interfaces) {
    const family = cniOfDevice(iface.name);
    if (family) cni.add(family);
    if (classifyInterface(iface) !== 'underlay') continue;
    for (const a of iface.addresses) if (a.family === 4 && !a.address.startsWith('169.254.')) addresses.add(a.address);
  }
  return { file, line, addresses, cni };
}

const disjoint = <T>(a: Set<T>, b: Set<T>): boolean => a.size > 0 && b.size > 0 && ![...a].some((x) => b.has(x));
const listed = <T>(s: Set<T>): string => [...s].sort().join(',');

/** Remembers each host's first interface dump and reports a later one that cannot be the same machine. */
export class ConflictTracker {
  readonly conflicts: HostConflict[] = [];
  private readonly firstSeen = new Map<string, Fingerprint>();

  see(hostKey: string, host: string, interfaces: readonly NetInterface[], file: string, line: number): void {
    // One device's dump cannot show that the machine differs (see the header).
    if (interfaces.length < 2) return;
    const seen = fingerprintOf(interfaces, file, line);
    const first = this.firstSeen.get(hostKey);
    if (!first) {
      this.firstSeen.set(hostKey, seen);
      return;
    }
    const differences: string[] = [];
    if (disjoint(first.addresses, seen.addresses)) differences.push(`addresses ${listed(first.addresses)} vs ${listed(seen.addresses)}`);
    if (disjoint(first.cni, seen.cni)) differences.push(`CNI ${listed(first.cni)} vs ${listed(seen.cni)}`);
    if (differences.length === 0) {
      // Fill in what the first dump lacked (an `ip link` has no addresses), so a third dump is compared with both.
      for (const a of seen.addresses) first.addresses.add(a);
      for (const c of seen.cni) first.cni.add(c);
      return;
    }
    if (!this.conflicts.some((c) => c.host === host)) this.conflicts.push({ host, first: { file: first.file, line: first.line }, second: { file, line }, differences });
  }
}

/** The one line that says so, naming both files. */
export function conflictMessage(conflicts: readonly HostConflict[]): string {
  const c = conflicts[0]!;
  const more = conflicts.length > 1 ? ` (and ${conflicts.slice(1).map((x) => x.host).join(', ')} likewise)` : '';
  return `${c.host}: ${c.first.file}:${c.first.line} and ${c.second.file}:${c.second.line} are two machines or two moments (${c.differences.join('; ')})${more}; give one of them, or --merge to read them as one host`;
}
