// What kube-proxy's readers (kube-proxy/services.ts, kube-proxy/mode.ts) ask of a rule, read in
// one walk of its arguments. A 10,000-service dump has 110,000 rules in KUBE-SERVICES,
// KUBE-SVC-* and KUBE-SEP-* chains: building each as an NfRule (options, target, source) to
// read five of its values was most of `podpath topology`'s time, so the dump scanner gathers
// these facts for KUBE-* chains as it checks each line, and the rules themselves are built
// only when a trace walks their chain (lazy-chains.ts). Every question below is answered the
// way it would be on the built rule's options: first match, negation as stated per field.
import type { NfRule, RuleOption } from '../../model.ts';
import type { RuleArgsVisitor } from './rule-args.ts';

/** Where a rule came from, and its text, which is sliced out of the dump only for a warning. */
export interface FactsOrigin {
  file: string;
  ruleText(index: number): string;
}

export interface RuleFacts {
  line: number;
  origin: FactsOrigin;
  /** The rule's number in `origin` (for ruleText). */
  index: number;
  target: string | undefined;
  /** The last --to-destination of the target's options, as the DNAT reader takes it. */
  toDestination: string | undefined;
  /** The first `-p`: its value, and whether it was negated (undefined: no -p). */
  protocol: string | undefined;
  protocolNegated: boolean;
  /** values[0] of the first `-d`, negated or not, and whether it was negated. */
  destination: string | undefined;
  destinationNegated: boolean;
  /** values[0] of the first non-negated --dport in any match module (undefined also when it has none). */
  dport: string | undefined;
  /** values[0] of the first non-negated --seconds. */
  seconds: string | undefined;
  /** -m recent --rcheck is there. */
  recentCheck: boolean;
  /** values[0] of the first -m statistic --probability. */
  probability: string | undefined;
  /** The first -m addrtype --dst-type: values[0] and its negation (hasDstType false: none). */
  hasDstType: boolean;
  dstType: string | undefined;
  dstTypeNegated: boolean;
  /** values[0] of every -m comment --comment, in order. */
  comments: readonly string[];
  /** Some match option --match-set names KUBE-CLUSTER-IP first (IPVS mode's ipset). */
  matchesClusterIPSet: boolean;
  /**
   * Every match option is a one-value -s -d -i -o -p, a `-m comment --comment`, or a one-value
   * --dport/--sport of tcp, udp or sctp: the rule reads the packet's header and nothing else
   * (no conntrack, mark, set, statistic…). The tracer's chain index keys such rules by their
   * -d or --dport without building them (trace/chain-index.ts).
   */
  headerOnly: boolean;
}

/** The protocol matches whose --dport/--sport a headerOnly rule may use. */
const PORT_MODULES = new Set(['tcp', 'udp', 'sctp']);

/** Whether a match option keeps its rule headerOnly (see RuleFacts.headerOnly). */
function readsHeaderOnly(module: string, option: string, values: number): boolean {
  if (module === 'comment') return option === 'comment';
  if (values !== 1) return false;
  if (module === 'basic') return option === 's' || option === 'd' || option === 'i' || option === 'o' || option === 'p';
  return (option === 'dport' || option === 'sport') && PORT_MODULES.has(module);
}

const NO_COMMENTS: readonly string[] = [];

// The values a rule's facts hold, each the index of the argument that gave it (-1: none).
export const FACT_TARGET = 0;
export const FACT_TO_DESTINATION = 1;
export const FACT_PROTOCOL = 2;
export const FACT_DESTINATION = 3;
export const FACT_DPORT = 4;
export const FACT_SECONDS = 5;
export const FACT_PROBABILITY = 6;
export const FACT_DST_TYPE = 7;
export const FACT_VALUES = 8;
// And the yes/no facts, as bits.
export const FACT_PROTOCOL_NEGATED = 1;
export const FACT_RECENT_CHECK = 2;
export const FACT_HAS_DST_TYPE = 4;
export const FACT_DST_TYPE_NEGATED = 8;
export const FACT_CLUSTER_IP_SET = 16;
export const FACT_DESTINATION_NEGATED = 32;
/** Some match option reads more than the header (RuleFacts.headerOnly false). */
export const FACT_NOT_HEADER_ONLY = 64;

/**
 * Reads RuleFacts from walkRuleArgs (the scanner) or from a built rule's options (factsFromRule):
 * which argument gives each value, so the scanner can keep where the value is in the dump
 * instead of a string (lazy-chains.ts RuleLines), and factsFromRule takes the strings.
 */
export class FactsCollector implements RuleArgsVisitor {
  /** For each FACT_* value, the index of its argument in `args` (-1: none). */
  readonly picked = new Int32Array(FACT_VALUES);
  /** FACT_* bits. */
  flags = 0;
  /** The indices of the -m comment --comment values, in order. */
  readonly comments: number[] = [];
  /** The target's name (its index is picked[FACT_TARGET]). */
  targetName: string | undefined;
  private seen = 0;

