// Turns a parsed display filter into a predicate over a packet's dissection (fields.ts reads
// each field from the layer offsets the decoder found; no Layer object). Every literal is
// read once, here, against the field's type (an address, a prefix, a MAC, a number), so a
// typo is one usage error before the capture is read. Multi-occurrence fields follow
// Wireshark (3.6+): `a == b` when any occurrence equals, `a != b` when the packet has the
// field and no occurrence equals (so a packet without the field matches neither).
import { isIPv4, isIPv6 } from 'node:net';
import { UsageError } from '../../errors.ts';
import { ipv6Bytes, parseIpv4 } from '../../util/address.ts';
import type { Dissection } from '../dissection.ts';
import type { CapturedPacket } from '../types.ts';
import { FIELDS, FIELD_NAMES, type FieldDef } from './fields.ts';
import { parseFilter, type CompareOp, type FilterExpr } from './parse.ts';

/** Tests one packet from its dissection (no Layer objects); `packet` gives the frame.* fields. */
export type PacketPredicate = (d: Dissection, packet: CapturedPacket) => boolean;

/** Tests one occurrence: a number, a 0/1 flag, or the offset of an address in d.data (fields.ts FieldRead). */
type Test = (d: Dissection, value: number) => boolean;
type TextTest = (value: string) => boolean;

function fieldOf(name: string): FieldDef {
  const field = FIELDS[name];
  if (!field) throw new UsageError(`-Y: "${name}" is not a field podpath knows; known fields: ${FIELD_NAMES.join(' ')}`);
  return field;
}

function parseNumber(name: string, text: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`-Y: ${name} wants a number, not "${text}"`);
  return n;
}

function parseBool(name: string, text: string): boolean {
  if (/^(1|true)$/i.test(text)) return true;
  if (/^(0|false)$/i.test(text)) return false;
  throw new UsageError(`-Y: ${name} is a flag: compare it with 1 or 0, not "${text}"`);
}

/** An address or prefix literal as its bytes and prefix length. */
function addressLiteral(name: string, text: string, family: 'ipv4' | 'ipv6'): { bytes: Uint8Array; bits: number } {
  const [address, prefix, extra] = text.split('/');
  const valid = family === 'ipv4' ? isIPv4(address ?? '') : isIPv6(address ?? '');
  const max = family === 'ipv4' ? 32 : 128;
  const bits = prefix === undefined ? max : Number(prefix);
  const bytes = valid ? (family === 'ipv4' ? ipv4Bytes(address!) : ipv6Bytes(address!)) : undefined;
  if (!bytes || extra !== undefined || (prefix !== undefined && (!/^\d+$/.test(prefix) || bits > max))) {
    throw new UsageError(`-Y: ${name} wants an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address or prefix (a.b.c.d[/n]), not "${text}"`);
  }
  return { bytes, bits };
}

