// Reads the arguments of one rule (everything after `-A CHAIN`) into options
// tagged with the module that owns them, the way iptables' own getopt loop
// sees them:
//
//   -s 10.0.0.0/8 -p tcp -m comment --comment "x" -m tcp ! --dport 80 -j DNAT --to-destination 1.2.3.4:80
//   └─ basic ───┘ └basic┘ └──── comment ────────┘ └─── tcp ──────────┘    └─ target DNAT options ──┘
//
// Basic options (-s -d -i -o -p -f and their long forms) are recognised
// anywhere and stored under their short letter. A `--long` option belongs to
// the last `-m` module, or after `-j`/`-g` to the target. Before any `-m`,
// `-p tcp --dport 80` uses the protocol's implicit match, as iptables does.
// Each option takes the arguments up to the next option, so modules podpath
// has never heard of are still read (and tagged with their own name).
// `!` negates the next option; the old `--opt ! value` form is accepted too.
import type { Counters, RuleOption, RuleTarget } from '../../model.ts';
import { numericOptionError } from './numeric-options.ts';
import type { LineTokens } from './tokenize.ts';

export interface RuleArgs {
  options: RuleOption[];
  target?: RuleTarget;
  /** From `-c packets bytes` inside the rule (iptables-restore's other counter form). */
  counters?: Counters;
}

export type RuleArgsResult = RuleArgs | { error: string };

/**
 * One copy of each distinct option with at most one value, and of each
 * option-less target, for a whole dump. kube-proxy repeats `-p tcp`,
 * `-j KUBE-MARK-MASQ`, `--mode random` and each service's comment on many rules;
 * sharing them keeps a 150k-rule dump smaller and out of the garbage
 * collector's way. Shared objects are read-only: nothing downstream may change
 * a parsed rule in place.
 */
/** Longer target names are not pooled (see SharedParts.target). */
const MAX_POOLED_TARGET = 20;

export class SharedParts {
  // Keyed by the value alone (one hash lookup on the hot path); the few options that share a
  // value ("tcp" as -p and as --protocol…) sit in a short list checked by module and option.
  private readonly byValue = new Map<string, RuleOption | RuleOption[]>();
  private readonly valueless: RuleOption[] = [];
  private readonly targets = new Map<string, RuleTarget>();
  private readonly gotoTargets = new Map<string, RuleTarget>();

  option(module: string, option: string, negated: boolean, args: readonly string[], start: number, end: number): RuleOption {
    if (end - start > 1) return { module, option, values: args.slice(start, end), negated };
    if (end === start) {
      for (const known of this.valueless) if (known.option === option && known.module === module && known.negated === negated) return known;
      const found: RuleOption = { module, option, values: [], negated };
      this.valueless.push(found);
      return found;
    }
    const value = args[start]!;
    const known = this.byValue.get(value);
    if (known !== undefined) {
      if (!Array.isArray(known)) {
        if (known.option === option && known.module === module && known.negated === negated) return known;
      } else {
        for (const candidate of known) if (candidate.option === option && candidate.module === module && candidate.negated === negated) return candidate;
      }
    }
    const found: RuleOption = { module, option, values: [value], negated };
    if (known === undefined) this.byValue.set(value, found);
    else if (Array.isArray(known)) known.push(found);
    else this.byValue.set(value, [known, found]);
    return found;
  }

  target(name: string, goto: boolean, options: RuleOption[]): RuleTarget {
    // kube-proxy's hashed chains (KUBE-SEP-…, KUBE-SVC-…: 25 characters) are jumped to once or
    // twice each: pooling their 40k names costs a hash lookup per rule and saves next to nothing.
    if (options.length > 0 || name.length > MAX_POOLED_TARGET) return { name, goto, options };
    const pool = goto ? this.gotoTargets : this.targets;
    let found = pool.get(name);
    if (found === undefined) {
      found = { name, goto, options: [] };
      pool.set(name, found);
    }
    return found;
  }
}

/** The long forms of the basic options with a value, by their short letter (basicOption reads them). */
export const BASIC_LONG_FORMS: Readonly<Record<string, string>> = {
  '--source': 's', '--src': 's', '--destination': 'd', '--dst': 'd', '--in-interface': 'i', '--out-interface': 'o', '--protocol': 'p',
};

/**
 * The short letter of a basic option taking a value (-s -d -i -o -p and long forms), else undefined.
 * The short forms by a switch on the letter: they are most of what comes through here.
 */
