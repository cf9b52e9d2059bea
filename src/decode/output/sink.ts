// The output side of the allocation-free decoder: text is written as bytes straight
// into one large buffer, from the packet's own bytes (addresses, ports, flags) and
// from constants, never through a per-packet string. A million summary lines or JSON
// objects then cost no garbage at all; the buffer is handed to stdout when full
// (BatchedWriter) or turned into one string (StringSink, for the UI's rows).
//
// Everything written is ASCII except what `text()` and `latin1Escaped()` write (UTF-8).
//
// The hot writers (put*) store up to four bytes at a time through a DataView: a summary
// line is ~125 bytes, and storing them one by one was most of its cost (a byte store is
// about as dear as a word store). A word store may write up to three bytes past the text's
// end; they are junk the next write covers, so every reservation keeps SLACK spare bytes.

/** Bytes a put* writer may store past the end of what it writes. */
const SLACK = 4;

/**
 * Bytes b0 b1 b2 b3 as the word whose little-endian store writes them in that order: the
 * tables hold such words and every store says little-endian with a literal `true`. (A flag
 * read from the machine's byte order was no constant in the esbuild bundle, which turns
 * top-level const into var, and each store then tested it: the lines ran no faster than byte stores.)
 */
function wordOf(b0: number, b1 = 0, b2 = 0, b3 = 0): number {
  return (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
}

/** Decimal text of each byte value followed by '.', as one word, and its digit count: an IPv4 address is 4 word stores. */
const DOTTED = new Uint32Array(256);
const DOTTED_DIGITS = new Uint8Array(256);
/** "00" … "99" as two-byte words. */
const PAIRS = new Uint16Array(100);
/** Each byte as two hex digits and ':', as one word (a MAC address is 6 word stores). */
const HEX_COLON = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  const text = `${i}.`;
  DOTTED_DIGITS[i] = text.length - 1;
  DOTTED[i] = wordOf(text.charCodeAt(0), text.charCodeAt(1), text.charCodeAt(2) || 0, text.charCodeAt(3) || 0);
  const hex = i.toString(16).padStart(2, '0');
  HEX_COLON[i] = wordOf(hex.charCodeAt(0), hex.charCodeAt(1), 58);
}
for (let i = 0; i < 100; i++) PAIRS[i] = wordOf(48 + Math.floor(i / 10), 48 + (i % 10));
/** Decimal digits of a non-negative integer (the frame column, the microseconds). */
export function digitCount(value: number): number {
  if (value >= 1e9) {
    let digits = 10;
    for (let rest = Math.floor(value / 1e10); rest >= 1; rest = Math.floor(rest / 10)) digits++;
    return digits;
  }
  return value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : value < 10000 ? 4 : value < 100000 ? 5 : value < 1000000 ? 6 : value < 10000000 ? 7 : value < 100000000 ? 8 : 9;
}
const HEX_DIGITS = new Uint8Array(Array.from('0123456789abcdef', (c) => c.charCodeAt(0)));
/** The letter after '\\' for the C0 controls JSON.stringify writes short (\b \t \n \f \r), else 0 (\u00XX). */
const JSON_SHORT_ESCAPES = new Uint8Array(32);
JSON_SHORT_ESCAPES[0x08] = 98;
JSON_SHORT_ESCAPES[0x09] = 116;
JSON_SHORT_ESCAPES[0x0a] = 110;
JSON_SHORT_ESCAPES[0x0c] = 102;
JSON_SHORT_ESCAPES[0x0d] = 114;

/**
 * Every encoded() constant lives in this one slab, each from a word boundary, so putBytes
 * copies it a word at a time.
 */
const CONSTANT_WORDS = new Uint32Array(1 << 16);
let constantWordsUsed = 0;

/**
 * A constant of podpath's output (a word, a JSON key), encoded once at load time: where its
 * bytes start in the slab (in words) and how many there are. (The place is a field of its
 * own: a Uint8Array's byteOffset cost more to read than the copy it saved.)
 */
export class Encoded {
  constructor(
    readonly word: number,
    readonly length: number,
  ) {}
}

/** A constant as bytes, encoded once at load time (UTF-8, so '→' works). */
export function encoded(text: string): Encoded {
  const bytes = new TextEncoder().encode(text);
  const words = (bytes.length + 3) >> 2;
  // A programming error, met at load time by any test: the constants take ~40 KB of 256.
  if (constantWordsUsed + words > CONSTANT_WORDS.length) throw new Error('output/sink.ts: the constants slab is full; make CONSTANT_WORDS larger');
  for (let i = 0; i < bytes.length; i += 4) CONSTANT_WORDS[constantWordsUsed + i / 4] = wordOf(bytes[i] as number, bytes[i + 1] ?? 0, bytes[i + 2] ?? 0, bytes[i + 3] ?? 0);
  const constant = new Encoded(constantWordsUsed, bytes.length);
  constantWordsUsed += words;
  return constant;
}

// The put* writers: each writes at `at` in `v` (the DataView ByteSink.reserve returns) and
// returns the position after what it wrote. The caller reserved the room, so a line's hot
// writers keep the view and the position in locals instead of reading and checking the
// sink's fields for every piece.

