// `nft -j list ruleset` (libnftables' JSON, libnftables-json(5), schema version 1)
// into the same tables as the text form. No npm package parses or types this
// schema (searched the registry for nftables/libnftables JSON), so it is read
// here, object by object: what it does not know becomes a warning naming the
// object's position in the `nftables` array, and the rest still counts.
import { UnreadableInput } from '../../../errors.ts';
import type { NftChain, NftElement, NftExpr, NftFamily, NftOperand, NftRight, NftRule, NftSet, NftTable, NftVerdict, Warning } from '../../model.ts';
import { formatOperand, formatRule } from './format.ts';
import { appendAll } from '../../../util/append.ts';

type Json = unknown;
const FAMILIES = new Set<NftFamily>(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

const fail = (what: string): never => {
  throw new UnreadableInput(what);
};
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseNftJson(text: string, file: string, options: { firstLine?: number } = {}): { tables: NftTable[]; warnings: Warning[] } {
  const line = options.firstLine ?? 1;
  const warnings: Warning[] = [];
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { tables: [], warnings: [{ file, line, message: `nft -j output is not valid JSON (${(error as Error).message})` }] };
  }
  const list = isObject(doc) && Array.isArray(doc['nftables']) ? doc['nftables'] : undefined;
  if (!list) return { tables: [], warnings: [{ file, line, message: 'expected nft -j output: an object with an "nftables" array' }] };
  const tables: NftTable[] = [];
  const find = (family: Json, name: Json) => tables.find((t) => t.family === family && t.name === name);
  list.forEach((item, position) => {
    const source = { file, line };
    const warn = (message: string) => warnings.push({ file, line, message: `nftables[${position}]: ${message}` });
    if (!isObject(item)) return warn('not an object');
    const [kind] = Object.keys(item);
    const body = kind === undefined ? undefined : item[kind];
    if (kind === 'metainfo' || !isObject(body)) return;
    try {
      if (kind === 'table') {
        if (!FAMILIES.has(body['family'] as NftFamily) || typeof body['name'] !== 'string') fail('a table needs a family and a name');
        const table: NftTable = { family: body['family'] as NftFamily, name: body['name'] as string, chains: {}, sets: {}, source };
        if (typeof body['comment'] === 'string') table.comment = body['comment'];
        tables.push(table);
        return;
      }
      const table = find(body['family'], body['table']);
      if (!table) fail(`${kind} of table ${String(body['family'])} ${String(body['table'])}, which was not listed before it`);
      if (kind === 'chain') table!.chains[String(body['name'])] = readChain(body, source);
      else if (kind === 'set' || kind === 'map') table!.sets[String(body['name'])] = readSet(kind, body, source);
      else if (kind === 'rule') {
        const chain = table!.chains[String(body['chain'])] ?? fail(`rule of chain ${String(body['chain'])}, which was not listed before it`);
        const rule = readRule(table!, chain, body, source, warn);
        chain.rules.push(rule);
      }
    } catch (error) {
      if (!(error instanceof UnreadableInput)) throw error;
      warn(error.message);
    }
  });
  return { tables, warnings };
}

function readChain(body: Record<string, Json>, source: NftTable['source']): NftChain {
  const chain: NftChain = { name: String(body['name']), rules: [], source };
  if (typeof body['hook'] === 'string') {
    const type = body['type'];
    if (type !== 'filter' && type !== 'nat' && type !== 'route') fail(`chain ${chain.name}: unknown type ${String(type)}`);
    const priority = typeof body['prio'] === 'number' ? body['prio'] : fail(`chain ${chain.name}: no numeric prio`);
    chain.base = { type: type as 'filter', hook: body['hook'], priority, policy: body['policy'] === 'drop' ? 'drop' : 'accept' };
    if (typeof body['dev'] === 'string') chain.base.device = body['dev'];
  }
  if (typeof body['comment'] === 'string') chain.comment = body['comment'];
  return chain;
}

function scalar(v: Json): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (isObject(v) && isObject(v['prefix'])) return `${String(v['prefix']['addr'])}/${String(v['prefix']['len'])}`;
  if (isObject(v) && Array.isArray(v['range'])) return v['range'].map(scalar).join('-');
  return fail(`a value podpath does not read: ${JSON.stringify(v).slice(0, 80)}`);
}

