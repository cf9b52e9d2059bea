// Chains whose rules are built when first asked for. The dump scanner (iptables-save.ts) checks
// every rule line as it reads it — so every warning is there at once, in line order — but keeps
// only where the line is; `chain.rules` builds the chain's NfRules from those lines the first
// time it is read (a trace walking the chain, `--json --rules`), exactly as an eager parse
// would have. A 10,000-service kube-proxy dump has 150,000 rules in 40,000 chains, and
// `podpath topology` needs the rules of none of them: rule counts, chain names and
// kube-proxy's facts (rule-facts.ts, gathered while checking) are all it reads.
//
// `rules` stays an ordinary enumerable property to every reader (JSON.stringify, spread,
// Object.keys, toEqual see it in its place after name and builtin); it is an accessor
// until first read, then a plain array. Ask ruleCountOf / firstRuleSource / factsOf /
// jumpTargetsOf / jumpChainsOf instead where the rules themselves are not needed.
//
// What the scan keeps of a rule is numbers, not strings: where the line is, the chain its target
// names (looked up once, when the line is read) and where each of kube-proxy's values is in the
// text (rule-facts.ts); factsOf cuts the strings when asked. A 10,000-service dump's 110,000
// facts as objects of strings were ~35 MB of live heap that every garbage collection copied.
import type { Counters, NfChain, NfRule, NfTable, RuleOption, RuleTarget, SourceRef } from '../../model.ts';
import {
  FACT_CLUSTER_IP_SET, FACT_DESTINATION, FACT_DESTINATION_NEGATED, FACT_DPORT, FACT_NOT_HEADER_ONLY, FACT_DST_TYPE, FACT_DST_TYPE_NEGATED, FACT_HAS_DST_TYPE, FACT_PROBABILITY, FACT_PROTOCOL,
  FACT_PROTOCOL_NEGATED, FACT_RECENT_CHECK, FACT_SECONDS, FACT_TARGET, FACT_TO_DESTINATION, FACT_VALUES, type FactsCollector, type FactsOrigin,
  type RuleFacts, factsFromRule,
} from './rule-facts.ts';
import { parseRuleArgs, SharedParts } from './rule-args.ts';
import { argumentAt, type LineTokens, tokenizeLine } from './tokenize.ts';

const COUNTERS = /^\[(\d+):(\d+)\]$/;

export function parseCounters(text: string): Counters | undefined {
  const match = COUNTERS.exec(text);
  return match ? { packets: Number(match[1]), bytes: Number(match[2]) } : undefined;
}

/**
 * One object literal per combination of the optional fields, so each rule is
 * born with its final shape: adding `target` afterwards would give every rule a
 * separate out-of-object property store (tens of bytes × 100k rules).
 */
function makeRule(
  table: string,
  chain: string,
  index: number,
  text: string,
  options: RuleOption[],
  source: SourceRef,
  target: RuleTarget | undefined,
  counters: Counters | undefined,
): NfRule {
  if (target && counters) return { table, chain, index, text, options, target, counters, source };
  if (target) return { table, chain, index, text, options, target, source };
  if (counters) return { table, chain, index, text, options, counters, source };
  return { table, chain, index, text, options, source };
}

