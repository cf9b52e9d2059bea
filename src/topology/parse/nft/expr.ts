// One nft rule's words → the closed NftExpr vocabulary (model.ts), left to
// right as nft prints them:
//
//   ip daddr 172.30.0.44 ip saddr != 10.0.0.0/8 jump mark-for-masquerade
//   └ match ───────────┘ └ match ─────────────┘ └ verdict ────────────┘
//   ip daddr . meta l4proto . th dport vmap @service-ips       (concatenation, verdict map)
//   numgen random mod 2 vmap { 0 : goto endpoint-…, 1 : goto endpoint-… }
//   meta mark & 0x00004000 == 0x00000000 return                (masked match)
//   meta mark set meta mark | 0x00004000                       (mangle statement)
//   meta l4proto tcp dnat to 10.180.0.5:80                     (NAT statement)
//
// What it does not know ends the rule as an `unknown` expression carrying the
// words left; the caller turns it into a warning with the line.
import { UnreadableInput } from '../../../errors.ts';
import type { NftElement, NftExpr, NftOperand, NftRight, NftVerdict } from '../../model.ts';
import type { NftToken } from './tokens.ts';

export interface ParsedRule {
  exprs: NftExpr[];
  comment?: string;
  /** The words podpath did not read, when any (the rule's `unknown` expression holds them too). */
  unknown?: string;
}

const PAYLOAD_PROTOCOLS = new Set(['ip', 'ip6', 'tcp', 'udp', 'udplite', 'sctp', 'dccp', 'th', 'icmp', 'icmpv6', 'ether', 'vlan', 'arp']);
/** meta keys nft prints without `meta` (nft(8), META EXPRESSIONS "unqualified"). */
const BARE_META = new Set(['mark', 'iif', 'oif', 'iifname', 'oifname', 'iiftype', 'oiftype', 'skuid', 'skgid', 'rtclassid', 'ibrname', 'obrname', 'ibriport', 'obriport', 'pkttype', 'cpu', 'iifgroup', 'oifgroup', 'cgroup', 'nftrace', 'priority', 'random', 'ipsec', 'iifkind', 'oifkind', 'time', 'day', 'hour']);
const FIB_RESULTS = new Set(['type', 'oif', 'oifname']);
const OPERATORS: Record<string, '==' | '!=' | '<' | '>' | '<=' | '>='> = {
  '==': '==', eq: '==', '!=': '!=', ne: '!=', '<': '<', lt: '<', '>': '>', gt: '>', '<=': '<=', le: '<=', '>=': '>=', ge: '>=',
};
const BINOPS: Record<string, '&' | '|' | '^'> = { '&': '&', and: '&', '|': '|', or: '|', '^': '^', xor: '^' };
const NAT_FLAGS = new Set(['random', 'fully-random', 'persistent']);

class Cursor {
  private at = 0;
  constructor(private readonly tokens: readonly NftToken[]) {}
  peek(offset = 0): NftToken | undefined {
    return this.tokens[this.at + offset];
  }
  word(offset = 0): string | undefined {
    const t = this.peek(offset);
    return t && !t.quoted ? t.text : undefined;
  }
  next(): NftToken | undefined {
    return this.tokens[this.at++];
  }
  done(): boolean {
    return this.at >= this.tokens.length;
  }
  rest(): string {
    return this.tokens.slice(this.at).map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' ');
  }
  mark(): number {
    return this.at;
  }
  reset(to: number): void {
    this.at = to;
  }
}


export function parseRuleTokens(tokens: readonly NftToken[]): ParsedRule {
  const cursor = new Cursor(tokens);
  const result: ParsedRule = { exprs: [] };
  while (!cursor.done()) {
    const start = cursor.mark();
    try {
      const expr = readOne(cursor, result);
      if (expr) result.exprs.push(expr);
    } catch (error) {
      if (!(error instanceof UnreadableInput)) throw error;
      cursor.reset(start);
      const text = cursor.rest();
      result.exprs.push({ kind: 'unknown', text });
      result.unknown = text;
      break;
    }
  }
  return result;
}

function fail(): never {
  throw new UnreadableInput();
}

function expectWord(cursor: Cursor): string {
  const t = cursor.next();
  if (!t || t.quoted) fail();
  return t.text;
}

