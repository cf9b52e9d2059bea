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

/** Gathers RuleFacts from walkRuleArgs (the scanner) or from a built rule's options (factsFromRule). */
export class FactsCollector implements RuleArgsVisitor {
  private facts!: RuleFacts;
  private dportSeen = false;
  private secondsSeen = false;
  private protocolSeen = false;
  private destinationSeen = false;
  private probabilitySeen = false;

  /** Starts a rule; `option` and `target` calls then fill what `begin` returned. */
  begin(origin: FactsOrigin, index: number, line: number): RuleFacts {
    this.dportSeen = this.secondsSeen = this.protocolSeen = this.destinationSeen = this.probabilitySeen = false;
    this.facts = {
      line,
      origin,
      index,
      target: undefined,
      toDestination: undefined,
      protocol: undefined,
      protocolNegated: false,
      destination: undefined,
      destinationNegated: false,
      dport: undefined,
      seconds: undefined,
      recentCheck: false,
      probability: undefined,
      hasDstType: false,
      dstType: undefined,
      dstTypeNegated: false,
      comments: NO_COMMENTS,
      matchesClusterIPSet: false,
      headerOnly: true,
    };
    return this.facts;
  }

  option(module: string, option: string, negated: boolean, args: readonly string[], start: number, end: number, ofTarget: boolean): void {
    const f = this.facts;
    const first = start < end ? args[start] : undefined;
    if (ofTarget) {
      if (option === 'to-destination') f.toDestination = first;
      return;
    }
    if (f.headerOnly && !readsHeaderOnly(module, option, end - start)) f.headerOnly = false;
    if (module === 'basic') {
      if (option === 'p' && !this.protocolSeen) {
        this.protocolSeen = true;
        f.protocol = first;
        f.protocolNegated = negated;
      } else if (option === 'd' && !this.destinationSeen) {
        this.destinationSeen = true;
        f.destination = first;
        f.destinationNegated = negated;
      }
    }
    if (!negated && option === 'dport' && !this.dportSeen) {
      this.dportSeen = true;
      f.dport = first;
    } else if (!negated && option === 'seconds' && !this.secondsSeen) {
      this.secondsSeen = true;
      f.seconds = first;
    }
    if (module === 'comment' && option === 'comment' && first !== undefined) {
      f.comments = f.comments === NO_COMMENTS ? [first] : [...f.comments, first];
    } else if (module === 'recent' && option === 'rcheck') f.recentCheck = true;
    else if (module === 'statistic' && option === 'probability' && !this.probabilitySeen) {
      this.probabilitySeen = true;
      f.probability = first;
    } else if (module === 'addrtype' && option === 'dst-type' && !f.hasDstType) {
      f.hasDstType = true;
      f.dstType = first;
      f.dstTypeNegated = negated;
    }
    if (option === 'match-set' && first === 'KUBE-CLUSTER-IP') f.matchesClusterIPSet = true;
  }

  target(name: string): void {
    this.facts.target = name;
  }

  counters(): void {}
}

const collector = new FactsCollector();

/** The facts of a rule already built (a table made in a test, a chain a trace has walked). */
export function factsFromRule(rule: NfRule): RuleFacts {
  const origin: FactsOrigin = { file: rule.source.file, ruleText: () => rule.text };
  const facts = collector.begin(origin, 0, rule.source.line);
  const tell = (o: RuleOption, ofTarget: boolean): void => collector.option(o.module, o.option, o.negated, o.values, 0, o.values.length, ofTarget);
  for (const o of rule.options) tell(o, false);
  if (rule.target) {
    collector.target(rule.target.name);
    for (const o of rule.target.options) tell(o, true);
  }
  return facts;
}

/** The rule's text, for a warning. */
export function factsText(facts: RuleFacts): string {
  return facts.origin.ruleText(facts.index);
}
