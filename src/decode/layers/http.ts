// HTTP/1.x message heads (RFC 9112): the first line and the Host header of a request
// or response that starts at the beginning of a TCP payload. Bodies and requests
// split over several segments are not reassembled (tshark with
// -o tcp.desegment_tcp_streams:FALSE shows the same per-packet view).
//
//   GET /path HTTP/1.1\r\n          HTTP/1.1 200 OK\r\n
//   Host: example\r\n               Content-Type: …\r\n
//   …\r\n\r\n                       …\r\n\r\n
//
// The text is untrusted: it may hold escape sequences; output escapes it (util/escape-text.ts).
import { Kind, NextBy, type Dissection } from '../dissection.ts';
import type { HttpLayer } from '../types.ts';
import { base, baseJson, encoded, jsonHead, str, type LayerCodec } from './codec.ts';
import { latin1 } from './text.ts';

const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'];
const METHOD_BYTES = METHODS.map((m) => Array.from(m + ' ', (c) => c.charCodeAt(0)));
const RESPONSE_BYTES = Array.from('HTTP/1.', (c) => c.charCodeAt(0));
/** Heads longer than this are shown cut (tshark has no such limit, but one line is enough here). */
const MAX_HEAD = 8192;

function startsWith(data: Uint8Array, at: number, end: number, prefix: number[]): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[at + i] !== prefix[i]) return false;
  return true;
}

/** The first letters of a method or of "HTTP/1.": any other first byte is not HTTP, said with one load. */
const FIRST_LETTERS = new Uint8Array(256);
FIRST_LETTERS[0x48] = 1;
for (const method of METHOD_BYTES) FIRST_LETTERS[method[0] as number] = 1;

/** Cheap check for the TCP payload dispatch: does this payload start an HTTP/1.x message? */
export function looksLikeHttp(data: Uint8Array, at: number, end: number): boolean {
  const first = data[at] as number;
  if (FIRST_LETTERS[first] === 0) return false; // nearly every payload that is not HTTP
  if (first === 0x48 && startsWith(data, at, end, RESPONSE_BYTES)) return true; // 'H'
  for (const method of METHOD_BYTES) if (method[0] === first && startsWith(data, at, end, method)) return firstLineIsHttp(data, at, end);
  return false;
}

/** A request line must end in " HTTP/1.x" before its CR LF (keeps "GET" in other protocols out). */
function firstLineIsHttp(data: Uint8Array, at: number, end: number): boolean {
  const limit = Math.min(end, at + MAX_HEAD);
  for (let i = at; i < limit; i++) {
    if (data[i] === 0x0a) {
      const lineEnd = data[i - 1] === 0x0d ? i - 1 : i;
      return lineEnd - at >= 8 && startsWith(data, lineEnd - 8, lineEnd - 1, RESPONSE_BYTES); // "HTTP/1." before the minor version
    }
  }
  return false;
}

const NAME = encoded('HTTP ');
const HOST = encoded(' (Host: ');
const OPEN = encoded('{"type":"http"');
const FIRST_LINE = encoded(',"kind":"request","firstLine":');
const METHOD = encoded(',"method":');
const URI = encoded(',"uri":');
const EMPTY_STRING = encoded('""');
const VERSION = encoded(',"version":');
const HOST_JSON = encoded(',"host":');
const RESPONSE_START = Array.from('HTTP/', (c) => c.charCodeAt(0));

/** Where the line starting at `at` ends: before its LF, and before a CR right before it (split(/\r?\n/)). */
function lineEndOf(data: Uint8Array, at: number, end: number): number {
  let i = at;
  while (i < end && data[i] !== 0x0a) i++;
  return i < end && i > at && data[i - 1] === 0x0d ? i - 1 : i;
}

/** The start of the line after the one ending at `lineEnd` (past CR LF or LF), or `end`. */
function nextLine(data: Uint8Array, lineEnd: number, end: number): number {
  let i = lineEnd;
  if (i < end && data[i] === 0x0d && data[i + 1] === 0x0a) i++;
  return i < end ? i + 1 : end;
}

/** Where findHost found the Host header's value, trimmed: data[from, to). */
const host = { from: 0, to: 0 };

/** The Host header among the lines after the first of the head in [start, end), as describe() finds it. */
function findHost(data: Uint8Array, start: number, end: number): boolean {
  let at = nextLine(data, lineEndOf(data, start, end), end);
  while (at < end) {
    const lineEnd = lineEndOf(data, at, end);
    if (lineEnd === at) return false; // the empty line that ends the head
    let colon = at;
    while (colon < lineEnd && data[colon] !== 0x3a) colon++;
    if (colon > at && colon < lineEnd && isHostName(data, at, colon)) {
      let from = colon + 1;
      let to = lineEnd;
      while (from < to && isSpace(data[from] as number)) from++;
      while (to > from && isSpace(data[to - 1] as number)) to--;
      host.from = from;
      host.to = to;
      return true;
    }
    at = nextLine(data, lineEnd, end);
  }
  return false;
}

/** What String.prototype.trim() removes, among Latin-1 characters. */
function isSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d) || byte === 0xa0;
}

