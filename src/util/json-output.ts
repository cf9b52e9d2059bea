// The one JSON writer behind every command's --json. JSON.stringify escapes C0
// controls but leaves DEL, C1 (U+009B is CSI: an escape sequence on many
// terminals) and the bidirectional controls as they are; a user who runs
// `podpath topology --json` in a terminal, or a tool that prints a field, would
// get them raw. Those characters can only occur inside JSON strings, so writing
// them as \uXXXX keeps the document equal in meaning and terminal-safe.
import { UNPRINTABLE_PAST_C0 } from './escape-text.ts';

const UNESCAPED_BY_JSON = new RegExp(`[${UNPRINTABLE_PAST_C0}]`, 'g');

/** `value` as JSON text (indented by `indent`, one line when 0), with every unprintable character as \uXXXX. */
export function jsonText(value: unknown, indent = 2): string {
  const json = JSON.stringify(value, null, indent) ?? 'null';
  return json.replace(UNESCAPED_BY_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The version of every command's JSON (docs/json.md), the first field of each document and
 * of each decode line. Raised when a field changes meaning or goes away; new fields do not
 * raise it, so readers ignore fields they do not know.
 */
export const SCHEMA_VERSION = 1;

/** `value` with schemaVersion as its first field: what each command's --json prints. */
export function versioned<T extends object>(value: T): { schemaVersion: number } & T {
  return { schemaVersion: SCHEMA_VERSION, ...value };
}

/** jsonText with a final newline: what a command writes to stdout. */
export function jsonDocument(value: unknown, indent = 2): string {
  return `${jsonText(value, indent)}\n`;
}

const NON_ASCII = /[\u007f-\uffff]/g;

/**
 * A JSON string literal for capture text in decode's hand-written JSON lines (JSON.stringify
 * of whole objects was most of --json's time): quotes, backslashes and control bytes escaped
 * (an ESC becomes \u001b), and everything past ASCII as \uXXXX, so those lines are pure ASCII.
 */
export function asciiJsonString(text: string): string {
  const json = JSON.stringify(text);
  NON_ASCII.lastIndex = 0;
  return NON_ASCII.test(json) ? json.replace(NON_ASCII, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : json;
}
