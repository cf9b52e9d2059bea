// Turns a parsed display filter into a predicate over a decoded packet. Every literal is
// read once, here, against the field's type (an address, a prefix, a MAC, a number), so a
// typo is one usage error before the capture is read. Multi-occurrence fields follow
// Wireshark (3.6+): `a == b` when any occurrence equals, `a != b` when the packet has the
// field and no occurrence equals (so a packet without the field matches neither).
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { UsageError } from '../../errors.ts';
import type { CapturedPacket, Layer } from '../types.ts';
import { FIELDS, FIELD_NAMES, type FieldDef } from './fields.ts';
import { parseFilter, type CompareOp, type FilterExpr } from './parse.ts';

export type PacketPredicate = (layers: readonly Layer[], packet: CapturedPacket) => boolean;

type Test = (value: number | string | boolean) => boolean;

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

const normalMac = (text: string): string => text.toLowerCase().replace(/-/g, ':');

/** An address or prefix literal as a BlockList (node:net's matcher for IPv4/IPv6 addresses and subnets). */
function addressMatcher(name: string, text: string, family: 'ipv4' | 'ipv6'): BlockList {
  const [address, prefix, extra] = text.split('/');
  const valid = family === 'ipv4' ? isIPv4(address ?? '') : isIPv6(address ?? '');
  const bits = prefix === undefined ? undefined : Number(prefix);
  const max = family === 'ipv4' ? 32 : 128;
  if (!valid || extra !== undefined || (bits !== undefined && (!/^\d+$/.test(prefix!) || bits > max))) {
    throw new UsageError(`-Y: ${name} wants an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address or prefix (a.b.c.d[/n]), not "${text}"`);
  }
  const list = new BlockList();
  if (bits === undefined) list.addAddress(address!, family);
  else list.addSubnet(address!, bits, family);
  return list;
}

function equalityTest(name: string, field: FieldDef, text: string): Test {
  switch (field.type) {
    case 'number': {
      const n = parseNumber(name, text);
      return (v) => v === n;
    }
    case 'bool': {
      const b = parseBool(name, text);
      return (v) => v === b;
    }
    case 'ipv4':
    case 'ipv6': {
      const family = field.type;
      const list = addressMatcher(name, text, family);
      return (v) => typeof v === 'string' && list.check(v, family);
    }
    case 'mac': {
      if (!/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i.test(text)) throw new UsageError(`-Y: ${name} wants a MAC address (aa:bb:cc:dd:ee:ff), not "${text}"`);
      const mac = normalMac(text);
      return (v) => typeof v === 'string' && v.toLowerCase() === mac;
    }
    case 'string':
      return (v) => v === text;
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
      return (v) => typeof v === 'number' && v < n;
    case '>':
      return (v) => typeof v === 'number' && v > n;
    case '<=':
      return (v) => typeof v === 'number' && v <= n;
    case '>=':
      return (v) => typeof v === 'number' && v >= n;
  }
}

function compareTest(name: string, field: FieldDef, op: CompareOp, text: string): PacketPredicate {
  if (op === '==' || op === '!=') {
    const test = equalityTest(name, field, text);
    if (op === '==') return (layers, packet) => field.values(layers, packet).some(test);
    // "all not equal": the packet must have the field (tshark shows no ARP for ip.addr != x).
    return (layers, packet) => {
      const values = field.values(layers, packet);
      return values.length > 0 && !values.some(test);
    };
  }
  const test = orderTest(name, field, op, text);
  return (layers, packet) => field.values(layers, packet).some(test);
}

function compile(expr: FilterExpr): PacketPredicate {
  switch (expr.kind) {
    case 'and': {
      const left = compile(expr.left);
      const right = compile(expr.right);
      return (layers, packet) => left(layers, packet) && right(layers, packet);
    }
    case 'or': {
      const left = compile(expr.left);
      const right = compile(expr.right);
      return (layers, packet) => left(layers, packet) || right(layers, packet);
    }
    case 'not': {
      const operand = compile(expr.operand);
      return (layers, packet) => !operand(layers, packet);
    }
    case 'exists': {
      const field = fieldOf(expr.field);
      return (layers, packet) => field.values(layers, packet).length > 0;
    }
    case 'compare':
      return compareTest(expr.field, fieldOf(expr.field), expr.op, expr.value);
    case 'in': {
      const field = fieldOf(expr.field);
      const tests = expr.values.map((v) => equalityTest(expr.field, field, v));
      return (layers, packet) => field.values(layers, packet).some((value) => tests.some((t) => t(value)));
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
