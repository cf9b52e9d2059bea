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

/** The hash the tokenizer computes as it reads a word (keep the two in step). */
function wordHash(text: string, start: number, end: number): number {
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

/**
 * Tokenizes `line` from `start` to `end` (exclusive). `column` in an error is 1-based within the line.
 * Pass `into` to reuse its arrays (a parser reading 150k lines then allocates two arrays, not 300k);
 * the result is only valid until the next call with the same `into`.
 */
export function tokenizeLine(line: string, start = 0, end = line.length, into?: LineTokens): TokenizeResult {
  const args: string[] = into ? into.args : [];
  const quoted: boolean[] = into ? into.quoted : [];
  const starts = into?.starts;
  const ends = into?.ends;
  // Written by index and cut to length at the end: `length = 0` drops an array's backing store,
  // and pushing regrew all four for every line (~120 MB of garbage over a 12 MB dump).
  let n = 0;
  let i = start;
  while (i < end) {
    let code = line.charCodeAt(i);
    if (code === SPACE || code === TAB || code === CR) {
      i++;
      continue;
    }
    // One argument. The common case has no quotes: slice it straight out of the line (or take it from the cache).
    const argStart = i;
    let hash = 0;
    while (i < end) {
      code = line.charCodeAt(i);
      if (code === SPACE || code === TAB || code === CR || code === QUOTE) break;
      hash = (Math.imul(hash, 31) + code) | 0;
      i++;
    }
    if (i >= end || code !== QUOTE) {
      const words = into?.words;
      args[n] = words ? words.word(line, argStart, i, hash ^ (hash >>> 16)) : line.slice(argStart, i);
      quoted[n] = false;
      if (starts && ends) {
        starts[n] = argStart;
        ends[n] = i;
      }
      n++;
      continue;
    }
    // A quote: build the argument piece by piece until the closing quote.
    let text = line.slice(argStart, i);
    const quoteColumn = i - start + 1;
    i++; // opening quote
    let pieceStart = i;
    let closed = false;
    while (i < end) {
      code = line.charCodeAt(i);
      if (code === BACKSLASH) {
        text += line.slice(pieceStart, i);
        if (i + 1 < end) text += line[i + 1];
        i += 2;
        pieceStart = i;
        continue;
      }
      if (code === QUOTE) {
        text += line.slice(pieceStart, i);
        i++;
        closed = true;
        break;
      }
      i++;
    }
    if (!closed) {
      cutTo(0, args, quoted, starts, ends);
      return { error: 'unterminated quote', column: quoteColumn };
    }
    args[n] = text;
    quoted[n] = true;
    if (starts && ends) {
      starts[n] = argStart;
      ends[n] = i;
    }
    n++;
  }
  cutTo(n, args, quoted, starts, ends);
  return into ?? { args, quoted };
}

/** Sets the token arrays' length to `n` (a shorter length keeps the backing store; see tokenizeLine). */
function cutTo(n: number, args: string[], quoted: boolean[], starts: number[] | undefined, ends: number[] | undefined): void {
  if (args.length !== n) args.length = n;
  if (quoted.length !== n) quoted.length = n;
  if (starts && ends && starts.length !== n) starts.length = ends.length = n;
}