function ipv4Bytes(text: string): Uint8Array | undefined {
  const value = parseIpv4(text);
  return value === undefined ? undefined : new Uint8Array([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);
}

/** The address at `at` in d.data lies in the prefix (its first `bits` bits equal the literal's). */
function prefixTest(literal: { bytes: Uint8Array; bits: number }): Test {
  const { bytes, bits } = literal;
  const whole = bits >> 3;
  const rest = bits & 7;
  const mask = (0xff00 >> rest) & 0xff;
  return (d, at) => {
    if (at < 0) return false;
    const data = d.data;
    for (let i = 0; i < whole; i++) if (data[at + i] !== bytes[i]) return false;
    return rest === 0 || (((data[at + whole] as number) ^ (bytes[whole] as number)) & mask) === 0;
  };
}

function equalityTest(name: string, field: FieldDef, text: string): Test {
  switch (field.type) {
    case 'number': {
      const n = parseNumber(name, text);
      return (_d, v) => v === n;
    }
    case 'bool': {
      const b = parseBool(name, text) ? 1 : 0;
      return (_d, v) => v === b;
    }
    case 'ipv4':
    case 'ipv6':
      return prefixTest(addressLiteral(name, text, field.type));
    case 'mac': {
      if (!/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(text)) throw new UsageError(`-Y: ${name} wants a MAC address (aa:bb:cc:dd:ee:ff), not "${text}"`);
      return prefixTest({ bytes: new Uint8Array(text.split(/[:-]/).map((h) => Number.parseInt(h, 16))), bits: 48 });
    }
    case 'string':
      throw new Error(`${name}: string fields are compared as text`);
    case 'protocol':
      throw new UsageError(`-Y: ${name} is a protocol: write it alone (e.g. -Y ${name}), not compared with a value`);
    default: {
      const unhandled: never = field.type;
      return unhandled;
    }
  }
}

function orderTest(name: string, field: FieldDef, op: '<' | '>' | '<=' | '>=', text: string): Test {
  if (field.type !== 'number') throw new UsageError(`-Y: ${name} cannot be compared with ${op}: only numeric fields can`);
  const n = parseNumber(name, text);
  switch (op) {
    case '<':
      return (_d, v) => v < n;
    case '>':
      return (_d, v) => v > n;
    case '<=':
      return (_d, v) => v <= n;
    case '>=':
      return (_d, v) => v >= n;
  }
}

/** What a scan of a packet's occurrences of a field found. */
const ABSENT = 0;
const PRESENT = 1;
const MATCHED = 2;
type Scan = (d: Dissection, packet: CapturedPacket) => number;

/** Walks every occurrence of `field` in the dissection (stopping at the first that passes). */
function scanner(field: FieldDef, test: Test, textTest: TextTest): Scan {
  const frame = field.frame;
  if (frame) return (_d, packet) => (test(_d, frame(packet)) ? MATCHED : PRESENT);
  const carries = new Uint8Array(256);
  for (const kind of field.kinds) carries[kind] = 1;
  const text = field.text;
  if (text) {
    return (d) => {
      let found = ABSENT;
      for (let i = 0; i < d.count; i++) {
        if (carries[d.kinds[i] as number] === 0) continue;
        const value = text(d, i);
        if (value === undefined) continue;
        if (textTest(value)) return MATCHED;
        found = PRESENT;
      }
      return found;
    };
  }
  const { per, read } = field;
  return (d) => {
    let found = ABSENT;
    for (let i = 0; i < d.count; i++) {
      if (carries[d.kinds[i] as number] === 0) continue;
      for (let which = 0; which < per; which++) {
        const value = read(d, i, which);
        if (value === undefined) continue;
        if (test(d, value)) return MATCHED;
        found = PRESENT;
      }
    }
    return found;
  };
}

const always: Test = () => true;
const alwaysText: TextTest = () => true;
const neverText: TextTest = () => false;

/** Equality with a literal: numbers, flags and addresses read from the bytes; strings as text. */
function equalityScan(name: string, field: FieldDef, texts: string[]): Scan {
  if (field.type === 'string') return scanner(field, always, (v) => texts.includes(v));
  const tests = texts.map((text) => equalityTest(name, field, text));
  const test: Test = tests.length === 1 ? (tests[0] as Test) : (d, v) => tests.some((t) => t(d, v));
  return scanner(field, test, neverText);
}

function compareTest(name: string, field: FieldDef, op: CompareOp, text: string): PacketPredicate {
  if (op === '==') {
    const scan = equalityScan(name, field, [text]);
    return (d, packet) => scan(d, packet) === MATCHED;
  }
  if (op === '!=') {
    // "all not equal": the packet must have the field (tshark shows no ARP for ip.addr != x).
    const scan = equalityScan(name, field, [text]);
    return (d, packet) => scan(d, packet) === PRESENT;
  }
  const scan = scanner(field, orderTest(name, field, op, text), neverText);
  return (d, packet) => scan(d, packet) === MATCHED;
}

function compile(expr: FilterExpr): PacketPredicate {
  switch (expr.kind) {
    case 'and': {
      const left = compile(expr.left);
      const right = compile(expr.right);
      return (d, packet) => left(d, packet) && right(d, packet);
    }
    case 'or': {
      const left = compile(expr.left);
      const right = compile(expr.right);
      return (d, packet) => left(d, packet) || right(d, packet);
    }
    case 'not': {
      const operand = compile(expr.operand);
      return (d, packet) => !operand(d, packet);
    }
    case 'exists': {
      const scan = scanner(fieldOf(expr.field), always, alwaysText);
      return (d, packet) => scan(d, packet) === MATCHED;
    }
    case 'compare':
      return compareTest(expr.field, fieldOf(expr.field), expr.op, expr.value);
    case 'in': {
      const scan = equalityScan(expr.field, fieldOf(expr.field), expr.values);
      return (d, packet) => scan(d, packet) === MATCHED;
    }
    default: {
      const unhandled: never = expr;
      return unhandled;
    }
  }
}

/** `-Y TEXT` as a predicate; a UsageError naming the problem when it does not parse. */
export function compileDisplayFilter(text: string): PacketPredicate {
  return compile(parseFilter(text));
}