function values(v: Json): string[] {
  if (isObject(v) && Array.isArray(v['concat'])) return v['concat'].map(scalar);
  return [scalar(v)];
}

function verdictOf(v: Json): NftVerdict | undefined {
  if (!isObject(v)) return undefined;
  for (const kind of ['accept', 'drop', 'return', 'continue'] as const) if (kind in v) return { kind };
  for (const kind of ['jump', 'goto'] as const) {
    const target = v[kind];
    if (isObject(target) && typeof target['target'] === 'string') return { kind, target: target['target'] };
  }
  return undefined;
}

function element(v: Json): NftElement {
  let key: Json = v;
  let comment: string | undefined;
  if (isObject(v) && isObject(v['elem'])) {
    key = v['elem']['val'];
    if (typeof v['elem']['comment'] === 'string') comment = v['elem']['comment'];
  }
  const e: NftElement = { key: values(key) };
  if (comment !== undefined) e.comment = comment;
  return e;
}

function elements(list: Json): NftElement[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    // A map's element is [key, value]; a set's is the key alone.
    if (Array.isArray(item) && item.length === 2) {
      const e = element(item[0]);
      const verdict = verdictOf(item[1]);
      if (verdict) e.verdict = verdict;
      else e.data = values(item[1]);
      return e;
    }
    return element(item);
  });
}

function readSet(kind: 'set' | 'map', body: Record<string, Json>, source: NftTable['source']): NftSet {
  const type = body['type'];
  const set: NftSet = {
    name: String(body['name']), kind, keyType: Array.isArray(type) ? type.map(String) : [String(type)],
    flags: Array.isArray(body['flags']) ? body['flags'].map(String) : typeof body['flags'] === 'string' ? [body['flags']] : [],
    elements: elements(body['elem']), source,
  };
  if (typeof body['map'] === 'string') set.valueType = body['map'];
  if (typeof body['timeout'] === 'number') set.timeoutSeconds = body['timeout'];
  if (typeof body['comment'] === 'string') set.comment = body['comment'];
  return set;
}

function operand(v: Json): NftOperand {
  if (!isObject(v)) return { kind: 'value', value: scalar(v) };
  if (isObject(v['payload'])) return { kind: 'payload', protocol: String(v['payload']['protocol']), field: String(v['payload']['field']) };
  if (isObject(v['meta'])) return { kind: 'meta', key: String(v['meta']['key']) };
  if (isObject(v['ct'])) return { kind: 'ct', key: String(v['ct']['key']) };
  if (isObject(v['fib'])) {
    const flags = v['fib']['flags'];
    return { kind: 'fib', flags: Array.isArray(flags) ? flags.map(String) : [String(flags)], result: String(v['fib']['result']) };
  }
  if (isObject(v['numgen'])) {
    const n = v['numgen'];
    return { kind: 'numgen', mode: n['mode'] === 'inc' ? 'inc' : 'random', mod: Number(n['mod']), offset: Number(n['offset'] ?? 0) };
  }
  if (Array.isArray(v['concat'])) return { kind: 'concat', parts: v['concat'].map(operand) };
  for (const op of ['&', '|', '^'] as const) {
    const pair = v[op];
    if (Array.isArray(pair) && pair.length === 2 && typeof pair[1] === 'number') return { kind: 'binop', op, left: operand(pair[0]), right: pair[1] };
  }
  return fail(`an expression podpath does not read: ${JSON.stringify(v).slice(0, 80)}`);
}

function right(v: Json): NftRight {
  if (typeof v === 'string' && v.startsWith('@')) return { kind: 'set', name: v.slice(1) };
  if (isObject(v) && Array.isArray(v['set'])) return { kind: 'values', values: v['set'].map(values) };
  // `ct state established,related` is a list in JSON.
  if (Array.isArray(v)) return { kind: 'values', values: v.map(values) };
  return { kind: 'values', values: [values(v)] };
}

const OPS: Record<string, Extract<NftExpr, { kind: 'match' }>['op']> = { '==': '==', in: '==', '!=': '!=', '<': '<', '>': '>', '<=': '<=', '>=': '>=' };

