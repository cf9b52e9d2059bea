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

/** The text of one source line, for warnings. */
export function lineText(text: string, line: number, firstLine = 1): string {
  const value = text.split('\n')[line - firstLine] ?? '';
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