function grow(array: Int32Array, size: number): Int32Array {
  if (size <= array.length) return array;
  const bigger = new Int32Array(Math.max(size, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** Where each value is kept in a rule's row of RuleLines.values: FACT_* values, then the first comment, then the flags. */
const COMMENT = FACT_VALUES;
const FLAGS = 2 * (FACT_VALUES + 1);
const ROW = FLAGS + 1;
/** The range's end has this bit when the argument was (partly) quoted: argumentAt reads it again. */
const QUOTED = 1 << 30;
const MORE_COMMENTS = 1 << 17;
const NO_COMMENTS: readonly string[] = [];

/**
 * The rule lines of one dump: where each checked rule line is in the text (the line trimmed
 * of indentation and CR), its line number, where the rule starts after `[p:b]` counters, and
 * where its arguments start after `-A CHAIN` (or `-I CHAIN N`); the chain its target jumps to,
 * and where its target and kube-proxy's values are (rule-facts.ts). Typed arrays: numbers, no
 * object or string a rule.
 */
export class RuleLines implements FactsOrigin {
  private starts: Int32Array = new Int32Array(1024);
  private ends: Int32Array = new Int32Array(1024);
  private lines: Int32Array = new Int32Array(1024);
  /** ruleStart << 8 | argsFrom: counters prefixes are short, and argsFrom is 2 or 3. */
  private offsets: Int32Array = new Int32Array(1024);
  /** The id (in `chains`) of the chain each rule's target names, -1 for none. */
  private jumps: Int32Array = new Int32Array(1024);
  /** ROW numbers a rule: start and end in the text of each value (-1: none), then FACT_* flags. */
  private values: Int32Array = new Int32Array(1024 * ROW);
  /** Comments after a rule's first, for the rare rule with several. */
  private readonly moreComments = new Map<number, readonly string[]>();
  /** The dump's chains, by id. */
  readonly chains: NfChain[] = [];
  count = 0;
  readonly shared = new SharedParts();
  private readonly scratch: LineTokens = { args: [], quoted: [] };

  constructor(
    readonly text: string,
    readonly file: string,
  ) {}

  add(start: number, end: number, line: number, ruleStart: number, argsFrom: number): number {
    const id = this.count++;
    if (id >= this.starts.length) {
      this.starts = grow(this.starts, id + 1);
      this.ends = grow(this.ends, id + 1);
      this.lines = grow(this.lines, id + 1);
      this.offsets = grow(this.offsets, id + 1);
      this.jumps = grow(this.jumps, id + 1);
      this.values = grow(this.values, (id + 1) * ROW);
    }
    this.starts[id] = start;
    this.ends[id] = end;
    this.lines[id] = line;
    this.offsets[id] = (ruleStart << 8) | argsFrom;
    this.jumps[id] = -1;
    this.values.fill(-1, id * ROW, id * ROW + FLAGS);
    this.values[id * ROW + FLAGS] = 0;
    return id;
  }

  /**
   * Keeps where rule `id`'s target is, and with `keepFacts` where each value `collector` picked
   * is: `tokens` are the line's arguments as the walk read them (with starts and ends), the line
   * starting at `lineAt` in the text.
   */
  keep(id: number, tokens: LineTokens, lineAt: number, collector: FactsCollector | undefined, target: number): void {
    const row = id * ROW;
    const keepAt = (slot: number, at: number): void => {
      if (at < 0) return;
      this.values[row + 2 * slot] = lineAt + tokens.starts![at]!;
      this.values[row + 2 * slot + 1] = (lineAt + tokens.ends![at]!) | (tokens.quoted[at] ? QUOTED : 0);
    };
    if (!collector) {
      keepAt(FACT_TARGET, target);
      return;
    }
    for (let field = 0; field < FACT_VALUES; field++) keepAt(field, collector.picked[field]!);
    let flags = collector.flags;
    const comments = collector.comments;
    if (comments.length > 0) keepAt(COMMENT, comments[0]!);
    if (comments.length > 1) {
      flags |= MORE_COMMENTS;
      this.moreComments.set(id, comments.slice(1).map((at) => tokens.args[at]!));
    }
    this.values[row + FLAGS] = flags;
  }

  /** Rule `id` jumps or goes to chain `chain` of this dump. */
  setJump(id: number, chain: number): void {
    this.jumps[id] = chain;
  }

  jumpOf(id: number): number {
    return this.jumps[id]!;
  }

  value(id: number, slot: number): string | undefined {
    const row = id * ROW + 2 * slot;
    const start = this.values[row]!;
    if (start < 0) return undefined;
    const end = this.values[row + 1]!;
    return argumentAt(this.text, start, end & ~QUOTED, (end & QUOTED) !== 0);
  }

  /** The name rule `id`'s target gives (undefined: no target). */
  targetOf(id: number): string | undefined {
    const jump = this.jumps[id]!;
    return jump >= 0 ? this.chains[jump]!.name : this.value(id, FACT_TARGET);
  }

  /** Rule `id`'s facts (keep() was given its collector): each value cut from the text when read. */
  factsOf(id: number): RuleFacts {
    return new ScannedFacts(this, id);
  }

  flagsOf(id: number): number {
    return this.values[id * ROW + FLAGS]!;
  }

  commentsOf(id: number): readonly string[] {
    const first = this.value(id, COMMENT);
    if (first === undefined) return NO_COMMENTS;
    return (this.flagsOf(id) & MORE_COMMENTS) !== 0 ? [first, ...this.moreComments.get(id)!] : [first];
  }

  lineOf(id: number): number {
    return this.lines[id]!;
  }

  /** The rule as the dump has it, counters stripped (NfRule.text). */
  ruleText(id: number): string {
    const line = this.text.slice(this.starts[id]!, this.ends[id]!);
    const ruleStart = this.offsets[id]! >> 8;
    return ruleStart === 0 && line.charCodeAt(line.length - 1) > 0x20 ? line : line.slice(ruleStart).trim();
  }

  /** Rule `id` built as the eager parser built it (the line was checked when scanned: it reads). */
  build(id: number, table: string, chain: string, index: number): NfRule {
    const line = this.text.slice(this.starts[id]!, this.ends[id]!);
    const ruleStart = this.offsets[id]! >> 8;
    const argsFrom = this.offsets[id]! & 0xff;
    const tokens = tokenizeLine(line, ruleStart, line.length, this.scratch);
    if ('error' in tokens) throw new Error(`${this.file}:${this.lines[id]}: a checked rule line no longer tokenizes`);
    const parsed = parseRuleArgs(tokens, argsFrom, this.shared);
    if ('error' in parsed) throw new Error(`${this.file}:${this.lines[id]}: a checked rule line no longer reads: ${parsed.error}`);
    const prefixCounters = ruleStart > 0 ? parseCounters(line.slice(0, ruleStart)) : undefined;
    return makeRule(table, chain, index, this.ruleText(id), parsed.options, { file: this.file, line: this.lines[id]! }, parsed.target, prefixCounters ?? parsed.counters);
  }
}

/**
 * A rule's facts read from where the scan kept them: each value is cut from the text when asked
 * (kube-proxy's reader reads two or three of a rule's fifteen), nothing is kept but the rule's id.
 */
class ScannedFacts implements RuleFacts {
  constructor(
    readonly origin: RuleLines,
    readonly index: number,
  ) {}
  get line(): number {
    return this.origin.lineOf(this.index);
  }
  get target(): string | undefined {
    return this.origin.targetOf(this.index);
  }
  get toDestination(): string | undefined {
    return this.origin.value(this.index, FACT_TO_DESTINATION);
  }
  get protocol(): string | undefined {
    return this.origin.value(this.index, FACT_PROTOCOL);
  }
  get protocolNegated(): boolean {
    return (this.origin.flagsOf(this.index) & FACT_PROTOCOL_NEGATED) !== 0;
  }
  get destination(): string | undefined {
    return this.origin.value(this.index, FACT_DESTINATION);
  }
  get destinationNegated(): boolean {
    return (this.origin.flagsOf(this.index) & FACT_DESTINATION_NEGATED) !== 0;
  }
  get dport(): string | undefined {
    return this.origin.value(this.index, FACT_DPORT);
  }
  get seconds(): string | undefined {
    return this.origin.value(this.index, FACT_SECONDS);
  }
  get recentCheck(): boolean {
    return (this.origin.flagsOf(this.index) & FACT_RECENT_CHECK) !== 0;
  }
  get probability(): string | undefined {
    return this.origin.value(this.index, FACT_PROBABILITY);
  }
  get hasDstType(): boolean {
    return (this.origin.flagsOf(this.index) & FACT_HAS_DST_TYPE) !== 0;
  }
  get dstType(): string | undefined {
    return this.origin.value(this.index, FACT_DST_TYPE);
  }
  get dstTypeNegated(): boolean {
    return (this.origin.flagsOf(this.index) & FACT_DST_TYPE_NEGATED) !== 0;
  }
  get comments(): readonly string[] {
    return this.origin.commentsOf(this.index);
  }
  get matchesClusterIPSet(): boolean {
    return (this.origin.flagsOf(this.index) & FACT_CLUSTER_IP_SET) !== 0;
  }
  get headerOnly(): boolean {
    return (this.origin.flagsOf(this.index) & FACT_NOT_HEADER_ONLY) === 0;
  }
}

/** What a chain keeps until its rules are built. */
interface Pending {
  lines: RuleLines;
  table: string;
  /** The chain's id in lines.chains. */
  id: number;
  /**
   * RuleLines ids in chain order (an -I line goes where it says): `first` … `first + count - 1`
   * while they follow one another, as iptables-save writes a chain's rules; a list once not.
   */
  first: number;
  count: number;
  ids: number[] | undefined;
  /** Facts kept (rule-facts.ts) for the rules of this chain: a KUBE-* chain, read by kube-proxy's reader. */
  keepFacts: boolean;
  /** Rules built one at a time (ruleAt) before the whole chain was: the chain's build reuses them. */
  single: Map<number, NfRule> | undefined;
  built: boolean;
}

function idAt(pending: Pending, i: number): number {
  return pending.ids ? pending.ids[i]! : pending.first + i;
}

function countOf(pending: Pending): number {
  return pending.ids ? pending.ids.length : pending.count;
}

/**
 * A chain read from a dump: name and builtin (policy and counters added as read), then `rules`,
 * an own enumerable accessor until first read. What it holds until then is private: no key,
 * spread or JSON sees it.
 */
class LazyChain {
  readonly #pending: Pending;
  constructor(
    readonly name: string,
    public builtin: boolean,
    pending: Pending,
  ) {
    Object.defineProperty(this, 'rules', LAZY_RULES);
    this.#pending = pending;
  }

  static pendingOf(chain: NfChain): Pending | undefined {
    return chain instanceof LazyChain && !chain.#pending.built ? chain.#pending : undefined;
  }

  static build(chain: LazyChain): NfRule[] {
    const pending = chain.#pending;
    const rules: NfRule[] = [];
    const count = countOf(pending);
    for (let i = 0; i < count; i++) rules.push(LazyChain.buildOne(chain, i));
    pending.built = true;
    pending.ids = undefined;
    pending.count = 0;
    pending.single = undefined;
    return rules;
  }

  /** Rule `position` (0-based) of a chain not yet built, built once. */
  static buildOne(chain: LazyChain, position: number): NfRule {
    const pending = chain.#pending;
    let rule = pending.single?.get(position);
    if (rule === undefined) {
      rule = pending.lines.build(idAt(pending, position), pending.table, chain.name, position + 1);
      (pending.single ??= new Map()).set(position, rule);
    }
    return rule;
  }

  static numberOf(chain: NfChain): number | undefined {
    return chain instanceof LazyChain ? chain.#pending.id : undefined;
  }

  static markBuilt(chain: LazyChain): void {
    chain.#pending.built = true;
  }
}

function pendingOf(chain: NfChain): Pending | undefined {
  return LazyChain.pendingOf(chain);
}

function settle(chain: NfChain, rules: NfRule[]): void {
  Object.defineProperty(chain, 'rules', { value: rules, writable: true, enumerable: true, configurable: true });
}

const LAZY_RULES: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyChain): NfRule[] {
    const rules = LazyChain.build(this);
    settle(this as unknown as NfChain, rules);
    return rules;
  },
  set(this: LazyChain, rules: NfRule[]): void {
    LazyChain.markBuilt(this);
    settle(this as unknown as NfChain, rules);
  },
};

/** A chain of `table` whose rules will come from `lines`; `keepFacts` for chains kube-proxy's reader reads. */
export function lazyChain(name: string, builtin: boolean, lines: RuleLines, table: string, keepFacts: boolean): NfChain {
  const pending: Pending = { lines, table, id: lines.chains.length, first: 0, count: 0, ids: undefined, keepFacts, single: undefined, built: false };
  const chain = new LazyChain(name, builtin, pending) as unknown as NfChain;
  lines.chains.push(chain);
  return chain;
}

/** Called once the dump is read: an id list grown by push keeps spare slots (17 at least). */
export function trimPending(chain: NfChain): void {
  const pending = pendingOf(chain);
  if (pending?.ids) pending.ids = pending.ids.slice();
}

/** Whether rules added to `chain` need their facts (a lazy KUBE-* chain). */
export function wantsFacts(chain: NfChain): boolean {
  return pendingOf(chain)?.keepFacts === true;
}

/** The id of `chain` among the chains read with `lines` (undefined: not one of them, or built). */
export function chainIdIn(lines: RuleLines, chain: NfChain): number | undefined {
  const pending = pendingOf(chain);
  return pending?.lines === lines ? pending.id : undefined;
}

/** Adds rule `id` to a lazy chain: at the end, or at 1-based `position` (-I; clamped as iptables' insert is). */
export function addPendingRule(chain: NfChain, id: number, position: number | undefined): void {
  const pending = pendingOf(chain)!;
  if (position === undefined && pending.ids === undefined && (pending.count === 0 || pending.first + pending.count === id)) {
    if (pending.count === 0) pending.first = id;
    pending.count++;
    return;
  }
  if (pending.ids === undefined) {
    pending.ids = [];
    for (let i = 0; i < pending.count; i++) pending.ids.push(pending.first + i);
  }
  if (position === undefined) pending.ids.push(id);
  else pending.ids.splice(Math.min(Math.max(position - 1, 0), pending.ids.length), 0, id);
}

/** The number of rules in `chain`, without building them. */
export function ruleCountOf(chain: { rules: readonly unknown[] }): number {
  const pending = pendingOf(chain as NfChain);
  return pending ? countOf(pending) : chain.rules.length;
}

/**
 * Rule `position` (0-based) of `chain`, building that rule alone where the chain's rules are not
 * built yet: a trace through KUBE-SERVICES reads a handful of its 10,000 rules (chain-index.ts).
 * The same object `chain.rules[position]` gives, before or after the chain is built.
 */
export function ruleAt(chain: NfChain, position: number): NfRule | undefined {
  const pending = pendingOf(chain);
  if (!pending) return chain.rules[position];
  return position >= 0 && position < countOf(pending) ? LazyChain.buildOne(chain as unknown as LazyChain, position) : undefined;
}

/** Where the chain's first rule is in its dump, without building the rules. */
export function firstRuleSource(chain: NfChain): SourceRef | undefined {
  const pending = pendingOf(chain);
  if (!pending) return chain.rules[0]?.source;
  return countOf(pending) === 0 ? undefined : { file: pending.lines.file, line: pending.lines.lineOf(idAt(pending, 0)) };
}

/** Each rule's target name (undefined: no target), in order, without building the rules. */
export function jumpTargetsOf(chain: NfChain): readonly (string | undefined)[] {
  const pending = pendingOf(chain);
  if (!pending) return chain.rules.map((r) => r.target?.name);
  const names: (string | undefined)[] = [];
  for (let i = 0; i < countOf(pending); i++) names.push(pending.lines.targetOf(idAt(pending, i)));
  return names;
}

/**
 * The chain of `table` each rule of `chain` jumps or goes to (undefined: no target, or no chain of
 * the table), in order; without building the rules, and for a dump's chain without looking the
 * names up again (the scan found each chain when it read the line).
 */
export function jumpChainsOf(table: NfTable, chain: NfChain): (NfChain | undefined)[] {
  const pending = pendingOf(chain);
  if (!pending) return chain.rules.map((r) => (r.target === undefined ? undefined : table.chains[r.target.name]));
  const lines = pending.lines;
  const count = countOf(pending);
  const jumps = new Array<NfChain | undefined>(count);
  for (let i = 0; i < count; i++) {
    const jump = lines.jumpOf(idAt(pending, i));
    jumps[i] = jump >= 0 ? lines.chains[jump] : undefined;
  }
  return jumps;
}

/**
 * A number for each chain read from one dump, from 0 (its place in the dump's list of chains),
 * before and after its rules are built; undefined for a chain made otherwise. Lets a walk over
 * 40,000 chains keep its marks in an array.
 */
export function dumpChainNumber(chain: NfChain): number | undefined {
  return LazyChain.numberOf(chain);
}

// The chains of each table read from a dump, in the order for-in gives them: a walk over every
// chain of a 40,000-chain table (the jump-loop check, the CNI's chain names) otherwise has V8
// sort the table's dictionary by insertion each time it enumerates it (~50 ms). null: a chain
// is named like an array index, which for-in puts first; such a table is enumerated.
const tableChains = new WeakMap<NfTable, NfChain[] | null>();

/** The dump's scan made `chain` in `table` (after every chain made before it). */
export function noteTableChain(table: NfTable, chain: NfChain): void {
  const list = tableChains.get(table);
  if (list === null) return;
  if (isArrayIndex(chain.name)) tableChains.set(table, null);
  else if (list) list.push(chain);
  else tableChains.set(table, [chain]);
}

function isArrayIndex(name: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(name) && Number(name) < 2 ** 32 - 1;
}

/** The chains of `table` in for-in order (Object.values), without enumerating a scanned table. */
export function chainsOf(table: NfTable): readonly NfChain[] {
  return tableChains.get(table) ?? Object.values(table.chains);
}

/** What kube-proxy's reader asks of each rule (rule-facts.ts), without building the rules where the scan kept it. */
export function factsOf(chain: NfChain): readonly RuleFacts[] {
  const pending = pendingOf(chain);
  if (pending?.keepFacts) {
    const facts: RuleFacts[] = [];
    for (let i = 0; i < countOf(pending); i++) facts.push(pending.lines.factsOf(idAt(pending, i)));
    return facts;
  }
  return chain.rules.map(factsFromRule);
}
