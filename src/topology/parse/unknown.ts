// Collects tokens a parser did not understand and reports them once per line,
// so a line of prose pasted into a dump gives one warning, not one per word.
import type { Warning } from '../model.ts';
import type { Token } from './tokens.ts';

export class UnknownTokens {
  private pending: Token[] = [];

  constructor(
    private readonly file: string,
    private readonly what: string,
    private readonly warnings: Warning[],
  ) {}

  add(token: Token): void {
    const last = this.pending[this.pending.length - 1];
    if (last && last.line !== token.line) this.flush();
    this.pending.push(token);
  }

  /**
   * The rest of the line `tokens[i]` is on becomes one warning; returns the index of
   * the line's last token, for the caller's loop to continue after it. For lines
   * that start no record: they are reported and never attached to the record above.
   */
  skipLine(tokens: readonly Token[], i: number): number {
    const line = tokens[i]?.line;
    let k = i;
    while (k < tokens.length && tokens[k]!.line === line) this.add(tokens[k++]!);
    return k - 1;
  }

  flush(): void {
    const first = this.pending[0];
    if (!first) return;
    const text = this.pending.map((t) => t.text).join(' ');
    const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
    this.warnings.push({ file: this.file, line: first.line, message: `not understood as ${this.what}, skipped`, text: shown });
    this.pending = [];
  }
}
