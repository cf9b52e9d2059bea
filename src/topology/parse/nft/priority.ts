// nft's priority names (nft(8), "CHAIN PRIORITIES"): for the ip, ip6 and inet
// families raw -300, mangle -150, dstnat -100, filter 0, security 50, srcnat 100;
// the bridge family has its own (dstnat -300, filter -200, out 100, srcnat 300).
// `nft list ruleset` prints a standard value by name and an offset as
// `dstnat - 10`; other values as plain numbers.
import type { NftFamily } from '../../model.ts';

const INET: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const BRIDGE: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 };

/** "dstnat - 10" → -110; "-110" → -110; undefined when it is neither a number nor a known name. */
export function parsePriority(text: string, family: NftFamily): number | undefined {
  const m = /^\s*(-?\d+|[a-z]+)\s*(?:([+-])\s*(\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  const names = family === 'bridge' ? BRIDGE : INET;
  const base = /^-?\d+$/.test(m[1]!) ? Number(m[1]) : Object.hasOwn(names, m[1]!) ? names[m[1]!] : undefined;
  if (base === undefined) return undefined;
  const offset = m[3] === undefined ? 0 : Number(m[3]) * (m[2] === '-' ? -1 : 1);
  return base + offset;
}
