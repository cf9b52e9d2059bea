// Where each rule of a dump is in its text: RuleLines keeps numbers, not strings — the line,
// where the rule and its arguments start, the chain its target names (looked up once, when the
// line is read) and where each of kube-proxy's values is (rule-facts.ts) — and builds a rule or
// cuts a fact's string only when asked. A 10,000-service dump's 110,000 facts as objects of
// strings were ~35 MB of live heap that every garbage collection copied. lazy-chains.ts holds
// the chains whose rules these are.
import type { Counters, NfChain, NfRule, RuleOption, RuleTarget, SourceRef } from '../../model.ts';
import {
  FACT_CLUSTER_IP_SET, FACT_DESTINATION, FACT_DESTINATION_NEGATED, FACT_DPORT, FACT_NOT_HEADER_ONLY, FACT_DST_TYPE, FACT_DST_TYPE_NEGATED, FACT_HAS_DST_TYPE, FACT_PROBABILITY, FACT_PROTOCOL,
  FACT_PROTOCOL_NEGATED, FACT_RECENT_CHECK, FACT_SECONDS, FACT_TARGET, FACT_TO_DESTINATION, FACT_VALUES, type FactsCollector, type FactsOrigin,
  type RuleFacts,
} from './rule-facts.ts';
import { parseRuleArgs, SharedParts } from './rule-args.ts';
import { argumentAt, type LineTokens, tokenizeLine } from './tokenize.ts';
import { parseIpv4Within } from '../../../util/address.ts';

/**
 * `[packets:bytes]`, else undefined. By hand, not a regex: every one of a big dump's 40,000 chain
 * declarations has them, and the match array and its two strings were garbage each time.
 */
export function parseCounters(text: string): Counters | undefined {
  const last = text.length - 1;
  if (last < 4 || text.charCodeAt(0) !== 0x5b || text.charCodeAt(last) !== 0x5d) return undefined;
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const packets = digitsValue(text, 1, colon);
  const bytes = digitsValue(text, colon + 1, last);
  return packets === undefined || bytes === undefined ? undefined : { packets, bytes };
}

