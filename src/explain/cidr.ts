import { appendAll } from '../util/append.ts';
// Prefix membership for IPv4 and IPv6 text addresses: the only address arithmetic
// the explainer needs (which pod subnet, which route). BigInt keeps both families
// in one code path.

function parseV4(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseV6(ip: string): bigint | undefined {
  const text = ip.split('%')[0] ?? '';
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const last = tail.length > 0 ? tail[tail.length - 1] : head[head.length - 1];
  const words: number[] = [];
  const push = (list: string[]): boolean => {
    for (const g of list) {
      if (g.includes('.')) {
        const v4 = parseV4(g);
        if (v4 === undefined || g !== last) return false;
        words.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
        words.push(parseInt(g, 16));
      }
    }
    return true;
  };
  const headWords: number[] = [];
  if (!push(head)) return undefined;
  appendAll(headWords, words.splice(0));
  if (!push(tail)) return undefined;
  const tailWords = words.splice(0);
  const missing = 8 - headWords.length - tailWords.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const all = [...headWords, ...new Array<number>(missing).fill(0), ...tailWords];
  return all.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

/** The address as a number and its family, or undefined when it is not an address. */
export function parseIp(ip: string): { family: 4 | 6; value: bigint } | undefined {
  if (ip.includes(':')) {
    const value = parseV6(ip);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(ip);
  return value === undefined ? undefined : { family: 4, value };
}

/** True when `ip` lies in `cidr` ('192.168.1.0/24', 'default', or a bare address meaning /32 or /128). */
export function inCidr(ip: string, cidr: string): boolean {
  const addr = parseIp(ip);
  if (!addr) return false;
  if (cidr === 'default') return true;
  const [base, lengthText] = cidr.split('/');
  const net = parseIp(base ?? '');
  if (!net || net.family !== addr.family) return false;
  const bits = addr.family === 4 ? 32 : 128;
  const length = lengthText === undefined ? bits : Number(lengthText);
  if (!Number.isInteger(length) || length < 0 || length > bits) return false;
  const shift = BigInt(bits - length);
  return addr.value >> shift === net.value >> shift;
}

/** Prefix length of a route destination ('default' is 0). */
export function prefixLength(cidr: string): number {
  if (cidr === 'default') return 0;
  const [base, lengthText] = cidr.split('/');
  if (lengthText !== undefined) return Number(lengthText);
  return (base ?? '').includes(':') ? 128 : 32;
}
