// Splits one iptables-save / iptables-restore line into arguments the way
// iptables-restore's add_param_to_argv() does (checked against iptables 1.8.9):
//
//   - spaces and tabs separate arguments;
//   - a double quote opens a quoted part; inside it a backslash takes the next
//     character literally (iptables-save writes `\"`, `\\` and `\'`);
//   - the closing quote ends the argument (`"a b"c` is two arguments);
//   - outside quotes a backslash is an ordinary character, and single quotes
//     are not quotes at all (`'a b'` is two arguments, as iptables-restore reads it).
//
// Hand-written over char codes: a 20 MB kube-proxy dump is 150k lines, and a
// regex per argument would cost more than the rest of the parse.

export interface LineTokens {
  args: string[];
  /** quoted[i]: args[i] came (at least partly) from a quoted part, so it is a value even if it starts with '-'. */
  quoted: boolean[];
  /** Unquoted words seen before, to hand out again instead of a new string (see WordCache). */
  words?: WordCache;
  /**
   * With these, where each argument is in the line: from its first character to the end of
   * its last (a quoted part's closing quote included), so that tokenizing that range again
   * gives the argument back (argumentAt). The dump scanner keeps such ranges instead of strings.
   */
  starts?: number[];
  ends?: number[];
}

/**
 * Words a dump's lines repeat, each kept as one string. A kube-proxy dump says `-m`, `comment`,
 * `--comment`, `-j`, `KUBE-MARK-MASQ`, `tcp` on most of its 150,000 lines, and names each
 * KUBE-SEP/SVC chain in its declaration, in its own rules and in the rule jumping to it: cutting
 * a fresh string for each was most of the reader's garbage (a 12 MB dump cut ~70 MB of token
 * strings), and each fresh chain name looked up in a 40,000-chain table is hashed and interned
 * again. The reader says which words to keep (`remember`: the chain names, the common option
 * words); the tokenizer finds a word by a hash of its characters, computed as it reads them, in a
 * direct-mapped table, and checks it character by character, so a collision only costs a new
 * string, never a wrong one. Words it was not told of (addresses, ports, hashes) are cut as
 * before and never stored: a table of recent words would keep each alive long enough to be
 * copied into the old generation.
 */
export class WordCache {
  private readonly slots: (string | undefined)[] = new Array<string | undefined>(WORD_SLOTS).fill(undefined);

  remember(word: string): void {
    this.slots[wordHash(word, 0, word.length) & (WORD_SLOTS - 1)] = word;
  }

  /** line[start, end) as a string: the remembered one when there is one. `hash` is wordHash of the range. */
  word(line: string, start: number, end: number, hash: number): string {
    const known = this.slots[hash & (WORD_SLOTS - 1)];
    if (known !== undefined && known.length === end - start) {
      let i = 0;
      while (i < known.length && known.charCodeAt(i) === line.charCodeAt(start + i)) i++;
      if (i === known.length) return known;
    }
    return line.slice(start, end);
  }
}

/** The one argument at text[start, end), a range the tokenizer gave in `starts`/`ends` (quoted parts read again). */
export function argumentAt(text: string, start: number, end: number, quoted: boolean): string {
  if (!quoted) return text.slice(start, end);
  const tokens = tokenizeLine(text, start, end);
  if ('error' in tokens || tokens.args.length !== 1) throw new Error(`not one argument: ${text.slice(start, end)}`);
  return tokens.args[0]!;
}

/** The hash splitArguments computes as it reads a word (keep the two in step). */
export function wordHash(text: string, start: number, end: number): number {
  let hash = 0;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash ^ (hash >>> 16);
}

const WORD_SLOTS = 1 << 16;

export type TokenizeResult = LineTokens | { error: string; column: number };

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Where each argument of a line is (splitArguments): from its first character to the end of its last, its quoting, its hash. */
export interface ArgumentRanges {
  starts: number[];
  ends: number[];
  quoted: boolean[];
  /** wordHash of an unquoted argument (WordCache.word's `hash`); 0 for a quoted one. */
  hashes: number[];
}

