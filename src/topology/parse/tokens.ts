// Shared plumbing for the dump parsers. Users paste dumps into chat windows and
// documents that flatten them onto one line, so the parsers work on a stream of
// whitespace-separated tokens that remember their line, and decide where one
// record ends by the grammar of the command, not by newlines alone.
import { isIPv6 as netIsIPv6 } from 'node:net';
import type { Warning } from '../model.ts';

export interface Token {
  text: string;
  /** 1-based line in the file the dump came from. */
  line: number;
  /** True when this token is the first one on its line. */
  lineStart: boolean;
  /** True when its line begins with whitespace (continuation lines). */
  indented: boolean;
}

export interface ParseResult<T> {
  records: T[];
  warnings: Warning[];
}

/** Where a dump's text sits in its file (a transcript section starts mid-file). */
export interface DumpSource {
  file: string;
  /** Line number of the text's first line in `file`. */
  firstLine?: number;
}

export function tokenize(text: string, firstLine = 1): Token[] {
  const tokens: Token[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const indented = /^[ \t]/.test(line);
    const parts = line.split(/[ \t\r\f\v]+/).filter((p) => p.length > 0);
    parts.forEach((part, j) => tokens.push({ text: part, line: firstLine + i, lineStart: j === 0, indented }));
  }
  return tokens;
}

/**
 * The text of the token `k` places after `tokens[i]` when it is on the same line.
 * A key's value is never on the next line: taking it from there let a key at the
 * end of one line eat the first word of the next record.
 */
export function onLine(tokens: readonly Token[], i: number, k = 1): string | undefined {
  const here = tokens[i];
  const there = tokens[i + k];
  // (A token marked lineStart on its line's middle starts a logical line: `ip -o`'s `\` parts.)
  return here !== undefined && there !== undefined && there.line === here.line && !there.lineStart ? there.text : undefined;
}

/** The text of one source line, for warnings. */
let splitCache: { text: string; lines: string[] } | undefined;

export function lineText(text: string, line: number, firstLine = 1): string {
  // Parsers ask for many lines of one text: split it once (a dump of 100k bad lines stays linear).
  if (splitCache?.text !== text) splitCache = { text, lines: text.split('\n') };
  const value = splitCache.lines[line - firstLine] ?? '';
  return value.length > 200 ? `${value.slice(0, 200)}…` : value;
}

export function warning(file: string, line: number, message: string, text?: string): Warning {
  return text === undefined ? { file, line, message } : { file, line, message, text };
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

/**
 * Node's own parser (RFC 4291 text forms): exactly 8 groups, or fewer with one `::`. A MAC
 * (`33:33:00:00:00:01`, six groups without `::`) is not an IPv6 address. Zone indexes
 * (`fe80::1%eth0`) are not part of the dumps' address columns.
 */
export function isIPv6(text: string): boolean {
  return !text.includes('%') && netIsIPv6(text);
}

export function isIP(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

/** `10.0.0.0/24`, `fe80::/64` or a bare address. */
export function isPrefix(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return isIP(text);
  const length = Number(text.slice(slash + 1));
  const address = text.slice(0, slash);
  if (!/^\d{1,3}$/.test(text.slice(slash + 1))) return false;
  return (isIPv4(address) && length <= 32) || (isIPv6(address) && length <= 128);
}

/** A bare address becomes a host prefix, so every route destination reads the same. */
export function toCidr(text: string): string {
  if (text.includes('/')) return text;
  return isIPv6(text) ? `${text}/128` : `${text}/32`;
}

export function familyOf(address: string): 4 | 6 {
  return address.includes(':') && !isIPv4(address.split('/')[0] ?? '') ? 6 : 4;
}

const MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;

export function isMac(text: string): boolean {
  return MAC.test(text);
}

export function toInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  return Number(text);
}

// Redacted or placeholder addresses people paste instead of real ones:
// `10.xx.xx.10`, `x.x.x.x`, `10.0.0.X`, `192.168.*.*`, `a.b.c.d`, `<node-ip>`,
// `***`, `2001:db8:xxxx::1`. None is an address; guessing one would send a
// trace somewhere the cluster never sent it.
const REDACTED_OCTET = /^(?:\d{1,3}|[xX*]{1,3}|[a-zA-Z]|n{1,3}|y{1,3}|z{1,3})$/;
const ANGLE = /^<[^<>\s]{1,40}>$/;
/** `<none>` and friends are kubectl's words for "no value", not placeholders; `<UP,…>` are link flags. */
const ANGLE_WORDS = /^<(?:none|nil|pending|unknown|invalid|unset)>$/i;

/** A token that stands where an address (or prefix) should, but was redacted or left as a placeholder. */
export function isPlaceholderAddress(text: string): boolean {
  if (/^\*{2,}$/.test(text)) return true;
  const bare = text.replace(/\/(?:\d{1,3}|[xX*]{1,3})$/, '');
  if (ANGLE.test(bare)) return !ANGLE_WORDS.test(bare) && !/^<[A-Z0-9_,-]*>$/.test(bare);
  const octets = bare.split('.');
  if (octets.length === 4 && octets.every((o) => REDACTED_OCTET.test(o)) && octets.some((o) => !/^\d+$/.test(o))) return true;
  // IPv6 with x-groups (`2001:db8:xxxx::1`, `fe80::xxxx:xxxx`).
  if (bare.includes(':') && /^[0-9a-fA-FxX*:]+$/.test(bare) && /[xX*]/.test(bare) && bare.split(':').length >= 3) return true;
  return false;
}

/** The warning for a record dropped because an address in it is a placeholder. */
export function placeholderWarning(file: string, line: number, value: string, what: string, text?: string): Warning {
  return warning(file, line, `${value} is a placeholder or redacted address, not an address: ${what} dropped, not guessed`, text);
}
