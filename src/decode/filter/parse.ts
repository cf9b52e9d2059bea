// A display filter in a useful subset of Wireshark's syntax (wireshark-filter(4)), parsed
// into a small expression tree: `ip.addr == 10.244.1.7 && tcp.flags.syn == 1`,
// `vxlan.vni == 1 || geneve`, `!(tcp.port in {80, 443})`. Precedence as Wireshark's: `not`
// binds tightest, then `and`, then `or`; comparisons take a field and a literal.
import { UsageError } from '../../errors.ts';

export type CompareOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; operand: FilterExpr }
  /** A bare field or protocol name: true when the packet has it. */
  | { kind: 'exists'; field: string }
  | { kind: 'compare'; field: string; op: CompareOp; value: string }
  | { kind: 'in'; field: string; values: string[] };

const WORD_OPS: Record<string, CompareOp | 'and' | 'or' | 'not' | 'in'> = {
  eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=', and: 'and', or: 'or', not: 'not', in: 'in',
};

interface Token {
  text: string;
  at: number;
  kind: 'op' | 'word' | 'string' | 'punct';
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
      tokens.push({ text: two, at: i, kind: 'op' });
      i += 2;
    } else if ('<>!'.includes(c)) {
      tokens.push({ text: c, at: i, kind: 'op' });
      i++;
    } else if ('(){},'.includes(c)) {
      tokens.push({ text: c, at: i, kind: 'punct' });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new UsageError(`-Y: the string that starts at column ${i + 1} has no closing quote`);
      tokens.push({ text: value, at: i, kind: 'string' });
      i = j + 1;
    } else {
      // Field names, numbers, addresses (IPv4, IPv6 with ::, MACs with colons), CIDR prefixes.
      const m = /^[A-Za-z0-9_.:/\-]+/.exec(text.slice(i));
      if (!m) throw new UsageError(`-Y: unexpected "${c}" at column ${i + 1}`);
      tokens.push({ text: m[0], at: i, kind: 'word' });
      i += m[0].length;
    }
  }
  return tokens;
}

class Parser {
  private index = 0;
  constructor(private readonly tokens: Token[], private readonly source: string) {}

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private fail(message: string): never {
    const at = this.peek()?.at ?? this.source.length;
    throw new UsageError(`-Y "${this.source}": ${message} at column ${at + 1}`);
  }

  /** The logical operator a token stands for ('and', 'or', 'not'), whether written as symbol or word. */
  private logical(token: Token | undefined): 'and' | 'or' | 'not' | undefined {
    if (!token) return undefined;
    if (token.kind === 'op') return token.text === '&&' ? 'and' : token.text === '||' ? 'or' : token.text === '!' ? 'not' : undefined;
    if (token.kind === 'word') {
      const op = WORD_OPS[token.text.toLowerCase()];
      return op === 'and' || op === 'or' || op === 'not' ? op : undefined;
    }
    return undefined;
  }

  parse(): FilterExpr {
    if (this.tokens.length === 0) this.fail('an empty filter');
    const expr = this.or();
    if (this.peek()) this.fail(`unexpected "${this.peek()!.text}"`);
    return expr;
  }

  private or(): FilterExpr {
    let left = this.and();
    while (this.logical(this.peek()) === 'or') {
      this.index++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): FilterExpr {
    let left = this.unary();
    while (this.logical(this.peek()) === 'and') {
      this.index++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterExpr {
    if (this.logical(this.peek()) === 'not') {
      this.index++;
      return { kind: 'not', operand: this.unary() };
    }
    const token = this.peek();
    if (token?.kind === 'punct' && token.text === '(') {
      this.index++;
      const inner = this.or();
      const close = this.peek();
      if (close?.kind !== 'punct' || close.text !== ')') this.fail('expected ")"');
      this.index++;
      return inner;
    }
    return this.comparison();
  }

  private comparison(): FilterExpr {
    const field = this.peek();
    if (field?.kind !== 'word' || !/^[A-Za-z][A-Za-z0-9_.\-]*$/.test(field.text)) this.fail('expected a field name');
    this.index++;
    const next = this.peek();
    const op = next?.kind === 'op' ? next.text : next?.kind === 'word' ? WORD_OPS[next.text.toLowerCase()] : undefined;
    if (op === '==' || op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=') {
      this.index++;
      return { kind: 'compare', field: field.text, op, value: this.value() };
    }
    if (op === 'in') {
      this.index++;
      const open = this.peek();
      if (open?.kind !== 'punct' || open.text !== '{') this.fail('expected "{" after in');
      this.index++;
      // Elements separated by commas, as Wireshark 4 requires ({80, 443}; {80 443} is refused there too).
      const values: string[] = [this.value()];
      while (this.peek()?.kind === 'punct' && this.peek()!.text === ',') {
        this.index++;
        values.push(this.value());
      }
      const close = this.peek();
      if (close && !(close.kind === 'punct' && close.text === '}')) this.fail('expected "," or "}" in the set');
      if (!this.peek()) this.fail('expected "}"');
      this.index++;
      return { kind: 'in', field: field.text, values };
    }
    return { kind: 'exists', field: field.text };
  }

  private value(): string {
    const token = this.peek();
    if (!token || (token.kind !== 'word' && token.kind !== 'string')) this.fail('expected a value');
    this.index++;
    return token.text;
  }
}

export function parseFilter(text: string): FilterExpr {
  return new Parser(tokenize(text), text).parse();
}
