// A capture of another cluster beside these dumps: when the dumps name nodes and none of
// the capture's addresses is theirs (no pod, node, service, VTEP, gateway or pod subnet),
// the capture is said not to belong, instead of its silence becoming a fault.
import type { Topology } from '../../topology/model.ts';
import type { PacketFacts } from '../facts.ts';
import { AddressBook } from '../names.ts';
import type { Unplaced } from './model.ts';

/** Link-local, multicast and unspecified addresses are on every link of every cluster: they say nothing. */
function linkScoped(ip: string): boolean {
  if (ip.includes(':')) return /^(fe[89ab]|ff)/i.test(ip) || ip === '::';
  const first = Number(ip.split('.')[0]);
  return ip === '0.0.0.0' || ip === '255.255.255.255' || (first >= 224 && first <= 239) || ip.startsWith('169.254.');
}

/** Asked of each packet as it is read; `result()` once the capture (or its part) is read. */
export class ForeignCheck {
  private readonly seen = new Set<string>();
  /** An address the dumps know was met: the capture is theirs, nothing more to look at. */
  private ours = false;
  private packets = 0;
  private readonly book: AddressBook | undefined;

  constructor(private readonly topology: Topology) {
    // A book of its own: asking must not add these addresses to the explanation's list.
    this.book = topology.nodes.length > 0 ? new AddressBook(topology) : undefined;
  }

  private known(ip: string | undefined): boolean {
    if (ip === undefined || this.seen.has(ip) || linkScoped(ip)) return false;
    this.seen.add(ip);
    const kind = this.book!.name(ip).kind;
    return kind !== 'outside' && kind !== 'unknown';
  }

  add(p: PacketFacts): void {
    this.packets++;
    if (this.ours || !this.book) return;
    // The first address the dumps know settles it: most captures are the dumps' own.
    if (this.known(p.tuple?.src) || this.known(p.tuple?.dst) || this.known(p.outer?.src) || this.known(p.outer?.dst) || this.known(p.arp?.senderIp) || this.known(p.arp?.targetIp)) {
      this.ours = true;
      this.seen.clear();
    }
  }

  result(): Unplaced | undefined {
    if (this.topology.nodes.length === 0 || this.packets === 0 || this.ours || this.seen.size === 0) return undefined;
    const n = this.seen.size;
    return { reason: 'foreign', text: `this capture does not look like these dumps: none of its ${n} address${n === 1 ? '' : 'es'} is in them` };
  }
}
