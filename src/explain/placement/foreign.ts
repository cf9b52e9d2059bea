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

export function foreignCapture(facts: PacketFacts[], topology: Topology): Unplaced | undefined {
  if (topology.nodes.length === 0 || facts.length === 0) return undefined;
  // A book of its own: asking must not add these addresses to the explanation's list.
  const book = new AddressBook(topology);
  const seen = new Set<string>();
  const ours = (ip: string | undefined): boolean => {
    if (ip === undefined || seen.has(ip) || linkScoped(ip)) return false;
    seen.add(ip);
    const kind = book.name(ip).kind;
    return kind !== 'outside' && kind !== 'unknown';
  };
  // The first address the dumps know settles it: most captures are the dumps' own.
  for (const p of facts) {
    if (ours(p.tuple?.src) || ours(p.tuple?.dst) || ours(p.outer?.src) || ours(p.outer?.dst) || ours(p.arp?.senderIp) || ours(p.arp?.targetIp)) return undefined;
  }
  if (seen.size === 0) return undefined;
  return { reason: 'foreign', text: `this capture does not look like these dumps: none of its ${seen.size} address${seen.size === 1 ? '' : 'es'} is in them` };
}
