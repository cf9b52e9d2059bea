// NftExpr → nft's own text, for rules read from `nft -j list ruleset` (which has
// no text of its own): the trace shows a rule as `nft list ruleset` would.
import type { NftElement, NftExpr, NftOperand, NftRight, NftVerdict } from '../../model.ts';

const BARE_META = new Set(['iif', 'oif', 'iifname', 'oifname', 'iiftype', 'oiftype', 'skuid', 'skgid']);

export function formatOperand(o: NftOperand): string {
  switch (o.kind) {
    case 'payload':
      return `${o.protocol} ${o.field}`;
    case 'meta':
      return BARE_META.has(o.key) ? o.key : `meta ${o.key}`;
    case 'ct':
      return `ct ${o.key}`;
    case 'fib':
      return `fib ${o.flags.join(' . ')} ${o.result}`;
    case 'numgen':
      return `numgen ${o.mode} mod ${o.mod}${o.offset ? ` offset ${o.offset}` : ''}`;
    case 'concat':
      return o.parts.map(formatOperand).join(' . ');
    case 'binop':
      return `${formatOperand(o.left)} ${o.op} 0x${o.right.toString(16).padStart(8, '0')}`;
    case 'value':
      return o.value;
    default: {
      const never: never = o;
      return String(never);
    }
  }
}

export function formatVerdict(v: NftVerdict): string {
  return v.kind === 'jump' || v.kind === 'goto' ? `${v.kind} ${v.target}` : v.kind;
}

function formatElement(e: NftElement): string {
  const key = e.key.join(' . ') + (e.comment !== undefined ? ` comment "${e.comment}"` : '');
  if (e.verdict) return `${key} : ${formatVerdict(e.verdict)}`;
  if (e.data) return `${key} : ${e.data.join(' . ')}`;
  return key;
}

/** nft prints marks and masked values as 32-bit hex (`meta mark & 0x00004000 == 0x00000000`). */
function isBitfield(o: NftOperand): boolean {
  return o.kind === 'binop' || ((o.kind === 'meta' || o.kind === 'ct') && o.key === 'mark');
}

function hex(value: string): string {
  return /^\d+$/.test(value) ? `0x${Number(value).toString(16).padStart(8, '0')}` : value;
}

function formatRight(r: NftRight, left?: NftOperand): string {
  if (r.kind === 'set') return `@${r.name}`;
  if (left && isBitfield(left) && r.values.length === 1 && r.values[0]!.length === 1) return hex(r.values[0]![0]!);
  if (r.values.length === 1) return r.values[0]!.join(' . ');
  return `{ ${r.values.map((v) => v.join(' . ')).join(', ')} }`;
}

export function formatExpr(e: NftExpr): string {
  switch (e.kind) {
    case 'match':
      // A masked match always prints its operator (`meta mark & 0x4000 == 0x0`); a plain one only when not ==.
      return `${formatOperand(e.left)} ${e.op === '==' && e.left.kind !== 'binop' ? '' : `${e.op} `}${formatRight(e.right, e.left)}`;
    case 'vmap':
      return `${formatOperand(e.key)} vmap ${e.map.kind === 'elements' ? `{ ${e.map.elements.map(formatElement).join(', ')} }` : formatRight(e.map)}`;
    case 'verdict':
      return formatVerdict(e.verdict);
    case 'reject':
      return e.with ? `reject with ${e.with}` : 'reject';
    case 'nat': {
      const to = e.addr !== undefined || e.port !== undefined ? ` to ${e.addr ?? ''}${e.port !== undefined ? `:${e.port}` : ''}` : '';
      return `${e.type}${to}${e.flags.length ? ` ${e.flags.join(',')}` : ''}`;
    }
    case 'mangle':
      return `${formatOperand(e.key)} set ${formatOperand(e.value)}`;
    case 'notrack':
      return 'notrack';
    case 'passive':
      return e.what;
    case 'unknown':
      return e.text;
    default: {
      const never: never = e;
      return String(never);
    }
  }
}

export function formatRule(exprs: readonly NftExpr[], comment?: string): string {
  return [...exprs.map(formatExpr), ...(comment !== undefined ? [`comment "${comment}"`] : [])].join(' ');
}