function basicOption(arg: string): string | undefined {
  if (arg.length === 2) {
    switch (arg.charCodeAt(1)) {
      case 0x73: return 's';
      case 0x64: return 'd';
      case 0x69: return 'i';
      case 0x6f: return 'o';
      case 0x70: return 'p';
      default: return undefined;
    }
  }
  return Object.hasOwn(BASIC_LONG_FORMS, arg) ? BASIC_LONG_FORMS[arg] : undefined;
}

/** Protocols whose match iptables loads implicitly for `-p X --option`. */
export const IMPLICIT_MATCH: ReadonlySet<string> = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'ipv6-icmp', 'mh']);

/**
 * `--name` without its dashes, one string per option name: a dump says `--comment`, `--dport`
 * and `--to-destination` on most of its lines, and a fresh slice each time was a tenth of the
 * reader's garbage. Bounded: a dump of made-up options cannot grow it without end.
 */
const LONG_NAMES = new Map<string, string>();
const MAX_LONG_NAMES = 4096;
function longOptionName(arg: string): string {
  let name = LONG_NAMES.get(arg);
  if (name === undefined) {
    name = arg.slice(2);
    if (LONG_NAMES.size < MAX_LONG_NAMES) LONG_NAMES.set(arg, name);
  }
  return name;
}

/** `text` in lower case; the same string when it already is (`-p tcp` on most rules). */
export function lowerCase(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 0x41 && code <= 0x5a) || code > 0x7f) return text.toLowerCase();
  }
  return text;
}

/** True for an argument that starts an option (`-x`, `--xyz`), not a value. */
function isOptionArg(arg: string, quoted: boolean): boolean {
  return !quoted && arg.length > 1 && arg.charCodeAt(0) === 0x2d /* - */;
}

/**
 * What the grammar walk tells as it reads a rule: each option with its owner and values
 * (`args[start..end)`, `ofTarget` for the target's own options), the target, `-c` counters.
 * parseRuleArgs builds RuleOptions from it; the dump scanner checks every line with a visitor
 * that keeps nothing, and gathers what kube-proxy's reader needs with another (rule-facts.ts).
 */
export interface RuleArgsVisitor {
  option(module: string, option: string, negated: boolean, args: readonly string[], start: number, end: number, ofTarget: boolean): void;
  /** `at`: the name's index in the arguments. */
  target(name: string, goto: boolean, at: number): void;
  counters(packets: number, bytes: number): void;
}

/**
 * Walks rule arguments `tokens.args[from..]` as iptables' getopt loop does, telling `visitor`
 * what it reads. Returns what iptables itself would refuse to read (a value where an option
 * belongs, an option missing its argument, `!` with nothing after it), else undefined; on an
 * error the visitor may have heard part of the rule.
 */
