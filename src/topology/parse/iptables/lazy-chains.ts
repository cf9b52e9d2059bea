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
// jumpTargetsOf instead where the rules themselves are not needed.
import type { Counters, NfChain, NfRule, RuleOption, RuleTarget, SourceRef } from '../../model.ts';
import { type FactsOrigin, type RuleFacts, factsFromRule } from './rule-facts.ts';
import { parseRuleArgs, SharedParts } from './rule-args.ts';
import { type LineTokens, tokenizeLine } from './tokenize.ts';

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

/**
 * The rule lines of one dump: where each checked rule line is in the text (the line trimmed
 * of indentation and CR), its line number, where the rule starts after `[p:b]` counters, and
 * where its arguments start after `-A CHAIN` (or `-I CHAIN N`). Typed arrays: four numbers a
 * rule, no object.
 */
export class RuleLines implements FactsOrigin {
  private starts: Int32Array = new Int32Array(1024);
  private ends: Int32Array = new Int32Array(1024);
  private lines: Int32Array = new Int32Array(1024);
  /** ruleStart << 8 | argsFrom: counters prefixes are short, and argsFrom is 2 or 3. */
  private offsets: Int32Array = new Int32Array(1024);
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
    }
    this.starts[id] = start;
    this.ends[id] = end;
    this.lines[id] = line;
    this.offsets[id] = (ruleStart << 8) | argsFrom;
    return id;
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

/** What a chain keeps until its rules are built. */
interface Pending {
  lines: RuleLines;
  table: string;
  /** RuleLines ids in chain order (an -I line goes where it says). */
  ids: number[];
  /** Kept for KUBE-* chains: what kube-proxy's reader asks, parallel to ids. */
  facts: RuleFacts[] | undefined;
  /** Each rule's target, for the jump-loop check, parallel to ids. */
  targets: (string | undefined)[];
  /** Rules built one at a time (ruleAt) before the whole chain was: the chain's build reuses them. */
  single: Map<number, NfRule> | undefined;
  built: boolean;
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
    const rules = pending.ids.map((_, i) => LazyChain.buildOne(chain, i));
    pending.built = true;
    pending.ids = [];
    pending.facts = undefined;
    pending.single = undefined;
    return rules;
  }

  /** Rule `position` (0-based) of a chain not yet built, built once. */
  static buildOne(chain: LazyChain, position: number): NfRule {
    const pending = chain.#pending;
    let rule = pending.single?.get(position);
    if (rule === undefined) {
      rule = pending.lines.build(pending.ids[position]!, pending.table, chain.name, position + 1);
      (pending.single ??= new Map()).set(position, rule);
    }
    return rule;
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
  const pending: Pending = { lines, table, ids: [], facts: keepFacts ? [] : undefined, targets: [], single: undefined, built: false };
  return new LazyChain(name, builtin, pending) as unknown as NfChain;
}

/**
 * Called once the dump is read: arrays grown by push keep spare slots (17 at least), and a
 * kube-proxy dump's 40,000 chains of one to three rules hold three lists each.
 */
export function trimPending(chain: NfChain): void {
  const pending = pendingOf(chain);
  if (!pending || pending.ids.length === 0) return;
  pending.ids = pending.ids.slice();
  pending.targets = pending.targets.slice();
  if (pending.facts) pending.facts = pending.facts.slice();
}

/** Whether rules added to `chain` need their facts (a lazy KUBE-* chain). */
export function wantsFacts(chain: NfChain): boolean {
  return pendingOf(chain)?.facts !== undefined;
}

/**
 * Adds rule `id` to a lazy chain: at the end, or at 1-based `position` (-I; clamped as
 * iptables' insert is). `facts` for a chain that keeps them, else the rule's `target`.
 */
export function addPendingRule(chain: NfChain, id: number, position: number | undefined, facts: RuleFacts | undefined, target: string | undefined): void {
  const pending = pendingOf(chain)!;
  if (position === undefined) {
    pending.ids.push(id);
    pending.targets.push(target);
    if (pending.facts) pending.facts.push(facts!);
    return;
  }
  const at = Math.min(Math.max(position - 1, 0), pending.ids.length);
  pending.ids.splice(at, 0, id);
  pending.targets.splice(at, 0, target);
  if (pending.facts) pending.facts.splice(at, 0, facts!);
}

/** The number of rules in `chain`, without building them. */
export function ruleCountOf(chain: { rules: readonly unknown[] }): number {
  return pendingOf(chain as NfChain)?.ids.length ?? chain.rules.length;
}

/**
 * Rule `position` (0-based) of `chain`, building that rule alone where the chain's rules are not
 * built yet: a trace through KUBE-SERVICES reads a handful of its 10,000 rules (chain-index.ts).
 * The same object `chain.rules[position]` gives, before or after the chain is built.
 */
export function ruleAt(chain: NfChain, position: number): NfRule | undefined {
  const pending = pendingOf(chain);
  if (!pending) return chain.rules[position];
  return position >= 0 && position < pending.ids.length ? LazyChain.buildOne(chain as unknown as LazyChain, position) : undefined;
}

/** Where the chain's first rule is in its dump, without building the rules. */
export function firstRuleSource(chain: NfChain): SourceRef | undefined {
  const pending = pendingOf(chain);
  if (!pending) return chain.rules[0]?.source;
  const id = pending.ids[0];
  return id === undefined ? undefined : { file: pending.lines.file, line: pending.lines.lineOf(id) };
}

/** Each rule's target name (undefined: no target), in order, without building the rules. */
export function jumpTargetsOf(chain: NfChain): readonly (string | undefined)[] {
  const pending = pendingOf(chain);
  if (!pending) return chain.rules.map((r) => r.target?.name);
  return pending.targets;
}

/** What kube-proxy's reader asks of each rule (rule-facts.ts), without building the rules where the scan kept it. */
export function factsOf(chain: NfChain): readonly RuleFacts[] {
  const pending = pendingOf(chain);
  if (pending?.facts) return pending.facts;
  return chain.rules.map(factsFromRule);
}
