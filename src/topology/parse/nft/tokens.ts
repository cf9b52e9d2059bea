// Splits one line of `nft list ruleset` into words. nft prints its syntax with
// spaces around operators and concatenation dots (`ip daddr . meta l4proto`),
// so whitespace separates almost everything; braces, commas and semicolons are
// tokens of their own (`{ 0 : goto a, 1 : goto b }`, `policy accept;`), and a
// quoted string (a comment, a log prefix) is one token with its quotes.

export interface NftToken {
  text: string;
  /** A quoted string: `text` holds it without the quotes. */
  quoted: boolean;
}

export function tokenize(line: string): NftToken[] {
  const tokens: NftToken[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        text += line[j];
        j++;
      }
      tokens.push({ text, quoted: true });
      i = j + 1;
    } else if (c === '{' || c === '}' || c === ',' || c === ';') {
      tokens.push({ text: c, quoted: false });
      i++;
    } else {
      let j = i;
      while (j < line.length && !' \t{},;"'.includes(line[j]!)) j++;
      tokens.push({ text: line.slice(i, j), quoted: false });
      i = j;
    }
  }
  return tokens;
}

/** Brace depth change of a line (quoted text ignored): a rule or an element list may span lines until it closes. */
export function braceBalance(line: string): number {
  let depth = 0;
  for (const token of tokenize(line)) {
    if (token.quoted) continue;
    if (token.text === '{') depth++;
    else if (token.text === '}') depth--;
  }
  return depth;
}