export function walkRuleArgs(tokens: LineTokens, from: number, visitor: RuleArgsVisitor): string | undefined {
  const { args, quoted } = tokens;
  let targetName: string | undefined;
  let module: string | undefined; // the current -m module
  let protocol: string | undefined; // -p value, for implicit matches
  let negateNext = false;
  let longOptionsToTarget = false; // after -j/-g, until another -m
  let i = from;

  while (i < args.length) {
    const arg = args[i]!;
    const isQuoted = quoted[i]!;
    if (arg === '!' && !isQuoted) {
      if (negateNext) return 'two "!" in a row';
      negateNext = true;
      i++;
      continue;
    }
    if (!isOptionArg(arg, isQuoted)) return `unexpected argument "${arg}" where an option was expected`;

    const basic = basicOption(arg);
    if (basic !== undefined) {
      let negated = negateNext;
      negateNext = false;
      let value = args[i + 1];
      if (value === '!' && !quoted[i + 1]) {
        // old intrapositioned form: -p ! tcp
        negated = true;
        i++;
        value = args[i + 1];
      }
      if (value === undefined || isOptionArg(value, quoted[i + 1]!)) return `${arg} needs a value`;
      visitor.option('basic', basic, negated, args, i + 1, i + 2, false);
      if (basic === 'p') protocol = lowerCase(value);
      i += 2;
      continue;
    }
    if (arg === '-f' || arg === '--fragment' || arg === '-4' || arg === '--ipv4' || arg === '-6' || arg === '--ipv6') {
      const option = arg === '-f' || arg === '--fragment' ? 'f' : arg === '-4' || arg === '--ipv4' ? '4' : '6';
      visitor.option('basic', option, negateNext, args, 0, 0, false);
      negateNext = false;
      i++;
      continue;
    }
    if (arg === '-m' || arg === '--match') {
      if (negateNext) return `"!" before ${arg}`;
      const name = args[i + 1];
      if (name === undefined || isOptionArg(name, quoted[i + 1]!)) return `${arg} needs a module name`;
      module = name;
      longOptionsToTarget = false;
      i += 2;
      continue;
    }
    if (arg === '-j' || arg === '--jump' || arg === '-g' || arg === '--goto') {
      if (negateNext) return `"!" before ${arg}`;
      if (targetName !== undefined) return 'more than one target';
      const name = args[i + 1];
      if (name === undefined || isOptionArg(name, quoted[i + 1]!)) return `${arg} needs a target`;
      targetName = name;
      visitor.target(name, arg === '-g' || arg === '--goto', i + 1);
      longOptionsToTarget = true;
      i += 2;
      continue;
    }
    if (arg === '-c' || arg === '--set-counters') {
      const packets = args[i + 1];
      const bytes = args[i + 2];
      if (packets === undefined || bytes === undefined || !/^\d+$/.test(packets) || !/^\d+$/.test(bytes)) {
        return `${arg} needs two numbers`;
      }
      visitor.counters(Number(packets), Number(bytes));
      i += 3;
      continue;
    }
    if (arg.charCodeAt(1) !== 0x2d) return `unknown option ${arg}`;

    // A module's (or the target's) long option and its values.
    const ofTarget = targetName !== undefined && longOptionsToTarget;
    const owner = ofTarget ? targetName! : module ?? (protocol !== undefined && IMPLICIT_MATCH.has(protocol) ? protocol : 'basic');
    let negated = negateNext;
    negateNext = false;
    i++;
    if (args[i] === '!' && !quoted[i] && i + 1 < args.length && !isOptionArg(args[i + 1]!, quoted[i + 1]!)) {
      negated = true; // old intrapositioned form: --dst-type ! LOCAL
      i++;
    }
    const valuesStart = i;
    while (i < args.length && !isOptionArg(args[i]!, quoted[i]!) && !(args[i] === '!' && !quoted[i])) i++;
    const name = longOptionName(arg);
    const numberError = numericOptionError(owner, name, args, valuesStart, i);
    if (numberError !== undefined) return numberError;
    visitor.option(owner, name, negated, args, valuesStart, i, ofTarget);
  }
  if (negateNext) return '"!" at the end of the rule';
  return undefined;
}


/**
 * Builds a rule's RuleOptions (shared through SharedParts) as walkRuleArgs reads them.
 * Collected in reused scratch arrays and copied out at their exact length: a pushed-to
 * empty array reserves 17 slots, which over 100k rules is megabytes of empty space.
 */
class RuleArgsBuilder implements RuleArgsVisitor {
  readonly options: RuleOption[] = [];
  readonly targetOptions: RuleOption[] = [];
  targetName: string | undefined;
  goto = false;
  counted: Counters | undefined;
  shared: SharedParts = new SharedParts();

  reset(shared: SharedParts): void {
    this.options.length = 0;
    this.targetOptions.length = 0;
    this.targetName = undefined;
    this.goto = false;
    this.counted = undefined;
    this.shared = shared;
  }

  option(module: string, option: string, negated: boolean, args: readonly string[], start: number, end: number, ofTarget: boolean): void {
    const built = this.shared.option(module, option, negated, args, start, end);
    if (ofTarget) this.targetOptions.push(built);
    else this.options.push(built);
  }

  target(name: string, goto: boolean): void {
    this.targetName = name;
    this.goto = goto;
  }

  counters(packets: number, bytes: number): void {
    this.counted = { packets, bytes };
  }
}

const builder = new RuleArgsBuilder();

/**
 * Parses rule arguments `tokens.args[from..]`. Returns an error for what iptables
 * itself would refuse to read (see walkRuleArgs).
 */
export function parseRuleArgs(tokens: LineTokens, from: number, shared: SharedParts = new SharedParts()): RuleArgsResult {
  builder.reset(shared);
  const error = walkRuleArgs(tokens, from, builder);
  if (error !== undefined) return { error };
  const result: RuleArgs = { options: builder.options.slice() };
  if (builder.targetName !== undefined) {
    result.target = shared.target(builder.targetName, builder.goto, builder.targetOptions.length > 0 ? builder.targetOptions.slice() : []);
  }
  if (builder.counted) result.counters = builder.counted;
  return result;
}
