// Address arithmetic the builder needs, on top of ip-num (wrapped here so the
// rest of the code deals in plain strings).
import { IPv4, IPv4CidrRange, IPv6CidrRange } from 'ip-num';

function v4ToNumber(address: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

/** Parsed IPv4 networks, by CIDR text: matching thousands of pods against the same few subnets. */
const v4Networks = new Map<string, { block: number; size: number } | null>();

function v4Network(network: string, length: number, cidr: string): { block: number; size: number } | null {
  let parsed = v4Networks.get(cidr);
  if (parsed === undefined) {
    const n = v4ToNumber(network);
    const size = 2 ** (32 - length);
    parsed = n === undefined || !(length >= 0 && length <= 32) ? null : { block: Math.floor(n / size), size };
    if (v4Networks.size > 100_000) v4Networks.clear();
    v4Networks.set(cidr, parsed);
  }
  return parsed;
}

/** True when `address` lies in `cidr` ('default' contains everything of its family). */
export function cidrContains(cidr: string, address: string): boolean {
  if (cidr === 'default') return !address.includes(':');
  const slash = cidr.indexOf('/');
  const network = slash < 0 ? cidr : cidr.slice(0, slash);
  const length = slash < 0 ? (network.includes(':') ? 128 : 32) : Number(cidr.slice(slash + 1));
  if (!network) return false;
  if (!network.includes(':') && !address.includes(':')) {
    const net = v4Network(network, length, cidr);
    const a = v4ToNumber(address);
    return net !== null && a !== undefined && Math.floor(a / net.size) === net.block;
  }
  if (network.includes(':') && address.includes(':')) {
    try {
      return IPv6CidrRange.fromCidr(`${network}/${length}`).contains(IPv6CidrRange.fromCidr(`${address}/128`));
    } catch {
      return false;
    }
  }
  return false;
}

/** The network an address/prefix sits in, in CIDR form (`192.168.1.1/24` → `192.168.1.0/24`). */
export function networkOf(address: string, prefixLength: number): string | undefined {
  if (address.includes(':')) return undefined;
  try {
    const range = IPv4CidrRange.fromCidr(`${address}/${prefixLength}`);
    return `${range.getFirst().toString()}/${prefixLength}`;
  } catch {
    return undefined;
  }
}

/** Prefix length of a route destination ('default' is /0, a bare address a host route). */
export function prefixLengthOf(cidr: string): number {
  if (cidr === 'default') return 0;
  const slash = cidr.indexOf('/');
  if (slash < 0) return cidr.includes(':') ? 128 : 32;
  return Number(cidr.slice(slash + 1));
}

export function isIPv4Address(text: string): boolean {
  try {
    IPv4.fromString(text);
    return true;
  } catch {
    return false;
  }
}
