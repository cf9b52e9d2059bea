// The output side of the allocation-free decoder: text is written as bytes straight
// into one large buffer, from the packet's own bytes (addresses, ports, flags) and
// from constants, never through a per-packet string. A million summary lines or JSON
// objects then cost no garbage at all; the buffer is handed to stdout when full
// (BatchedWriter) or turned into one string (StringSink, for the UI's rows).
//
// Everything written is ASCII except what `text()` and `latin1Escaped()` write (UTF-8).

/** Decimal text of each byte value as [length, d0, d1, d2]: an IPv4 address is 4 table copies. */
const DEC3 = new Uint8Array(256 * 4);
for (let i = 0; i < 256; i++) {
  const s = String(i);
  DEC3[i * 4] = s.length;
  for (let j = 0; j < s.length; j++) DEC3[i * 4 + 1 + j] = s.charCodeAt(j);
}
/** "00" … "99" as byte pairs. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[i * 2] = 48 + Math.floor(i / 10);
  PAIRS[i * 2 + 1] = 48 + (i % 10);
}
/** Decimal digits of a non-negative integer (the frame column, the microseconds). */
function digitCount(value: number): number {
  if (value >= 1e9) {
    let digits = 10;
    for (let rest = Math.floor(value / 1e10); rest >= 1; rest = Math.floor(rest / 10)) digits++;
    return digits;
  }
  return value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : value < 10000 ? 4 : value < 100000 ? 5 : value < 1000000 ? 6 : value < 10000000 ? 7 : value < 100000000 ? 8 : 9;
}
const HEX_DIGITS = new Uint8Array(Array.from('0123456789abcdef', (c) => c.charCodeAt(0)));

/** A constant as bytes, encoded once at load time (UTF-8, so '→' works). */
export function encoded(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export abstract class ByteSink {
  protected buffer: Buffer;
  protected used = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
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

  byte(value: number): void {
    if (this.used + 1 > this.buffer.length) this.makeRoom(1);
    this.buffer[this.used++] = value;
  }

  /** A constant made by encoded(). A loop, not set(): the constants are short and set() costs more to call. */
  bytes(chunk: Uint8Array): void {
    const n = chunk.length;
    if (this.used + n > this.buffer.length) this.makeRoom(n);
    const buffer = this.buffer;
    let at = this.used;
    for (let i = 0; i < n; i++) buffer[at++] = chunk[i] as number;
    this.used = at;
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
    if (value < 10) {
      this.byte(48 + value);
      return;
    }
    if (value >= 0x80000000) return this.bigUint(value);
    // Small integers: | 0 instead of Math.floor, two digits per step from a table.
    const digits = value < 100 ? 2 : value < 1000 ? 3 : value < 10000 ? 4 : value < 100000 ? 5 : value < 1000000 ? 6 : value < 10000000 ? 7 : value < 100000000 ? 8 : value < 1000000000 ? 9 : 10;
    if (this.used + digits > this.buffer.length) this.makeRoom(digits);
    const buffer = this.buffer;
    let at = this.used + digits;
    this.used = at;
    let rest = value;
    while (rest >= 100) {
      const next = (rest / 100) | 0;
      const pair = (rest - next * 100) * 2;
      buffer[--at] = PAIRS[pair + 1] as number;
      buffer[--at] = PAIRS[pair] as number;
      rest = next;
    }
    if (rest >= 10) {
      buffer[--at] = PAIRS[rest * 2 + 1] as number;
      buffer[--at] = PAIRS[rest * 2] as number;
    } else buffer[--at] = 48 + rest;
  }

  private bigUint(value: number): void {
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.room(digits);
    const buffer = this.buffer;
    let at = this.used + digits;
    this.used = at;
    let rest = value;
    while (rest >= 10) {
      const next = Math.floor(rest / 10);
      buffer[--at] = 48 + rest - next * 10;
      rest = next;
    }
    buffer[--at] = 48 + rest;
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
    this.pad(width - digitCount(value), 32);
    this.uint(value);
  }

  /** uint() with leading zeros to `width` digits (nanoseconds after the point). */
  uintZeroPadded(value: number, width: number): void {
    this.pad(width - digitCount(value), 48);
    this.uint(value);
  }

  /** `count` copies of one byte (none when count ≤ 0): one room check for all of them. */
  private pad(count: number, value: number): void {
    if (count <= 0) return;
    if (this.used + count > this.buffer.length) this.makeRoom(count);
    const buffer = this.buffer;
    for (let i = 0; i < count; i++) buffer[this.used++] = value;
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
    this.room(15);
    const buffer = this.buffer;
    let out = this.used;
    for (let i = 0; i < 4; i++) {
      if (i > 0) buffer[out++] = 46; // '.'
      const t = (data[at + i] as number) * 4;
      const n = DEC3[t] as number;
      buffer[out++] = DEC3[t + 1] as number;
      if (n > 1) buffer[out++] = DEC3[t + 2] as number;
      if (n > 2) buffer[out++] = DEC3[t + 3] as number;
    }
    this.used = out;
  }

  /** aa:bb:cc:dd:ee:ff from 6 bytes of `data`. */
  mac(data: Uint8Array, at: number): void {
    this.room(17);
    const buffer = this.buffer;
    let out = this.used;
    for (let i = 0; i < 6; i++) {
      if (i > 0) buffer[out++] = 58; // ':'
      const b = data[at + i] as number;
      buffer[out++] = HEX_DIGITS[b >> 4] as number;
      buffer[out++] = HEX_DIGITS[b & 15] as number;
    }
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
    this.buffer = bigger;
  }

  /** The text written so far; empties the sink. */
  take(): string {
    const text = this.buffer.toString('utf8', 0, this.used);
    this.used = 0;
    return text;
  }
}