  /** Starts a rule. */
  begin(): void {
    this.picked.fill(-1);
    this.flags = this.seen = 0;
    this.comments.length = 0;
    this.targetName = undefined;
  }

  /** Marks value `field` seen; true the first time (first match wins). */
  private first(field: number): boolean {
    const bit = 1 << field;
    if ((this.seen & bit) !== 0) return false;
    this.seen |= bit;
    return true;
  }

  option(module: string, option: string, negated: boolean, args: readonly string[], start: number, end: number, ofTarget: boolean): void {
    const at = start < end ? start : -1;
    const picked = this.picked;
    if (ofTarget) {
      if (option === 'to-destination') picked[FACT_TO_DESTINATION] = at; // the last one, as the DNAT reader takes it
      return;
    }
    if ((this.flags & FACT_NOT_HEADER_ONLY) === 0 && !readsHeaderOnly(module, option, end - start)) this.flags |= FACT_NOT_HEADER_ONLY;
    if (module === 'basic') {
      if (option === 'p' && this.first(FACT_PROTOCOL)) {
        picked[FACT_PROTOCOL] = at;
        if (negated) this.flags |= FACT_PROTOCOL_NEGATED;
      } else if (option === 'd' && this.first(FACT_DESTINATION)) {
        picked[FACT_DESTINATION] = at;
        if (negated) this.flags |= FACT_DESTINATION_NEGATED;
      }
    }
    if (!negated && option === 'dport' && this.first(FACT_DPORT)) picked[FACT_DPORT] = at;
    else if (!negated && option === 'seconds' && this.first(FACT_SECONDS)) picked[FACT_SECONDS] = at;
    if (module === 'comment' && option === 'comment' && at >= 0) this.comments.push(at);
    else if (module === 'recent' && option === 'rcheck') this.flags |= FACT_RECENT_CHECK;
    else if (module === 'statistic' && option === 'probability' && this.first(FACT_PROBABILITY)) picked[FACT_PROBABILITY] = at;
    else if (module === 'addrtype' && option === 'dst-type' && (this.flags & FACT_HAS_DST_TYPE) === 0) {
      this.flags |= FACT_HAS_DST_TYPE | (negated ? FACT_DST_TYPE_NEGATED : 0);
      picked[FACT_DST_TYPE] = at;
    }
    if (option === 'match-set' && at >= 0 && args[at] === 'KUBE-CLUSTER-IP') this.flags |= FACT_CLUSTER_IP_SET;
  }

  target(name: string, _goto: boolean, at: number): void {
    this.targetName = name;
    this.picked[FACT_TARGET] = at;
  }

  counters(): void {}

  /** The facts gathered, with values taken from `args` (the arguments the walk was given). */
  facts(args: readonly string[], origin: FactsOrigin, index: number, line: number): RuleFacts {
    const value = (field: number): string | undefined => {
      const at = this.picked[field]!;
      return at >= 0 ? args[at] : undefined;
    };
    const flags = this.flags;
    return {
      line,
      origin,
      index,
      target: this.targetName,
      toDestination: value(FACT_TO_DESTINATION),
      protocol: value(FACT_PROTOCOL),
      protocolNegated: (flags & FACT_PROTOCOL_NEGATED) !== 0,
      destination: value(FACT_DESTINATION),
      destinationNegated: (flags & FACT_DESTINATION_NEGATED) !== 0,
      dport: value(FACT_DPORT),
      seconds: value(FACT_SECONDS),
      recentCheck: (flags & FACT_RECENT_CHECK) !== 0,
      probability: value(FACT_PROBABILITY),
      hasDstType: (flags & FACT_HAS_DST_TYPE) !== 0,
      dstType: value(FACT_DST_TYPE),
      dstTypeNegated: (flags & FACT_DST_TYPE_NEGATED) !== 0,
      comments: this.comments.length === 0 ? NO_COMMENTS : this.comments.map((at) => args[at]!),
      matchesClusterIPSet: (flags & FACT_CLUSTER_IP_SET) !== 0,
      headerOnly: (flags & FACT_NOT_HEADER_ONLY) === 0,
    };
  }
}

const collector = new FactsCollector();

/** The facts of a rule already built (a table made in a test, a chain a trace has walked). */
export function factsFromRule(rule: NfRule): RuleFacts {
  const origin: FactsOrigin = { file: rule.source.file, ruleText: () => rule.text };
  // The options' values laid end to end, as the walk's arguments are.
  const args: string[] = [];
  collector.begin();
  const tell = (o: RuleOption, ofTarget: boolean): void => {
    const start = args.length;
    for (const value of o.values) args.push(value);
    collector.option(o.module, o.option, o.negated, args, start, args.length, ofTarget);
  };
  for (const o of rule.options) tell(o, false);
  if (rule.target) {
    collector.target(rule.target.name, rule.target.goto, -1);
    for (const o of rule.target.options) tell(o, true);
  }
  return collector.facts(args, origin, 0, rule.source.line);
}

/** The rule's text, for a warning. */
export function factsText(facts: RuleFacts): string {
  return facts.origin.ruleText(facts.index);
}