export function putByte(v: DataView, at: number, value: number): number {
  v.setUint8(at, value);
  return at + 1;
}

/** A constant made by encoded(): a word at a time. */
export function putBytes(v: DataView, at: number, constant: Encoded): number {
  const n = constant.length;
  const first = constant.word;
  for (let i = 0; i < n; i += 4) v.setUint32(at + i, CONSTANT_WORDS[first + (i >> 2)] as number, true);
  return at + n;
}

/** A non-negative integer in decimal (up to 2^53): at most 16 bytes. */
export function putUint(v: DataView, at: number, value: number): number {
  if (value < 10) {
    v.setUint8(at, 48 + value);
    return at + 1;
  }
  if (value >= 0x80000000) return putBigUint(v, at, value);
  // Small integers: | 0 instead of Math.floor, two digits per store from a table.
  const digits = value < 100 ? 2 : value < 1000 ? 3 : value < 10000 ? 4 : value < 100000 ? 5 : value < 1000000 ? 6 : value < 10000000 ? 7 : value < 100000000 ? 8 : value < 1000000000 ? 9 : 10;
  const end = at + digits;
  let i = end;
  let rest = value;
  while (rest >= 100) {
    const next = (rest / 100) | 0;
    i -= 2;
    v.setUint16(i, PAIRS[rest - next * 100] as number, true);
    rest = next;
  }
  if (rest >= 10) v.setUint16(i - 2, PAIRS[rest] as number, true);
  else v.setUint8(i - 1, 48 + rest);
  return end;
}

function putBigUint(v: DataView, at: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  const end = at + digits;
  let i = end;
  let rest = value;
  while (rest >= 10) {
    const next = Math.floor(rest / 10);
    v.setUint8(--i, 48 + rest - next * 10);
    rest = next;
  }
  v.setUint8(--i, 48 + rest);
  return end;
}

/** `count` copies of one byte (none when count ≤ 0). */
export function putFill(v: DataView, at: number, count: number, value: number): number {
  for (let i = 0; i < count; i++) v.setUint8(at + i, value);
  return count > 0 ? at + count : at;
}

/** putUint right-aligned in `width` columns (String(n).padStart(width)). */
export function putUintPadded(v: DataView, at: number, value: number, width: number): number {
  return putUint(v, putFill(v, at, width - digitCount(value), 32), value);
}

/** putUint with leading zeros to `width` digits (the fraction of a second). */
export function putUintZeroPadded(v: DataView, at: number, value: number, width: number): number {
  return putUint(v, putFill(v, at, width - digitCount(value), 48), value);
}

/** Dotted IPv4 address from 4 bytes of `data`: at most 15 bytes. */
export function putIpv4(v: DataView, at: number, data: Uint8Array, from: number): number {
  let out = at;
  for (let i = 0; i < 4; i++) {
    const octet = data[from + i] as number;
    v.setUint32(out, DOTTED[octet] as number, true);
    out += (DOTTED_DIGITS[octet] as number) + 1;
  }
  return out - 1; // the last '.' is not part of it
}

/** aa:bb:cc:dd:ee:ff from 6 bytes of `data`: 17 bytes. */
export function putMac(v: DataView, at: number, data: Uint8Array, from: number): number {
  for (let i = 0; i < 6; i++) v.setUint32(at + i * 3, HEX_COLON[data[from + i] as number] as number, true);
  return at + 17; // the last ':' is not part of it
}

