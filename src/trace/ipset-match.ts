// `-m set --match-set NAME src|dst[,src|dst…]` against a dumped ip set, as the
// kernel's ip_set types compare (net/netfilter/ipset/ip_set_hash_*.c): the set's
// type names one dimension per comma (hash:ip,port → address, then proto:port),
// and each flag says whether that dimension is read from the packet's source or
// destination. list:set tries its member sets in order with the same flags;
// a hash:net member added `nomatch` excludes what it covers.
import type { Header } from './flow.ts';
import type { IpsetMembers } from './ipsets.ts';
import { parseIpv4, parsePrefix, prefixContains } from '../util/address.ts';

/** The dimensions of a set type: 'hash:ip,port' → ['ip', 'port']. */
export function dimensionsOf(type: string): string[] {
  const colon = type.indexOf(':');
  return colon < 0 ? [] : type.slice(colon + 1).split(',');
}

function addressFits(written: string, address: number): boolean {
  const dash = written.indexOf('-');
  if (dash > 0) {
    const low = parseIpv4(written.slice(0, dash));
    const high = parseIpv4(written.slice(dash + 1));
    return low !== undefined && high !== undefined && address >= low && address <= high;
  }
  const prefix = parsePrefix(written.includes('/') ? written : `${written}/32`);
  return prefix !== undefined && prefixContains(prefix, address);
}

/** 'udp:53', '80' (tcp), 'tcp:1000-2000' against the packet's protocol and port. */
function portFits(written: string, proto: string, port: number | undefined): boolean {
  const colon = written.indexOf(':');
  const wantProto = colon < 0 ? 'tcp' : written.slice(0, colon);
  const range = colon < 0 ? written : written.slice(colon + 1);
  if (port === undefined || wantProto !== proto) return false;
  const [low = '', high = low] = range.split('-');
  return port >= Number(low) && port <= Number(high);
}

export interface SetVerdict {
  matches: boolean;
  /** Set when a dimension could not be compared (iface, mark, mac …). */
  unknown?: string;
}

export function matchDumpedSet(set: IpsetMembers, flags: readonly string[], header: Header, depth = 0): SetVerdict {
  const dimensions = dimensionsOf(set.type ?? '');
  if (dimensions[0] === 'set') {
    if (depth > 4) return { matches: false, unknown: 'list:set nested deeper than ipset allows' };
    for (const name of set.members) {
      const inner = set.lookup?.(name);
      if (!inner) return { matches: false, unknown: `member set ${name} of the list:set is not in the dumps` };
      const verdict = matchDumpedSet(inner, flags, header, depth + 1);
      if (verdict.matches || verdict.unknown) return verdict;
    }
    return { matches: false };
  }
  const unsupported = dimensions.find((d) => d !== 'ip' && d !== 'net' && d !== 'port');
  if (unsupported !== undefined) return { matches: false, unknown: `podpath does not compare the ${unsupported} dimension of ${set.type} sets` };
  if (flags.length < dimensions.length) return { matches: false, unknown: `${flags.length} flag(s) for a ${dimensions.length}-dimension ${set.type} set` };
  const fits = (member: string): boolean => {
    const parts = member.split(',');
    return dimensions.every((dimension, i) => {
      const part = parts[i];
      if (part === undefined) return false;
      const source = flags[i] === 'src';
      if (dimension === 'port') return portFits(part, header.proto, source ? header.sport : header.dport);
      const address = parseIpv4(source ? header.src : header.dst);
      return address !== undefined && addressFits(part, address);
    });
  };
  if (set.nomatch?.some(fits)) return { matches: false };
  return { matches: set.members.some(fits) };
}