function expr(v: Json): NftExpr | undefined {
  if (!isObject(v)) return fail('a rule expression that is not an object');
  const verdict = verdictOf(v);
  if (verdict) return { kind: 'verdict', verdict };
  const [kind] = Object.keys(v);
  const body = v[kind ?? ''];
  switch (kind) {
    case 'match': {
      if (!isObject(body)) return fail('match without a body');
      const op = OPS[String(body['op'])] ?? fail(`match operator ${String(body['op'])}`);
      return { kind: 'match', left: operand(body['left']), op, right: right(body['right']) };
    }
    case 'vmap': {
      if (!isObject(body)) return fail('vmap without a body');
      const data = body['data'];
      const map = isObject(data) && Array.isArray(data['set']) ? { kind: 'elements' as const, elements: elements(data['set']) } : right(data);
      if (map.kind === 'values') return fail('a vmap over literal values');
      return { kind: 'vmap', key: operand(body['key']), map };
    }
    case 'counter':
      return { kind: 'passive', what: 'counter' };
    case 'reject': {
      const e: NftExpr = { kind: 'reject' };
      // icmp port-unreachable is the default, which nft prints as a bare `reject`.
      if (isObject(body) && body['type'] === 'tcp reset') e.with = 'tcp reset';
      else if (isObject(body) && typeof body['expr'] === 'string' && !(body['type'] === 'icmp' && body['expr'] === 'port-unreachable')) e.with = `${String(body['type'] ?? 'icmp')} ${body['expr']}`;
      return e;
    }
    case 'dnat':
    case 'snat':
    case 'masquerade':
    case 'redirect': {
      const e: Extract<NftExpr, { kind: 'nat' }> = { kind: 'nat', type: kind, flags: [] };
      if (isObject(body)) {
        if (body['addr'] !== undefined) e.addr = scalar(body['addr']);
        if (typeof body['port'] === 'number') e.port = body['port'];
        const flags = body['flags'];
        if (Array.isArray(flags)) appendAll(e.flags, flags.map(String));
        else if (typeof flags === 'string') e.flags.push(flags);
      }
      return e;
    }
    case 'mangle':
      if (!isObject(body)) return fail('mangle without a body');
      return { kind: 'mangle', key: operand(body['key']), value: operand(body['value']) };
    case 'notrack':
      return { kind: 'notrack' };
    case 'log':
    case 'limit':
      return { kind: 'passive', what: kind };
    case 'set': {
      // `update @affinity-… { ip saddr }`: session affinity records the client; the first packet is unchanged.
      if (!isObject(body)) return fail('set statement without a body');
      const key = body['elem'] === undefined ? '' : ` { ${formatOperand(operand(body['elem']))} }`;
      return { kind: 'passive', what: `${String(body['op'] ?? 'update')} @${String(body['set']).replace(/^@/, '')}${key}` };
    }
    case 'xt':
      if (isObject(body) && body['type'] === 'match' && body['name'] === 'comment') return { kind: 'passive', what: 'xt match "comment"' };
      // iptables-nft's untranslated match or target (`xt match "comment"`, `xt target "MASQUERADE"`).
      return { kind: 'unknown', text: `xt ${isObject(body) ? `${String(body['type'])} "${String(body['name'])}"` : ''}` };
    default:
      return { kind: 'unknown', text: JSON.stringify(v).slice(0, 120) };
  }
}

function readRule(table: NftTable, chain: NftChain, body: Record<string, Json>, source: NftTable['source'], warn: (m: string) => void): NftRule {
  const exprs: NftExpr[] = [];
  for (const item of Array.isArray(body['expr']) ? body['expr'] : []) {
    try {
      const e = expr(item);
      if (e) exprs.push(e);
    } catch (error) {
      if (!(error instanceof UnreadableInput)) throw error;
      exprs.push({ kind: 'unknown', text: JSON.stringify(item).slice(0, 120) });
    }
  }
  const comment = typeof body['comment'] === 'string' ? body['comment'] : undefined;
  const rule: NftRule = {
    family: table.family, table: table.name, chain: chain.name, index: chain.rules.length + 1,
    text: formatRule(exprs, comment), exprs, source,
  };
  if (comment !== undefined) rule.comment = comment;
  if (typeof body['handle'] === 'number') rule.handle = body['handle'];
  const unknown = exprs.find((e) => e.kind === 'unknown');
  if (unknown) warn(`${table.family} ${table.name} ${chain.name}: podpath does not read \`${unknown.kind === 'unknown' ? unknown.text : ''}\`; the rule is taken not to match`);
  return rule;
}
