// `nft list ruleset` (also `nft -a list ruleset`, `nft list table …`) into
// nf_tables tables:
//
//   table ip kube-proxy {                                        a table
//       comment "rules for kube-proxy"
//       map service-ips {                                        a named set or map
//           type ipv4_addr . inet_proto . inet_service : verdict
//           elements = { 172.30.0.44 . tcp . 80 : goto service-…,   (may span lines)
//                        … }
//       }
//       chain nat-prerouting {                                   a chain
//           type nat hook prerouting priority dstnat; policy accept;   (base chains only)
//           jump services                                        rules, one per line
//       }
//   }
//
// Knows nothing of Kubernetes. Recovers: a line it cannot read is a warning with
// file and line, and the rest of the ruleset still counts; a rule with words it
// does not know keeps the words it read and an `unknown` expression for the rest.
import type { NftChain, NftFamily, NftRule, NftSet, NftTable, SourceRef, Warning } from '../../model.ts';
import { Cursor, parseRuleTokens, readElements } from './expr.ts';
import { UnreadableInput } from '../../../errors.ts';
import { parsePriority } from './priority.ts';
import { braceBalance, tokenize } from './tokens.ts';

export interface NftRulesetResult {
  tables: NftTable[];
  warnings: Warning[];
}

const FAMILIES = new Set<NftFamily>(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const HANDLE = /\s+# handle \d+$/;

interface Line {
  text: string;
  line: number;
}

/** Joins a statement whose braces span lines (`elements = { a,\n b }`) into one logical line. */
function logicalLines(text: string, firstLine: number): Line[] {
  const out: Line[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    let line = raw[i]!.replace(/\r$/, '').trim();
    const start = firstLine + i;
    if (line === '' || line.startsWith('#')) continue;
    // A block opener (`chain x {`) balances +1 on purpose; only an element list or an anonymous set is joined.
    if (/^elements\s*=/.test(line) || (!/\{$/.test(line) && braceBalance(line) > 0)) {
      let depth = braceBalance(line);
      while (depth > 0 && i + 1 < raw.length) {
        const more = raw[++i]!.trim();
        line += ` ${more}`;
        depth += braceBalance(more);
      }
    }
    out.push({ text: line, line: start });
  }
  return out;
}

export function parseNftRuleset(text: string, file: string, options: { firstLine?: number } = {}): NftRulesetResult {
  const tables: NftTable[] = [];
  const warnings: Warning[] = [];
  const warn = (l: Line, message: string) => warnings.push({ file, line: l.line, message, text: l.text.slice(0, 200) });
  let table: NftTable | undefined;
  let chain: NftChain | undefined;
  let set: NftSet | undefined;
  /** Blocks podpath does not read (flowtable, ct helper, counter …): skipped to their closing brace. */
  let skipDepth = 0;
  const managed = /^# Warning: table (\S+) (\S+) is managed by iptables-nft/;
  const managedTables = new Set<string>();
  for (const l of text.split('\n')) {
    const m = managed.exec(l.trim());
    if (m) managedTables.add(`${m[1]} ${m[2]}`);
  }

  /**
   * A paste that starts inside a table (the thread quoted from its middle: `\tchain OUTPUT {` …
   * `}` then `table ip nat {`): its chains belong to a table it does not name, so they are one
   * warning and skipped up to the table's closing brace; the tables after it read as usual.
   */
  let orphan: { first: Line; last: Line; depth: number } | undefined;
  const endOrphan = () => {
    if (!orphan) return;
    warn(orphan.first, `the paste starts inside a table (no \`table FAMILY NAME {\` line before it): lines ${orphan.first.line}–${orphan.last.line} skipped`);
    orphan = undefined;
  };

  for (const l of logicalLines(text, options.firstLine ?? 1)) {
    const source: SourceRef = { file, line: l.line };
    if (orphan) {
      orphan.last = l;
      orphan.depth += braceBalance(l.text);
      if (orphan.depth < 0) endOrphan();
      continue;
    }
    if (!table && tables.length === 0 && warnings.length === 0 && /^(?:chain|set|map)\s+\S+\s*\{$/.test(l.text)) {
      orphan = { first: l, last: l, depth: braceBalance(l.text) };
      continue;
    }
    if (skipDepth > 0) {
      skipDepth += braceBalance(l.text);
      continue;
    }
    if (l.text === '}') {
      if (set) set = undefined;
      else if (chain) chain = undefined;
      else if (table) table = undefined;
      else warn(l, 'a closing brace with no open table, chain or set');
      continue;
    }
    if (!table) {
      const m = /^table\s+(\S+)\s+(\S+)\s*\{$/.exec(l.text);
      if (!m || !FAMILIES.has(m[1] as NftFamily)) {
        warn(l, 'expected `table FAMILY NAME {` (family ip, ip6, inet, arp, bridge or netdev)');
        continue;
      }
      table = { family: m[1] as NftFamily, name: m[2]!, chains: {}, sets: {}, source };
      if (managedTables.has(`${m[1]} ${m[2]}`)) table.iptablesNft = true;
      tables.push(table);
      continue;
    }
    if (set) {
      readSetLine(set, l, warn);
      continue;
    }
    if (chain) {
      readChainLine(table, chain, l, source, warn);
      continue;
    }
    const block = /^(chain|set|map|flowtable|ct\s+\S+|counter|quota|limit|secmark|synproxy)\s+(\S+)\s*\{$/.exec(l.text);
    if (block?.[1] === 'chain') {
      chain = { name: block[2]!, rules: [], source };
      table.chains[chain.name] = chain;
    } else if (block?.[1] === 'set' || block?.[1] === 'map') {
      set = { name: block[2]!, kind: block[1], keyType: [], flags: [], elements: [], source };
      table.sets[set.name] = set;
    } else if (block) {
      skipDepth = 1; // a stateful object or flowtable: nothing the tracer reads
    } else if (/^comment\s+"/.test(l.text)) {
      table.comment = tokenize(l.text)[1]?.text ?? '';
    } else if (/^flags\s/.test(l.text)) {
      // `flags dormant` / `flags owner`: the table's own flags.
    } else {
      warn(l, `table ${table.family} ${table.name}: expected a chain, set or map`);
    }
  }
  endOrphan();
  // A paste cut by an archive or a terminal ends inside a table: what was read is kept, and said.
  if (table) warnings.push({ file, line: table.source.line, message: `table ${table.family} ${table.name} has no closing brace (truncated dump?); its rules are kept` });
  return { tables, warnings };
}

function readSetLine(set: NftSet, l: Line, warn: (l: Line, message: string) => void): void {
  // [\s\S], not `.`: a stray \r or U+2028 inside the line must not make the match (and the line) vanish.
  const m = /^(\S+)\s*([\s\S]*)$/.exec(l.text);
  const [, key = '', rest = ''] = m ?? [];
  switch (key) {
    case 'type':
    case 'typeof': {
      const [keys = '', value] = rest.replace(/;$/, '').split(/\s+:\s+/);
      set.keyType = keys.split(/\s+\.\s+/).map((k) => k.trim());
      if (value !== undefined) set.valueType = value.trim();
      return;
    }
    case 'flags':
      set.flags = rest.split(/\s*,\s*/).filter(Boolean);
      return;
    case 'comment':
      set.comment = tokenize(rest)[0]?.text ?? '';
      return;
    case 'elements': {
      const tokens = tokenize(rest.replace(/^=\s*/, ''));
      try {
        set.elements = keptElements(set, readElements(new Cursor(tokens)), l, warn);
      } catch (error) {
        if (!(error instanceof UnreadableInput)) throw error;
        warn(l, `${set.kind} ${set.name}: the elements could not be read; the ${set.kind} is taken as empty`);
      }
      return;
    }
    case 'timeout': {
      const seconds = parseDuration(rest.replace(/;$/, '').trim());
      if (seconds === undefined) warn(l, `${set.kind} ${set.name}: timeout \`${rest}\` is not a duration`);
      else set.timeoutSeconds = seconds;
      return;
    }
    case 'gc-interval':
    case 'size':
    case 'policy':
    case 'auto-merge':
    case 'counter':
      return;
    default:
      warn(l, `${set.kind} ${set.name}: \`${key}\` is not read`);
  }
}

// What each part of a key may look like, by its declared type (nft prints addresses, networks,
// ranges and `a-b` intervals; ports by number or service name). Other types are taken as they come.
const KEY_PART: Record<string, RegExp> = {
  ipv4_addr: /^\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2}|-\d{1,3}(?:\.\d{1,3}){3})?$/,
  ipv6_addr: /^[0-9a-f]*:[0-9a-f:.]*(?:\/\d{1,3}|-[0-9a-f]*:[0-9a-f:.]*)?$/i,
  inet_service: /^(?:\d{1,5}(?:-\d{1,5})?|[a-z][\w-]*)$/i,
};

/**
 * The elements whose key has the set's declared shape (one part per concatenated type, each
 * like its type) and, in a map, a value. Any other element (an elision such as `...` in a pasted
 * excerpt) is skipped with one warning for the list: it would otherwise stand as an element that
 * maps nothing, or a service address that is none.
 */
function keptElements(set: NftSet, elements: NftSet['elements'], l: Line, warn: (l: Line, message: string) => void): NftSet['elements'] {
  const fits = (e: NftSet['elements'][number]): boolean =>
    (set.keyType.length === 0 || (e.key.length === set.keyType.length && e.key.every((part, i) => KEY_PART[set.keyType[i]!]?.test(part) ?? true))) &&
    (set.kind !== 'map' || e.verdict !== undefined || e.data !== undefined);
  const kept = elements.filter(fits);
  if (kept.length < elements.length) {
    const skipped = elements.filter((e) => !fits(e)).map((e) => e.key.join(' . '));
    warn(l, `${set.kind} ${set.name}: ${skipped.length === 1 ? 'element' : 'elements'} \`${skipped.slice(0, 3).join('`, `')}\`${skipped.length > 3 ? ' …' : ''} not of its type (${set.keyType.join(' . ') || '?'}${set.kind === 'map' ? ' : value' : ''}), skipped`);
  }
  return kept;
}

function readChainLine(table: NftTable, chain: NftChain, l: Line, source: SourceRef, warn: (l: Line, message: string) => void): void {
  const text = l.text.replace(HANDLE, '');
  if (/^type\s/.test(text)) {
    const m = /^type\s+(filter|nat|route)\s+hook\s+(\S+)(?:\s+device\s+"?([^"\s;]+)"?)?\s+priority\s+([^;]+);(?:\s*policy\s+(accept|drop);)?/.exec(text);
    const priority = m ? parsePriority(m[4]!, table.family) : undefined;
    if (!m || priority === undefined) {
      warn(l, `chain ${chain.name}: expected \`type filter|nat|route hook HOOK priority P; policy accept|drop;\``);
      return;
    }
    chain.base = { type: m[1] as 'filter' | 'nat' | 'route', hook: m[2]!, priority, policy: (m[5] ?? 'accept') as 'accept' | 'drop' };
    if (m[3] !== undefined) chain.base.device = m[3];
    return;
  }
  if (/^comment\s+"/.test(text) && chain.rules.length === 0 && tokenize(text).length === 2) {
    chain.comment = tokenize(text)[1]!.text;
    return;
  }
  if (/^policy\s/.test(text)) return;
  const handle = /# handle (\d+)$/.exec(l.text);
  const parsed = parseRuleTokens(tokenize(text));
  const rule: NftRule = {
    family: table.family,
    table: table.name,
    chain: chain.name,
    index: chain.rules.length + 1,
    text: withoutCounter(text),
    exprs: parsed.exprs,
    source,
  };
  if (parsed.comment !== undefined) rule.comment = parsed.comment;
  if (handle) rule.handle = Number(handle[1]);
  chain.rules.push(rule);
  if (parsed.unknown !== undefined) warn(l, `${table.family} ${table.name} ${chain.name}: podpath does not read \`${parsed.unknown.slice(0, 80)}\`; the rule is taken not to match`);
}

/** The rule as `nft monitor trace` prints it: counters show their values in the list, not in the trace. */
export function withoutCounter(text: string): string {
  return text.replace(/\s*\bcounter packets \d+ bytes \d+/, ' counter').replace(/\s{2,}/g, ' ').trim();
}

/** nft's durations: `10800s`, `3h`, `1d2h3m4s`, `500ms` (rounded down to seconds). */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text);
  if (!m || text === '') return undefined;
  const [, d = '0', h = '0', min = '0', sec = '0'] = m;
  return Number(d) * 86400 + Number(h) * 3600 + Number(min) * 60 + Number(sec);
}
