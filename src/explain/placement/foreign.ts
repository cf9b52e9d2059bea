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
  const addresses = new Set<string>();
  for (const p of facts) {
    for (const ip of [p.tuple?.src, p.tuple?.dst, p.outer?.src, p.outer?.dst, p.arp?.senderIp, p.arp?.targetIp]) if (ip !== undefined && !linkScoped(ip)) addresses.add(ip);
  }
  if (addresses.size === 0) return undefined;
  // A book of its own: asking must not add these addresses to the explanation's list.
  const book = new AddressBook(topology);
  const ours = [...addresses].filter((ip) => {
    const kind = book.name(ip).kind;
    return kind !== 'outside' && kind !== 'unknown';
  });
  if (ours.length > 0) return undefined;
  return { reason: 'foreign', text: `this capture does not look like these dumps: none of its ${addresses.size} address${addresses.size === 1 ? '' : 'es'} is in them` };
}
