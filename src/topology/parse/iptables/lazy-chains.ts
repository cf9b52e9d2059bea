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
// What the scan keeps of a rule is numbers, not strings (rule-lines.ts): a chain keeps a range
// of rule ids in its dump's RuleLines.
import type { NfChain, NfRule, NfTable, SourceRef } from '../../model.ts';
import { type RuleFacts, factsFromRule } from './rule-facts.ts';
import { RuleLines } from './rule-lines.ts';

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

/**
 * Where the scan kept the facts of `chain`'s rules: its dump's RuleLines and each rule's id there, in
 * chain order (undefined: a chain whose facts were not kept, or whose rules are built). For a reader
 * of 10,000 rules' numbers (trace/chain-index.ts) that makes no object a rule.
 */
export function scannedRuleIds(chain: NfChain): { lines: RuleLines; ids: Int32Array } | undefined {
  const pending = pendingOf(chain);
  if (!pending?.keepFacts) return undefined;
  if (pending.ids) return { lines: pending.lines, ids: Int32Array.from(pending.ids) };
  const ids = new Int32Array(pending.count);
  for (let i = 0; i < ids.length; i++) ids[i] = pending.first + i;
  return { lines: pending.lines, ids };
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
