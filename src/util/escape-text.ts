// Text from dumps and captures is untrusted: a hostile HTTP header, interface
// alias or rule comment could carry terminal escape sequences (C0 ESC, C1 CSI
// U+009B) or bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE, the U+2066–
// U+2069 isolates) that reorder what the reader sees ("Trojan Source",
// CVE-2021-42574) and break column widths. Every text podpath prints — CLI
// output, error and warning lines, decode -V, the UI — passes through
// escapeText, so such characters are shown as visible escapes instead of acting.
// JSON output has its own writer (json-output.ts) built on the same set.

/**
 * The characters that act instead of printing: C0 (U+0000–U+001F), DEL, C1
 * (U+0080–U+009F), the Arabic letter mark U+061C, LRM/RLM U+200E/F, the line and
 * paragraph separators U+2028/9, the embeddings and overrides U+202A–U+202E and
 * the isolates U+2066–U+2069.
 */
const C0 = '\\u0000-\\u001f';
/** The same set past C0 (JSON.stringify escapes C0 itself), as a regular expression class body. */
export const UNPRINTABLE_PAST_C0 = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const UNPRINTABLE_SOURCE = C0 + UNPRINTABLE_PAST_C0;

const UNPRINTABLE = new RegExp(`[${UNPRINTABLE_SOURCE}]`, 'g');
const UNPRINTABLE_BUT_LINE_BREAKS = new RegExp(`(?![\\n\\t])[${UNPRINTABLE_SOURCE}]`, 'g');
const ANY_UNPRINTABLE = new RegExp(`[${UNPRINTABLE_SOURCE}]`);

export interface EscapeOptions {
  /** Keep \n and \t (multi-line text such as a statistics block); otherwise the text is one line. */
  keepLineBreaks?: boolean;
}

/** Makes untrusted text safe to print: every unprintable character becomes a visible escape (\e, \x9b, \u202e). */
export function escapeText(text: string, options: EscapeOptions = {}): string {
  // Most text is clean: test first so the common case allocates nothing.
  if (!ANY_UNPRINTABLE.test(text)) return text;
  return text.replace(options.keepLineBreaks ? UNPRINTABLE_BUT_LINE_BREAKS : UNPRINTABLE, escapeChar);
}

/** escapeText for one line (the common case), in a shape that fits `.map()`. */
export function escapeLine(text: string): string {
  return escapeText(text);
}

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  if (code === 0x1b) return '\\e';
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return `\\u${code.toString(16).padStart(4, '0')}`;
}
