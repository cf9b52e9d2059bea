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
}

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
  args.length = 0;
  quoted.length = 0;
  let i = start;
  while (i < end) {
    let code = line.charCodeAt(i);
    if (code === SPACE || code === TAB || code === CR) {
      i++;
      continue;
    }
    // One argument. The common case has no quotes: slice it straight out of the line.
    const argStart = i;
    while (i < end) {
      code = line.charCodeAt(i);
      if (code === SPACE || code === TAB || code === CR || code === QUOTE) break;
      i++;
    }
    if (i >= end || code !== QUOTE) {
      args.push(line.slice(argStart, i));
      quoted.push(false);
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
    if (!closed) return { error: 'unterminated quote', column: quoteColumn };
    args.push(text);
    quoted.push(true);
  }
  return into ?? { args, quoted };
}