function readOne(cursor: Cursor, result: ParsedRule): NftExpr | undefined {
  const word = cursor.word();
  if (word === undefined) fail();
  switch (word) {
    case 'counter':
      cursor.next();
      if (cursor.word() === 'packets') {
        cursor.next();
        cursor.next();
      }
      if (cursor.word() === 'bytes') {
        cursor.next();
        cursor.next();
      }
      return { kind: 'passive', what: 'counter' };
    case 'comment': {
      cursor.next();
      const text = cursor.next();
      if (!text) fail();
      result.comment = text.text;
      return undefined;
    }
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
    case 'jump':
    case 'goto':
      return { kind: 'verdict', verdict: readVerdict(cursor) };
    case 'reject':
      return readReject(cursor);
    case 'dnat':
    case 'snat':
    case 'masquerade':
    case 'redirect':
      return readNat(cursor);
    case 'notrack':
      cursor.next();
      return { kind: 'notrack' };
    case 'log':
      return readLog(cursor);
    case 'limit':
      return readLimit(cursor);
    case 'update':
    case 'add':
      return readSetUpdate(cursor);
    case 'xt': {
      // iptables-nft's untranslated extension: a comment match is harmless, anything else is unknown.
      if (cursor.word(1) === 'match' && cursor.peek(2)?.text === 'comment') {
        cursor.next();
        cursor.next();
        cursor.next();
        return { kind: 'passive', what: 'xt match "comment"' };
      }
      return fail();
    }
    default:
      return readMatchOrMangle(cursor);
  }
}

function readVerdict(cursor: Cursor): NftVerdict {
  const word = expectWord(cursor);
  if (word === 'jump' || word === 'goto') return { kind: word, target: expectWord(cursor) };
  if (word === 'accept' || word === 'drop' || word === 'return' || word === 'continue') return { kind: word };
  fail();
}

function readReject(cursor: Cursor): NftExpr {
  cursor.next();
  if (cursor.word() !== 'with') return { kind: 'reject' };
  cursor.next();
  const family = expectWord(cursor); // icmp | icmpv6 | icmpx | tcp
  if (family === 'tcp') {
    if (expectWord(cursor) !== 'reset') fail();
    return { kind: 'reject', with: 'tcp reset' };
  }
  if (cursor.word() === 'type') cursor.next();
  return { kind: 'reject', with: `${family} ${expectWord(cursor)}` };
}

function readNat(cursor: Cursor): NftExpr {
  const type = expectWord(cursor) as 'dnat' | 'snat' | 'masquerade' | 'redirect';
  const expr: Extract<NftExpr, { kind: 'nat' }> = { kind: 'nat', type, flags: [] };
  if ((cursor.word() === 'ip' || cursor.word() === 'ip6') && cursor.word(1) === 'to') cursor.next();
  if (cursor.word() === 'to') {
    cursor.next();
    const target = expectWord(cursor);
    // `dnat ip addr . port to … map { … }` and other mapped forms: not a fixed address.
    if (cursor.word() === 'map' || cursor.word() === '.') fail();
    const parsed = parseAddressPort(target);
    if (!parsed) fail();
    if (parsed.addr !== undefined) expr.addr = parsed.addr;
    if (parsed.port !== undefined) expr.port = parsed.port;
  }
  while (cursor.word() !== undefined && NAT_FLAGS.has(cursor.word()!.split(',')[0]!)) {
    for (const flag of expectWord(cursor).split(',')) if (flag) expr.flags.push(flag);
    while (cursor.word() === ',') {
      cursor.next();
      expr.flags.push(expectWord(cursor));
    }
  }
  return expr;
}

/** "10.180.0.5:80", "10.180.0.5", ":8080", "[fd00::1]:80", "fd00::1" → address and port. */
export function parseAddressPort(text: string): { addr?: string; port?: number } | undefined {
  const bracket = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text);
  if (bracket) return { addr: bracket[1]!, ...(bracket[2] ? { port: Number(bracket[2]) } : {}) };
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})?(?::(\d{1,5}))?$/.exec(text);
  if (v4 && (v4[1] || v4[2])) return { ...(v4[1] ? { addr: v4[1] } : {}), ...(v4[2] ? { port: Number(v4[2]) } : {}) };
  if (/^[0-9a-fA-F:]+$/.test(text) && text.includes('::')) return { addr: text };
  return undefined;
}

