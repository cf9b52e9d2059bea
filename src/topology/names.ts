// One rule for "is this the same machine": Kubernetes node names are DNS names, so case does
// not matter (RFC 1123: `HostGW-Node` and `hostgw-node` are one node), and a shell prompt shows
// the host's first label only (bash's `\h`), so `root@ip-10-0-1-5:~#` is the node kubectl calls
// `ip-10-0-1-5.ec2.internal`. Names that are IP addresses match only exactly.
import { isIP } from './parse/tokens.ts';

/** The key two spellings of one host share (lower case). */
export function hostKey(name: string): string {
  return name.toLowerCase();
}

export function sameHost(a: string, b: string): boolean {
  const x = hostKey(a);
  const y = hostKey(b);
  if (x === y) return true;
  if (isIP(x) || isIP(y)) return false;
  // A short name matches an FQDN's first label; two FQDNs must match whole.
  if (x.includes('.') === y.includes('.')) return false;
  return x.split('.')[0] === y.split('.')[0];
}

/** The one name in `names` that `wanted` spells (exact first, then sameHost when it is unambiguous). */
export function findHost(names: readonly string[], wanted: string): string | undefined {
  if (names.includes(wanted)) return wanted;
  const matches = names.filter((n) => sameHost(n, wanted));
  return matches.length === 1 ? matches[0] : undefined;
}