export abstract class ByteSink {
  protected buffer: Buffer;
  /** The same bytes as `buffer`, for the put* writers. */
  private view: DataView;
  /** Where the next byte goes in the view reserve() returns; put* writers move it on. */
  used = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
  }

  /** Writes go on in `buffer` from `used` (a fresh buffer from the stream's spares, or a grown copy). */
  protected use(buffer: Buffer, used: number): void {
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
    this.used = used;
  }

  /** Makes room for `need` more bytes: hand the filled part on (a stream), or grow. */
  protected abstract makeRoom(need: number): void;

  /** Bytes written and not yet handed on. */
  get pending(): number {
    return this.used;
  }

  room(need: number): void {
    if (this.used + need > this.buffer.length) this.makeRoom(need);
  }

  /**
   * Room for `need` bytes, and the view to put them in from `used` with the put* writers;
   * the caller sets `used` to the position they return. Valid until the next call on the sink.
   */
  reserve(need: number): DataView {
    if (this.used + need + SLACK > this.buffer.length) this.makeRoom(need + SLACK);
    return this.view;
  }

  byte(value: number): void {
    if (this.used + 1 > this.buffer.length) this.makeRoom(1);
    this.buffer[this.used++] = value;
  }

  /** A constant made by encoded(). */
  bytes(constant: Encoded): void {
    this.used = putBytes(this.reserve(constant.length), this.used, constant);
  }

  /** Text known to be ASCII (podpath's own words and numbers, escaped JSON). */
  ascii(text: string): void {
    const n = text.length;
    if (this.used + n > this.buffer.length) this.makeRoom(n);
    const buffer = this.buffer;
    let at = this.used;
    for (let i = 0; i < n; i++) buffer[at++] = text.charCodeAt(i);
    this.used = at;
  }

  /** Any text, as UTF-8. The caller has escaped what came from a capture. */
  text(text: string): void {
    this.room(text.length * 3);
    this.used += this.buffer.write(text, this.used, 'utf8');
  }

  /** A non-negative integer in decimal (up to 2^53). */
  uint(value: number): void {
    this.used = putUint(this.reserve(16), this.used, value);
  }

  /** Any integer (a pcapng custom block's link type is -1). */
  int(value: number): void {
    if (value < 0) {
      this.byte(0x2d);
      this.uint(-value);
    } else this.uint(value);
  }

  /** uint() right-aligned in `width` columns (String(n).padStart(width)). */
  uintPadded(value: number, width: number): void {
    this.used = putUintPadded(this.reserve(width + 16), this.used, value, width);
  }

  /** uint() with leading zeros to `width` digits (nanoseconds after the point). */
  uintZeroPadded(value: number, width: number): void {
    this.used = putUintZeroPadded(this.reserve(width + 16), this.used, value, width);
  }

  /** `value` as `width` lower-case hex digits, zero-padded (no 0x). */
  hex(value: number, width: number): void {
    this.room(width);
    const buffer = this.buffer;
    let rest = value;
    for (let i = this.used + width - 1; i >= this.used; i--) {
      buffer[i] = HEX_DIGITS[rest & 15] as number;
      rest = Math.floor(rest / 16);
    }
    this.used += width;
  }

  /** Dotted IPv4 address from 4 bytes of `data`. */
  ipv4(data: Uint8Array, at: number): void {
    this.used = putIpv4(this.reserve(15), this.used, data, at);
  }

  /** aa:bb:cc:dd:ee:ff from 6 bytes of `data`. */
  mac(data: Uint8Array, at: number): void {
    this.used = putMac(this.reserve(17), this.used, data, at);
  }

  /**
   * Capture bytes (each byte one Latin-1 character) as a JSON string literal, quotes
   * included, written as util/json-output.ts asciiJsonString writes it: JSON.stringify's
   * escapes (\", \\, \b \t \n \f \r, \u00XX for the rest of C0), and \u00XX from DEL on.
   */
  latin1Json(data: Uint8Array, start: number, end: number): void {
    this.room((end - start) * 6 + 2);
    const buffer = this.buffer;
    let out = this.used;
    buffer[out++] = 0x22;
    for (let i = start; i < end; i++) {
      const b = data[i] as number;
      if (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c) {
        buffer[out++] = b;
        continue;
      }
      buffer[out++] = 92; // '\'
      const short = b < 0x20 ? (JSON_SHORT_ESCAPES[b] as number) : b >= 0x7f ? 0 : b; // \" and \\ keep their letter
      if (short !== 0) buffer[out++] = short;
      else {
        buffer[out++] = 117; // u
        buffer[out++] = 48;
        buffer[out++] = 48;
        buffer[out++] = HEX_DIGITS[b >> 4] as number;
        buffer[out++] = HEX_DIGITS[b & 15] as number;
      }
    }
    buffer[out++] = 0x22;
    this.used = out;
  }

  /**
   * Capture bytes shown as text (each byte one Latin-1 character, as the layers read them),
   * with what would act on a terminal escaped as util/escape-text.ts escapes it: \e, \r, \n,
   * \t, \xNN for the rest of C0, DEL and C1. Latin-1 letters past 0x9f are written as UTF-8.
   */
  latin1Escaped(data: Uint8Array, start: number, end: number): void {
    this.room((end - start) * 4);
    const buffer = this.buffer;
    let out = this.used;
    for (let i = start; i < end; i++) {
      const b = data[i] as number;
      if (b >= 0x20 && b < 0x7f) buffer[out++] = b;
      else if (b >= 0xa0) {
        buffer[out++] = 0xc0 | (b >> 6);
        buffer[out++] = 0x80 | (b & 0x3f);
      } else {
        buffer[out++] = 92; // '\'
        if (b === 0x1b) buffer[out++] = 101; // e
        else if (b === 0x0a) buffer[out++] = 110; // n
        else if (b === 0x0d) buffer[out++] = 114; // r
        else if (b === 0x09) buffer[out++] = 116; // t
        else {
          buffer[out++] = 120; // x
          buffer[out++] = HEX_DIGITS[b >> 4] as number;
          buffer[out++] = HEX_DIGITS[b & 15] as number;
        }
      }
    }
    this.used = out;
  }
}

/** A sink that grows and gives its text back: one summary line for the UI. */
export class StringSink extends ByteSink {
  constructor() {
    super(256);
  }

  protected makeRoom(need: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + need));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.use(bigger, this.used);
  }

  /** The text written so far; empties the sink. */
  take(): string {
    const text = this.buffer.toString('utf8', 0, this.used);
    this.used = 0;
    return text;
  }
}