/** The number text[start, end) spells in decimal digits (at least one), else undefined. */
function digitsValue(text: string, start: number, end: number): number | undefined {
  if (end <= start) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  // Past 2^53 the sum above rounds; Number() of the digits rounds the way the regex reader did.
  return value > Number.MAX_SAFE_INTEGER ? Number(text.slice(start, end)) : value;
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

/** The number of bits set in `bits` (below 2^16 here: one per value slot). */
function bitCount(bits: number): number {
  let count = 0;
  for (let rest = bits; rest !== 0; rest &= rest - 1) count++;
  return count;
}

function grow(array: Int32Array, size: number): Int32Array {
  if (size <= array.length) return array;
  const bigger = new Int32Array(Math.max(size, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** The value slots of a rule: FACT_* values, then its first comment. */
const COMMENT = FACT_VALUES;
/** A rule's flags say which slots it has from this bit on (slot k: PRESENT << k). */
const PRESENT = 1 << 20;
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
  /** FACT_* bits, MORE_COMMENTS, and which value slots the rule has (PRESENT). */
  private flags: Int32Array = new Int32Array(1024);
  /**
   * Where a rule's values start in `packed`: start and end in the text of each slot it has, in
   * slot order. Packed, not a row of every slot: a kube-proxy rule has three of the nine, and
   * fixed rows were 76 bytes a rule, most of them -1.
   */
  private valuesAt: Int32Array = new Int32Array(1024);
  private packed: Int32Array = new Int32Array(4096);
  private packedLength = 0;
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
      this.flags = grow(this.flags, id + 1);
      this.valuesAt = grow(this.valuesAt, id + 1);
    }
    this.starts[id] = start;
    this.ends[id] = end;
    this.lines[id] = line;
    this.offsets[id] = (ruleStart << 8) | argsFrom;
    this.jumps[id] = -1;
    this.flags[id] = 0;
    this.valuesAt[id] = this.packedLength;
    return id;
  }

  /**
   * Keeps where rule `id`'s target is, and with `keepFacts` where each value `collector` picked
   * is: `tokens` are the line's arguments as the walk read them (with starts and ends), the line
   * starting at `lineAt` in the text.
   */
  keep(id: number, tokens: LineTokens, lineAt: number, collector: FactsCollector | undefined, target: number): void {
    // Slots are appended in slot order after the values of every rule kept before this one (add() said where they start).
    if (id !== this.count - 1) throw new Error('RuleLines.keep: rules are kept in the order they are added');
    if (!collector) {
      this.flags[id] = this.keepAt(FACT_TARGET, tokens, lineAt, target);
      return;
    }
    let flags = collector.flags;
    for (let field = 0; field < FACT_VALUES; field++) flags |= this.keepAt(field, tokens, lineAt, collector.picked[field]!);
    const comments = collector.comments;
    if (comments.length > 0) flags |= this.keepAt(COMMENT, tokens, lineAt, comments[0]!);
    if (comments.length > 1) {
      flags |= MORE_COMMENTS;
      this.moreComments.set(id, comments.slice(1).map((at) => tokens.args[at]!));
    }
    this.flags[id] = flags;
  }

  /** Appends where argument `at` of `tokens` is as value `slot` (nothing when `at` < 0); the slot's PRESENT bit, or 0. */
  private keepAt(slot: number, tokens: LineTokens, lineAt: number, at: number): number {
    if (at < 0) return 0;
    if (this.packedLength + 2 > this.packed.length) this.packed = grow(this.packed, this.packedLength + 2);
    this.packed[this.packedLength++] = lineAt + tokens.starts![at]!;
    this.packed[this.packedLength++] = (lineAt + tokens.ends![at]!) | (tokens.quoted[at] ? QUOTED : 0);
    return PRESENT << slot;
  }

  /** Rule `id` jumps or goes to chain `chain` of this dump. */
  setJump(id: number, chain: number): void {
    this.jumps[id] = chain;
  }

  jumpOf(id: number): number {
    return this.jumps[id]!;
  }

  value(id: number, slot: number): string | undefined {
    const at = this.packedAt(id, slot);
    if (at < 0) return undefined;
    const start = this.packed[at]!;
    const end = this.packed[at + 1]!;
    return argumentAt(this.text, start, end & ~QUOTED, (end & QUOTED) !== 0);
  }

  /**
   * The one IPv4 host value `slot` of rule `id` names (`10.96.0.1` or `10.96.0.1/32`), read
   * from the text without cutting a string: the tracer keys KUBE-SERVICES' 10,000 rules by
   * their -d (trace/chain-index.ts). -1: no value, or not one host.
   */
  hostAddressAt(id: number, slot: number): number {
    const at = this.packedAt(id, slot);
    if (at < 0) return -1;
    const start = this.packed[at]!;
    const end = this.packed[at + 1]!;
    if ((end & QUOTED) !== 0) return hostAddressOf(this.value(id, slot)!);
    return hostAddressWithin(this.text, start, end);
  }

  /** Value `slot` of rule `id` as a number when it is decimal digits only (a --dport), read from the text. -1: no value, or not. */
  digitsAt(id: number, slot: number): number {
    const at = this.packedAt(id, slot);
    if (at < 0) return -1;
    const start = this.packed[at]!;
    const end = this.packed[at + 1]!;
    if ((end & QUOTED) !== 0) {
      const value = this.value(id, slot)!;
      return digitsValue(value, 0, value.length) ?? -1;
    }
    return digitsValue(this.text, start, end) ?? -1;
  }

  /** Where value `slot` of rule `id` starts in `packed` (as value() finds it), -1 when the rule has none. */
  private packedAt(id: number, slot: number): number {
    const flags = this.flags[id]!;
    if ((flags & (PRESENT << slot)) === 0) return -1;
    return this.valuesAt[id]! + 2 * bitCount((flags >>> 20) & ((1 << slot) - 1));
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
    return this.flags[id]!;
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

/** hostAddressAt of a value already cut (a quoted one). */
function hostAddressOf(value: string): number {
  return hostAddressWithin(value, 0, value.length);
}

/** One pass: a "/32" ending is looked at first, and any other "/" fails the dotted quad's parse. */
function hostAddressWithin(text: string, start: number, end: number): number {
  const host = end - start > 3 && text.charCodeAt(end - 3) === 0x2f && text.charCodeAt(end - 2) === 0x33 && text.charCodeAt(end - 1) === 0x32 ? end - 3 : end;
  return parseIpv4Within(text, start, host) ?? -1;
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