/** The header name in [from, to) is "Host", in any case, with spaces around it. */
function isHostName(data: Uint8Array, from: number, to: number): boolean {
  while (from < to && isSpace(data[from] as number)) from++;
  while (to > from && isSpace(data[to - 1] as number)) to--;
  return to - from === 4 && ((data[from] as number) | 0x20) === 0x68 && ((data[from + 1] as number) | 0x20) === 0x6f && ((data[from + 2] as number) | 0x20) === 0x73 && ((data[from + 3] as number) | 0x20) === 0x74;
}

export const http: LayerCodec<HttpLayer> = {
  kind: Kind.HTTP,
  type: 'http',
  isTunnel: false,
  summaryRole: 'info',
  summaryAt(d, index, out): void {
    // "HTTP GET /api HTTP/1.1 (Host: web)" read from the bytes: the first line, and the Host
    // header's value trimmed (the same lines describe() splits the head into).
    const data = d.data;
    const start = d.offsets[index] as number;
    const end = start + (d.lengths[index] as number);
    out.bytes(NAME);
    out.latin1Escaped(data, start, lineEndOf(data, start, end));
    if (!findHost(data, start, end)) return;
    out.bytes(HOST);
    out.latin1Escaped(data, host.from, host.to);
    out.byte(0x29); // )
  },
  jsonTo(d, index, out): void {
    // json(describe()) read from the bytes for a request; a response's status goes through Number() there.
    const data = d.data;
    const start = d.offsets[index] as number;
    const end = start + (d.lengths[index] as number);
    const lineEnd = lineEndOf(data, start, end);
    if (startsWith(data, start, lineEnd, RESPONSE_START)) return out.ascii(http.json(http.describe(d, index)));
    // firstLine.split(' '): the method before the first space, the version after the last, the URI between.
    let firstSpace = start;
    while (firstSpace < lineEnd && data[firstSpace] !== 0x20) firstSpace++;
    let lastSpace = lineEnd;
    while (lastSpace > start && data[lastSpace - 1] !== 0x20) lastSpace--;
    lastSpace--; // -1 past `start` when there is no space
    jsonHead(d, index, out, OPEN);
    out.bytes(FIRST_LINE);
    out.latin1Json(data, start, lineEnd);
    out.bytes(METHOD);
    out.latin1Json(data, start, firstSpace);
    out.bytes(URI);
    if (lastSpace > firstSpace) out.latin1Json(data, firstSpace + 1, lastSpace);
    else out.bytes(EMPTY_STRING);
    out.bytes(VERSION);
    out.latin1Json(data, lastSpace >= start ? lastSpace + 1 : start, lineEnd);
    if (findHost(data, start, end)) {
      out.bytes(HOST_JSON);
      out.latin1Json(data, host.from, host.to);
    }
    out.byte(0x7d); // }
  },
  scan(d: Dissection, offset: number, end: number): void {
    const limit = Math.min(end, offset + MAX_HEAD);
    let headEnd = limit;
    for (let i = offset; i + 3 < limit; i++) {
      if (d.data[i] === 0x0d && d.data[i + 1] === 0x0a && d.data[i + 2] === 0x0d && d.data[i + 3] === 0x0a) {
        headEnd = i + 4;
        break;
      }
    }
    d.push(Kind.HTTP, offset, headEnd - offset, end);
    d.next(NextBy.NONE, 0);
  },
  describe(d: Dissection, index: number): HttpLayer {
    const at = d.offsets[index] as number;
    const head = latin1(d.data, at, at + (d.lengths[index] as number));
    const lines = head.split(/\r?\n/);
    const firstLine = lines[0] ?? '';
    let host: string | undefined;
    for (const line of lines.slice(1)) {
      if (line === '') break;
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'host') {
        host = line.slice(colon + 1).trim();
        break;
      }
    }
    const parts = firstLine.split(' ');
    const layer: HttpLayer = firstLine.startsWith('HTTP/')
      ? {
          type: 'http',
          ...base(d, index),
          kind: 'response',
          firstLine,
          version: parts[0] ?? '',
          status: Number(parts[1]),
          reason: parts.slice(2).join(' '),
        }
      : {
          type: 'http',
          ...base(d, index),
          kind: 'request',
          firstLine,
          method: parts[0] ?? '',
          uri: parts.slice(1, -1).join(' '),
          version: parts[parts.length - 1] ?? '',
        };
    if (host !== undefined) layer.host = host;
    return layer;
  },
  json(l: HttpLayer): string {
    // Capture text: str() escapes quotes and control bytes (an ESC becomes \u001b).
    let out = `{"type":"http",${baseJson(l)},"kind":"${l.kind}","firstLine":${str(l.firstLine)}`;
    if (l.method !== undefined) out += `,"method":${str(l.method)}`;
    if (l.uri !== undefined) out += `,"uri":${str(l.uri)}`;
    out += `,"version":${str(l.version)}`;
    if (l.status !== undefined) out += `,"status":${Number.isFinite(l.status) ? l.status : null}`;
    if (l.reason !== undefined) out += `,"reason":${str(l.reason)}`;
    if (l.host !== undefined) out += `,"host":${str(l.host)}`;
    return out + '}';
  },
  detail(layer: HttpLayer) {
    const lines = [`${layer.firstLine}\\r\\n`];
    if (layer.host !== undefined) lines.push(`Host: ${layer.host}\\r\\n`);
    return { title: 'Hypertext Transfer Protocol', lines };
  },
};
