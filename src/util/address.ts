// Address arithmetic, in one place. IPv4 is the hot path (the tracer matches rules per packet
// per rule; the builder matches thousands of pods against a few subnets), so IPv4 addresses
// are unsigned 32-bit numbers and prefixes {network, length}, parsed once per text and cached,
// with no allocation per test. IPv6 (the builder's and the explainer's dual-stack dumps) goes
// through ip-num, wrapped here so the rest of the code deals in plain strings. ip-num is
// loaded on the first IPv6 question only: evaluating it cost ~0.2 s of every start-up
// (profiled on the UI's first frame), and IPv4-only dumps never need it.
import { createRequire } from 'node:module';
import type * as IpNum from 'ip-num';

let ipNumModule: typeof IpNum | undefined;
const ipNum = (): typeof IpNum => (ipNumModule ??= createRequire(import.meta.url)('ip-num') as typeof IpNum);

export interface Prefix {
  network: number;
  length: number;
}

/** Dotted-quad text as an unsigned 32-bit number; undefined when it is not an IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  return parseIpv4Within(text, 0, text.length);
}

/** parseIpv4 of `text.slice(start, end)`, without cutting it (the tracer reads kept ranges of a dump). */
export function parseIpv4Within(text: string, start: number, end: number): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      // A leading zero ('010') is refused as inet_pton(3) refuses it: iproute2 would read it as
      // octal (strtoul base 0) and inet_aton too, so a decimal reading could name another address.
      if (digits === 1 && part === 0) return undefined;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

const prefixCache = new Map<string, Prefix | null>();

/** '10.0.0.0/8', '10.0.0.0/255.0.0.0' (iptables), '10.1.2.3' (a /32) or 'default' (0.0.0.0/0); undefined for anything else. */
export function parsePrefix(text: string): Prefix | undefined {
  const cached = prefixCache.get(text);
  if (cached !== undefined) return cached ?? undefined;
  const parsed = parsePrefixUncached(text);
  if (prefixCache.size > 100_000) prefixCache.clear();
  prefixCache.set(text, parsed ?? null);
  return parsed;
}

function parsePrefixUncached(text: string): Prefix | undefined {
  if (text === 'default' || text === '0/0') return { network: 0, length: 0 };
  const slash = text.indexOf('/');
  const address = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  let length = 32;
  if (slash >= 0) {
    const suffix = text.slice(slash + 1);
    if (/^\d{1,2}$/.test(suffix)) length = Number(suffix);
    else {
      // iptables also accepts a dotted mask (-s 10.0.0.0/255.0.0.0).
      const mask = parseIpv4(suffix);
      if (mask === undefined) return undefined;
      length = 32 - Math.log2(((~mask >>> 0) + 1) || 2 ** 32);
      if (!Number.isInteger(length)) return undefined;
    }
    if (length > 32) return undefined;
  }
  return { network: (address & maskOf(length)) >>> 0, length };
}

export function prefixContains(prefix: Prefix, address: number): boolean {
  return ((address & maskOf(prefix.length)) >>> 0) === prefix.network;
}

/** True when IPv4 `address` (text) lies inside `prefix` (text); false when either is not IPv4. */
export function inPrefix(address: string, prefix: string): boolean {
  const a = parseIpv4(address);
  const p = parsePrefix(prefix);
  return a !== undefined && p !== undefined && prefixContains(p, a);
}

/** True when `address` (IPv4 or IPv6) lies in `cidr` ('default' contains every IPv4 address; a bare address is a host route). */
export function cidrContains(cidr: string, address: string): boolean {
  const v6 = address.includes(':');
  if (cidr === 'default') return !v6;
  if (!v6) return !cidr.includes(':') && inPrefix(address, cidr);
  if (!cidr.includes(':')) return false;
  const slash = cidr.indexOf('/');
  const network = slash < 0 ? cidr : cidr.slice(0, slash);
  const length = slash < 0 ? 128 : Number(cidr.slice(slash + 1));
  try {
    const { IPv6CidrRange } = ipNum();
    return IPv6CidrRange.fromCidr(`${network}/${length}`).contains(IPv6CidrRange.fromCidr(`${address.split('%')[0]}/128`));
  } catch {
    return false;
  }
}

/** An IPv6 address's 16 bytes, network order; undefined when ip-num does not read it as one. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  let value: bigint;
  try {
    value = ipNum().IPv6.fromString(text).getValue();
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return bytes;
}

/** The network an address/prefix sits in, in CIDR form (`192.168.1.1/24` → `192.168.1.0/24`). */
export function networkOf(address: string, prefixLength: number): string | undefined {
  const value = parseIpv4(address);
  if (value === undefined || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) return undefined;
  return `${formatIpv4((value & maskOf(prefixLength)) >>> 0)}/${prefixLength}`;
}

/** Prefix length of a route destination ('default' is /0, a bare address a host route). */
export function prefixLengthOf(cidr: string): number {
  if (cidr === 'default') return 0;
  const slash = cidr.indexOf('/');
  if (slash < 0) return cidr.includes(':') ? 128 : 32;
  return Number(cidr.slice(slash + 1));
}