function readLog(cursor: Cursor): NftExpr {
  cursor.next();
  for (;;) {
    const w = cursor.word();
    if (w === 'prefix' || w === 'level' || w === 'group' || w === 'snaplen' || w === 'queue-threshold') {
      cursor.next();
      cursor.next();
    } else if (w === 'flags') {
      cursor.next();
      cursor.next();
      while (cursor.word() === ',') {
        cursor.next();
        cursor.next();
      }
    } else break;
  }
  return { kind: 'passive', what: 'log' };
}

function readLimit(cursor: Cursor): NftExpr {
  cursor.next();
  if (cursor.word() !== 'rate') fail();
  cursor.next();
  if (cursor.word() === 'over') cursor.next();
  expectWord(cursor); // 10/second
  if (cursor.word() === 'burst') {
    cursor.next();
    expectWord(cursor);
    if (cursor.word() === 'packets' || cursor.word() === 'bytes') cursor.next();
  }
  return { kind: 'passive', what: 'limit' };
}

/** `update @affinity-… { ip saddr }`: session affinity records the client; the first packet is unchanged. */
function readSetUpdate(cursor: Cursor): NftExpr {
  const op = expectWord(cursor);
  const set = expectWord(cursor);
  if (!set.startsWith('@') || cursor.word() !== '{') fail();
  const words: string[] = [];
  let depth = 0;
  do {
    const t = cursor.next();
    if (!t) fail();
    if (!t.quoted && t.text === '{') depth++;
    if (!t.quoted && t.text === '}') depth--;
    words.push(t.text);
  } while (depth > 0);
  return { kind: 'passive', what: `${op} ${set} ${words.join(' ')}` };
}

function readMatchOrMangle(cursor: Cursor): NftExpr {
  const left = readOperandChain(cursor);
  const w = cursor.word();
  if (w === 'vmap') {
    cursor.next();
    return { kind: 'vmap', key: left, map: readVmapTarget(cursor) };
  }
  if (w === 'set') {
    cursor.next();
    return { kind: 'mangle', key: left, value: readValueExpression(cursor) };
  }
  if (w === 'map') fail();
  let op: Extract<NftExpr, { kind: 'match' }>['op'] = '==';
  if (w !== undefined && Object.hasOwn(OPERATORS, w)) {
    op = OPERATORS[w]!;
    cursor.next();
  }
  return { kind: 'match', left, op, right: readRight(cursor) };
}

function readOperandChain(cursor: Cursor): NftOperand {
  const parts = [readOperand(cursor)];
  while (cursor.word() === '.') {
    cursor.next();
    parts.push(readOperand(cursor));
  }
  let operand: NftOperand = parts.length === 1 ? parts[0]! : { kind: 'concat', parts };
  const op = cursor.word();
  if (op !== undefined && Object.hasOwn(BINOPS, op)) {
    cursor.next();
    const value = parseNumber(expectWord(cursor));
    if (value === undefined) fail();
    operand = { kind: 'binop', op: BINOPS[op]!, left: operand, right: value };
  }
  return operand;
}

function readOperand(cursor: Cursor): NftOperand {
  const word = expectWord(cursor);
  if (PAYLOAD_PROTOCOLS.has(word)) {
    const field = cursor.word();
    if (field === undefined) fail();
    cursor.next();
    return { kind: 'payload', protocol: word, field };
  }
  if (word === 'meta') return { kind: 'meta', key: expectWord(cursor) };
  if (BARE_META.has(word)) return { kind: 'meta', key: word };
  if (word === 'ct') {
    let key = expectWord(cursor);
    if (key === 'original' || key === 'reply') {
      if (cursor.word() === 'ip' || cursor.word() === 'ip6') key += ` ${expectWord(cursor)}`;
      key += ` ${expectWord(cursor)}`;
    }
    return { kind: 'ct', key };
  }
  if (word === 'fib') {
    // `fib saddr . oif type`: flags joined by dots (oif is a flag there), then the result.
    const flags = [expectWord(cursor)];
    while (cursor.word() === '.') {
      cursor.next();
      flags.push(expectWord(cursor));
    }
    const result = expectWord(cursor);
    if (!FIB_RESULTS.has(result)) fail();
    return { kind: 'fib', flags, result };
  }
  if (word === 'numgen') {
    const mode = expectWord(cursor);
    if ((mode !== 'random' && mode !== 'inc') || expectWord(cursor) !== 'mod') fail();
    const mod = parseNumber(expectWord(cursor));
    if (mod === undefined || mod <= 0) fail();
    let offset = 0;
    if (cursor.word() === 'offset') {
      cursor.next();
      offset = parseNumber(expectWord(cursor)) ?? fail();
    }
    return { kind: 'numgen', mode, mod, offset };
  }
  fail();
}

