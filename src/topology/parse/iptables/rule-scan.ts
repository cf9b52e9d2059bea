// The common rule line read straight from the dump's text: where each argument is, which of the
// grammar's words it is, and the walk of walkRuleArgs (rule-args.ts) over those kinds instead of
// over cut strings. A 10,000-service dump has 113,000 rule lines of a dozen arguments each, and
// cutting every argument to a string (addresses, ports, comments, hashes) and comparing strings
// was ~70 % of its reading; here an argument becomes a string only where the walk's visitor or a
// number check needs one (chain, module and target names, mostly words already interned).
//
// A subset, exact where it answers: anything it does not read as walkRuleArgs would (an error of
// any kind, `-c`, `-I`, an old-style `! value`, `--match-set`, a second comment, counters before
// the rule) makes it answer false, and the caller reads the line the full way, which gives the
// same facts for the lines read here and the warnings for the others (rule-scan.test.ts holds
// the two to that over drawn lines).
import { checkOf, numericOptionError } from './numeric-options.ts';
import { BASIC_LONG_FORMS, IMPLICIT_MATCH, lowerCase, type RuleArgsVisitor } from './rule-args.ts';
import { argumentAt, type ArgumentRanges, type LineTokens, splitArguments, type WordCache, wordHash } from './tokenize.ts';

// What an argument is to the walk.
const VALUE = 0;
/** `!` */
const BANG = 1;
/** -s -d -i -o -p and long forms; the word's text is the letter. */
const BASIC = 2;
/** -f -4 -6 and long forms; the text is the letter. */
const FLAG = 3;
const MATCH = 4;
const JUMP = 5;
const GOTO = 6;
/** A --long option; the text is its name. */
const LONG = 7;
const APPEND = 8;
/** A short option the walk leaves to the full reader (-c, -I, -N, an unknown -x). */
const OTHER = 9;

const KNOWN_LONG = [
  'comment', 'to-destination', 'to-source', 'dport', 'sport', 'dports', 'sports', 'ports', 'destination-port', 'source-port', 'destination-ports',
  'source-ports', 'mode', 'probability', 'every', 'packet', 'seconds', 'hitcount', 'rcheck', 'set', 'name', 'mask', 'rsource', 'reap', 'dst-type',
  'src-type', 'ctstate', 'state', 'mark', 'set-mark', 'set-xmark', 'and-mark', 'or-mark', 'xor-mark', 'random-fully', 'random', 'reject-with',
  'nfacct-name', 'match-set', 'physdev-is-in', 'physdev-is-out', 'physdev-is-bridged', 'physdev-in', 'physdev-out', 'limit', 'limit-burst', 'tcp-flags',
  'log-prefix', 'log-level', 'icmp-type', 'ctorigdst', 'ctorigdstport', 'socket-exists', 'transparent', 'on-port', 'on-ip', 'tproxy-mark', 'pkt-type',
];

/** The grammar's words, found by the tokenizer's hash of their characters. */
class KnownWords {
  private static readonly SLOTS = 1024;
  private readonly words: (string | undefined)[] = new Array<string | undefined>(KnownWords.SLOTS).fill(undefined);
  private readonly kinds = new Uint8Array(KnownWords.SLOTS);
  private readonly texts: string[] = new Array<string>(KnownWords.SLOTS).fill('');

  constructor() {
    const add = (word: string, kind: number, text: string): void => {
      let slot = wordHash(word, 0, word.length) & (KnownWords.SLOTS - 1);
      while (this.words[slot] !== undefined) slot = (slot + 1) & (KnownWords.SLOTS - 1);
      this.words[slot] = word;
      this.kinds[slot] = kind;
      this.texts[slot] = text;
    };
    add('!', BANG, '!');
    for (const letter of ['s', 'd', 'i', 'o', 'p']) add(`-${letter}`, BASIC, letter);
    for (const [word, letter] of Object.entries(BASIC_LONG_FORMS)) add(word, BASIC, letter);
    for (const [word, letter] of [['-f', 'f'], ['--fragment', 'f'], ['-4', '4'], ['--ipv4', '4'], ['-6', '6'], ['--ipv6', '6']] as const) add(word, FLAG, letter);
    for (const word of ['-m', '--match']) add(word, MATCH, '');
    for (const word of ['-j', '--jump']) add(word, JUMP, '');
    for (const word of ['-g', '--goto']) add(word, GOTO, '');
    for (const word of ['-A', '--append']) add(word, APPEND, '');
    for (const name of KNOWN_LONG) add(`--${name}`, LONG, name);
  }

  /** The slot of text[start, end) (hash: the tokenizer's), or -1 when it is none of the words. */
  find(text: string, start: number, end: number, hash: number): number {
    for (let slot = hash & (KnownWords.SLOTS - 1); ; slot = (slot + 1) & (KnownWords.SLOTS - 1)) {
      const word = this.words[slot];
      if (word === undefined) return -1;
      if (word.length === end - start && text.startsWith(word, start)) return slot;
    }
  }

  kind(slot: number): number {
    return this.kinds[slot]!;
  }

  text(slot: number): string {
    return this.texts[slot]!;
  }
}

const KNOWN = new KnownWords();
const DASH = 0x2d;
const NO_ARGS: readonly string[] = [];

/**
 * Reads rule lines of one dump from its text. `tokens` holds the last line's arguments as
 * absolute offsets into the text (starts, ends, quoted), the shape RuleLines.keep reads.
 */
