// IPv4 arithmetic for the tracer: addresses as unsigned 32-bit numbers, prefixes
// as {network, length}. Kept tiny and allocation-free on the hot path (rule
// matching runs per packet per rule); parsed prefixes are cached by text.
// The tracer models IPv4 only: IPv6 routes and rules are skipped with a note.

export interface Prefix {
  network: number;
  length: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad text; undefined when it is not an IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
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

/** '10.0.0.0/8', '10.1.2.3' (a /32) or 'default' (0.0.0.0/0); undefined for anything else. */
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

/** True when `address` (text) lies inside `prefix` (text); false when either is not IPv4. */
export function inPrefix(address: string, prefix: string): boolean {
  const a = parseIpv4(address);
  const p = parsePrefix(prefix);
  return a !== undefined && p !== undefined && prefixContains(p, a);
}