/** `meta mark | 0x00004000`, `0x4000`, `1`: what a `set` statement writes. */
function readValueExpression(cursor: Cursor): NftOperand {
  const w = cursor.word();
  if (w !== undefined && parseNumber(w) !== undefined) {
    cursor.next();
    return { kind: 'value', value: w };
  }
  return readOperandChain(cursor);
}

function readRight(cursor: Cursor): NftRight {
  const t = cursor.peek();
  if (!t) fail();
  if (!t.quoted && t.text.startsWith('@')) {
    cursor.next();
    return { kind: 'set', name: t.text.slice(1) };
  }
  if (!t.quoted && t.text === '{') {
    const elements = readElements(cursor);
    return { kind: 'values', values: elements.map((e) => e.key) };
  }
  const first = readConcatValue(cursor);
  const values = [first];
  // `ct state established,related`: a comma list outside braces is a set of single values.
  while (cursor.word() === ',') {
    cursor.next();
    values.push(readConcatValue(cursor));
  }
  return { kind: 'values', values };
}

function readConcatValue(cursor: Cursor): string[] {
  const values = [readValue(cursor)];
  while (cursor.word() === '.') {
    cursor.next();
    values.push(readValue(cursor));
  }
  return values;
}

function readValue(cursor: Cursor): string {
  const t = cursor.next();
  if (!t) fail();
  if (t.quoted) return t.text;
  if (t.text === '{' || t.text === '}' || t.text === ',' || t.text === ';' || t.text.startsWith('(')) fail();
  return t.text;
}

function readVmapTarget(cursor: Cursor): Extract<NftExpr, { kind: 'vmap' }>['map'] {
  const t = cursor.peek();
  if (t && !t.quoted && t.text.startsWith('@')) {
    cursor.next();
    return { kind: 'set', name: t.text.slice(1) };
  }
  if (t && !t.quoted && t.text === '{') return { kind: 'elements', elements: readElements(cursor) };
  fail();
}

/**
 * `{ key [comment "…"] [timeout …] [: value], … }` as set and map bodies print them;
 * the cursor stands on the opening brace and ends after the closing one.
 */
export function readElements(cursor: Cursor): NftElement[] {
  if (cursor.word() !== '{') fail();
  cursor.next();
  const elements: NftElement[] = [];
  while (cursor.word() !== '}') {
    if (cursor.done()) fail();
    if (cursor.word() === ',') {
      cursor.next();
      continue;
    }
    const element: NftElement = { key: readConcatValue(cursor) };
    for (;;) {
      const w = cursor.word();
      if (w === 'comment') {
        cursor.next();
        element.comment = cursor.next()?.text ?? fail();
      } else if (w === 'timeout' || w === 'expires') {
        cursor.next();
        cursor.next();
      } else if (w === 'counter') {
        cursor.next();
        if (cursor.word() === 'packets') { cursor.next(); cursor.next(); }
        if (cursor.word() === 'bytes') { cursor.next(); cursor.next(); }
      } else break;
    }
    if (cursor.word() === ':') {
      cursor.next();
      const v = cursor.word();
      if (v === 'accept' || v === 'drop' || v === 'return' || v === 'continue' || v === 'jump' || v === 'goto') element.verdict = readVerdict(cursor);
      else element.data = readConcatValue(cursor);
    }
    elements.push(element);
  }
  cursor.next();
  return elements;
}

export { Cursor };

export function parseNumber(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return Number(text);
  return undefined;
}