export class RuleScanner {
  readonly tokens: LineTokens = { args: [], quoted: [], starts: [], ends: [] };
  private readonly ranges: ArgumentRanges = { starts: this.tokens.starts!, ends: this.tokens.ends!, quoted: this.tokens.quoted, hashes: [] };
  private count = 0;
  private readonly kinds: number[] = [];
  private readonly slots: number[] = [];
  private readonly numbers: string[] = [];

  constructor(
    private readonly text: string,
    private readonly words: WordCache,
  ) {}

  /**
   * Splits text[start, end) into arguments as tokenizeLine does; false for an unterminated quote.
   * Then `-A CHAIN` must open the line: the chain's name, or undefined (the full reader's line).
   */
  appendTo(start: number, end: number): string | undefined {
    if (!this.split(start, end) || this.count < 2 || this.kinds[0] !== APPEND || this.tokens.quoted[1]) return undefined;
    return this.word(1);
  }

  /**
   * Walks the arguments from the third as walkRuleArgs does, telling `visitor`; false where that
   * walk would not read the line as it is read here (see the header), the visitor then having
   * heard part of it.
   */
  walk(visitor: RuleArgsVisitor): boolean {
    const kinds = this.kinds;
    const n = this.count;
    let targetName: string | undefined;
    let module: string | undefined;
    let protocol: string | undefined;
    let negateNext = false;
    let longOptionsToTarget = false;
    let i = 2;
    while (i < n) {
      const kind = kinds[i]!;
      if (kind === BANG) {
        if (negateNext) return false;
        negateNext = true;
        i++;
        continue;
      }
      if (kind === BASIC) {
        if (i + 1 >= n || !this.isPlainValue(i + 1)) return false;
        const letter = KNOWN.text(this.slots[i]!);
        visitor.option('basic', letter, negateNext, NO_ARGS, i + 1, i + 2, false);
        negateNext = false;
        if (letter === 'p') protocol = lowerCase(this.word(i + 1));
        i += 2;
        continue;
      }
      if (kind === FLAG) {
        visitor.option('basic', KNOWN.text(this.slots[i]!), negateNext, NO_ARGS, 0, 0, false);
        negateNext = false;
        i++;
        continue;
      }
      if (kind === MATCH || kind === JUMP || kind === GOTO) {
        if (negateNext || i + 1 >= n || this.isOption(i + 1)) return false;
        const name = this.word(i + 1);
        if (kind === MATCH) {
          module = name;
          longOptionsToTarget = false;
        } else {
          if (targetName !== undefined) return false;
          targetName = name;
          visitor.target(name, kind === GOTO, i + 1);
          longOptionsToTarget = true;
        }
        i += 2;
        continue;
      }
      if (kind !== LONG) return false; // a value where an option belongs, or an option left to the full reader
      const ofTarget = targetName !== undefined && longOptionsToTarget;
      const owner = ofTarget ? targetName! : module ?? (protocol !== undefined && IMPLICIT_MATCH.has(protocol) ? protocol : 'basic');
      const slot = this.slots[i]!;
      const name = slot >= 0 ? KNOWN.text(slot) : this.text.slice(this.tokens.starts![i]! + 2, this.tokens.ends![i]!);
      if (name === 'match-set') return false; // its visitor reads the set's name from the arguments
      const negated = negateNext;
      negateNext = false;
      i++;
      if (i < n && kinds[i] === BANG) return false; // `--opt ! value` and `--opt !` are read the full way
      const valuesStart = i;
      while (i < n && !this.isOption(i) && kinds[i] !== BANG) i++;
      if (checkOf(owner, name) !== undefined) {
        // Written by index: `length = 0` would drop the array's store every time.
        const values = this.numbers;
        for (let k = valuesStart; k < i; k++) values[k - valuesStart] = this.word(k);
        if (numericOptionError(owner, name, values, 0, i - valuesStart) !== undefined) return false;
      }
      visitor.option(owner, name, negated, NO_ARGS, valuesStart, i, ofTarget);
    }
    return !negateNext;
  }

  private split(start: number, end: number): boolean {
    const n = splitArguments(this.text, start, end, this.ranges);
    if (n < 0) return false;
    const text = this.text;
    const { starts, ends, quoted, hashes } = this.ranges;
    for (let k = 0; k < n; k++) {
      let kind = VALUE;
      let slot = -1;
      if (!quoted[k]) {
        const argStart = starts[k]!;
        const argEnd = ends[k]!;
        slot = KNOWN.find(text, argStart, argEnd, hashes[k]!);
        if (slot >= 0) kind = KNOWN.kind(slot);
        else if (argEnd - argStart > 1 && text.charCodeAt(argStart) === DASH) kind = text.charCodeAt(argStart + 1) === DASH ? LONG : OTHER;
      }
      this.kinds[k] = kind;
      this.slots[k] = slot;
    }
    this.count = n;
    return true;
  }

  /** Argument `i` starts an option (walkRuleArgs' isOptionArg). */
  private isOption(i: number): boolean {
    const starts = this.tokens.starts!;
    return !this.tokens.quoted[i] && this.tokens.ends![i]! - starts[i]! > 1 && this.text.charCodeAt(starts[i]!) === DASH;
  }

  /** Argument `i` is a value, and not a lone `!` (an old-style negation, read the full way). */
  private isPlainValue(i: number): boolean {
    return !this.isOption(i) && (this.tokens.quoted[i] || this.kinds[i] !== BANG);
  }

  /** Argument `i` as the string tokenizeLine gives (an interned one for a word the cache knows). */
  private word(i: number): string {
    const start = this.tokens.starts![i]!;
    const end = this.tokens.ends![i]!;
    if (this.tokens.quoted[i]) return argumentAt(this.text, start, end, true);
    return this.words.word(this.text, start, end, this.ranges.hashes[i]!);
  }
}