/**
 * Splits text[start, end) into arguments as iptables-restore does (see the header), writing where
 * each is into `into` by index (the arrays keep their backing stores from line to line): the
 * number of arguments, or, for a quote left open, minus its 1-based column from `start`. Both
 * tokenizeLine and the dump scanner (rule-scan.ts) read lines through it.
 */
export function splitArguments(text: string, start: number, end: number, into: ArgumentRanges): number {
  const { starts, ends, quoted, hashes } = into;
  let n = 0;
  let i = start;
  while (i < end) {
    let code = text.charCodeAt(i);
    if (code === SPACE || code === TAB || code === CR) {
      i++;
      continue;
    }
    const argStart = i;
    let hash = 0;
    while (i < end) {
      code = text.charCodeAt(i);
      if (code === SPACE || code === TAB || code === CR || code === QUOTE) break;
      hash = (Math.imul(hash, 31) + code) | 0;
      i++;
    }
    let isQuoted = false;
    if (i < end && code === QUOTE) {
      // A quoted part: a backslash takes the next character; the closing quote ends the argument.
      const quoteColumn = i - start + 1;
      isQuoted = true;
      i++;
      while (i < end && text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
      if (i >= end) return -quoteColumn;
      i++;
    }
    starts[n] = argStart;
    ends[n] = i;
    quoted[n] = isQuoted;
    hashes[n] = isQuoted ? 0 : hash ^ (hash >>> 16);
    n++;
  }
  if (starts.length !== n) starts.length = n;
  if (ends.length !== n) ends.length = n;
  if (quoted.length !== n) quoted.length = n;
  if (hashes.length !== n) hashes.length = n;
  return n;
}

/** A quoted argument's value: text[start, end) with its quotes dropped and each `\x` read as x. */
function quotedValue(text: string, start: number, end: number): string {
  const quote = text.indexOf('"', start);
  let value = text.slice(start, quote);
  let piece = quote + 1;
  const close = end - 1;
  for (let i = piece; i < close; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    value += text.slice(piece, i);
    if (i + 1 < close) value += text[i + 1];
    i++;
    piece = i + 1;
  }
  return value + text.slice(piece, close);
}

/** Ranges for a caller that keeps none (its quoted array is put in for the call). */
const scratchRanges: ArgumentRanges = { starts: [], ends: [], quoted: [], hashes: [] };
const scratchStarts: number[] = [];
const scratchEnds: number[] = [];

/**
 * Tokenizes `line` from `start` to `end` (exclusive). `column` in an error is 1-based within the line.
 * Pass `into` to reuse its arrays (a parser reading 150k lines then allocates two arrays, not 300k);
 * the result is only valid until the next call with the same `into`.
 */
export function tokenizeLine(line: string, start = 0, end = line.length, into?: LineTokens): TokenizeResult {
  const args: string[] = into ? into.args : [];
  const quoted: boolean[] = into ? into.quoted : [];
  const ranges = scratchRanges;
  ranges.starts = into?.starts ?? scratchStarts;
  ranges.ends = into?.ends ?? scratchEnds;
  ranges.quoted = quoted;
  const n = splitArguments(line, start, end, ranges);
  if (n < 0) {
    args.length = 0;
    return { error: 'unterminated quote', column: -n };
  }
  const words = into?.words;
  for (let k = 0; k < n; k++) {
    const argStart = ranges.starts[k]!;
    const argEnd = ranges.ends[k]!;
    if (quoted[k]) args[k] = quotedValue(line, argStart, argEnd);
    else args[k] = words ? words.word(line, argStart, argEnd, ranges.hashes[k]!) : line.slice(argStart, argEnd);
  }
  if (args.length !== n) args.length = n;
  return into ?? { args, quoted };
}
