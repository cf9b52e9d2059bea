// What an nft expression reads from the first packet of a connection, and how
// its right side compares (nft's payload, meta, ct and fib expressions; the
// kernel's nft_cmp, nft_lookup and nft_range). Values are compared as nft types
// them: addresses by prefix or range, ports and marks as numbers, names
// (interfaces, protocols, ct states, fib address types) as words, `cali*` as a
// prefix wildcard. What podpath cannot know makes the match fail, with a note.
import type { NftElement, NftOperand, NftRight, NftSet, NftTable } from '../topology/model.ts';
import type { Conntrack, Header } from './flow.ts';
import { parseIpv4, parsePrefix, prefixContains } from '../util/address.ts';

export interface NftEnv {
  header: Header;
  inIface?: string;
  outIface?: string;
  mark: number;
  ct: Conntrack;
  addressType(address: string, limitToIface?: string): string;
  note(text: string): void;
}

/** A read value: a number (ports, marks), an IPv4 address (as a number, tagged), or a word. */
export type NftDatum = { kind: 'number'; value: number } | { kind: 'address'; value: number } | { kind: 'word'; value: string };

const PROTOCOL_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, ipip: 4, gre: 47, esp: 50, sctp: 132, icmpv6: 58 };

function word(value: string): NftDatum {
  return { kind: 'word', value };
}

/** The operand's value(s) for this packet; undefined when podpath cannot know it. */
export function readOperand(o: NftOperand, env: NftEnv): NftDatum[] | undefined {
  switch (o.kind) {
    case 'payload':
      return readPayload(o.protocol, o.field, env);
    case 'meta':
      return readMeta(o.key, env);
    case 'ct':
      return readCt(o.key, env);
    case 'fib': {
      if (o.result !== 'type') return undefined;
      const address = o.flags.includes('saddr') ? env.header.src : o.flags.includes('daddr') ? env.header.dst : undefined;
      if (address === undefined) return undefined;
      // `fib daddr . iif type`: the type as seen from the input interface (like addrtype --limit-iface-in).
      const limit = o.flags.includes('iif') ? env.inIface : o.flags.includes('oif') ? env.outIface : undefined;
      return [word(env.addressType(address, limit).toLowerCase())];
    }
    case 'concat': {
      const parts: NftDatum[] = [];
      for (const part of o.parts) {
        const value = readOperand(part, env);
        if (value?.length !== 1) return undefined;
        parts.push(value[0]!);
      }
      return parts;
    }
    case 'binop': {
      const left = readOperand(o.left, env);
      if (left?.length !== 1 || left[0]!.kind !== 'number') return undefined;
      const v = left[0]!.value;
      const result = o.op === '&' ? v & o.right : o.op === '|' ? v | o.right : v ^ o.right;
      return [{ kind: 'number', value: result >>> 0 }];
    }
    case 'value': {
      const datum = parseDatum(o.value);
      return datum ? [datum] : undefined;
    }
    case 'numgen':
      return undefined; // drawn by the walker (a vmap over numgen), never compared here
    default: {
      const never: never = o;
      return never;
    }
  }
}

function readPayload(protocol: string, field: string, env: NftEnv): NftDatum[] | undefined {
  const h = env.header;
  if (protocol === 'ip') {
    if (field === 'saddr' || field === 'daddr') {
      const value = parseIpv4(field === 'saddr' ? h.src : h.dst);
      return value === undefined ? undefined : [{ kind: 'address', value }];
    }
    if (field === 'protocol') return [word(h.proto === 'ipip' ? 'ipip' : h.proto)];
    return undefined;
  }
  if (protocol === 'ip6') return []; // an IPv4 packet has no ip6 header: the match fails
  if (protocol === 'th' || protocol === h.proto) {
    if (field === 'dport' && h.dport !== undefined) return [{ kind: 'number', value: h.dport }];
    if (field === 'sport' && h.sport !== undefined) return [{ kind: 'number', value: h.sport }];
    if (protocol === 'tcp' && field === 'flags') return [word(env.ct.state === 'ESTABLISHED' ? 'ack' : 'syn')];
    return undefined;
  }
  if (['tcp', 'udp', 'sctp', 'icmp', 'udplite', 'dccp'].includes(protocol)) return []; // another protocol's header: no match
  return undefined;
}

function readMeta(key: string, env: NftEnv): NftDatum[] | undefined {
  switch (key) {
    case 'mark':
      return [{ kind: 'number', value: env.mark >>> 0 }];
    case 'l4proto':
    case 'protocol':
      return [word(key === 'protocol' ? 'ip' : env.header.proto)];
    case 'nfproto':
      return [word('ipv4')];
    case 'iifname':
    case 'iif':
      return env.inIface === undefined ? [] : [word(env.inIface)];
    case 'oifname':
    case 'oif':
      return env.outIface === undefined ? [] : [word(env.outIface)];
    default:
      return undefined;
  }
}

function readCt(key: string, env: NftEnv): NftDatum[] | undefined {
  switch (key) {
    case 'state':
      return [word(env.ct.state.toLowerCase())];
    case 'direction':
      return [word('original')];
    case 'mark':
      return [{ kind: 'number', value: env.ct.mark >>> 0 }];
    case 'status': {
      const status = [env.ct.dnat ? 'dnat' : undefined, env.ct.snat ? 'snat' : undefined].filter((s): s is string => s !== undefined);
      return status.map(word);
    }
    case 'original ip daddr':
    case 'original daddr': {
      const value = parseIpv4(env.ct.origDst);
      return value === undefined ? undefined : [{ kind: 'address', value }];
    }
    default:
      return undefined;
  }
}

function parseDatum(text: string): NftDatum | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return { kind: 'number', value: Number.parseInt(text.slice(2), 16) };
  if (/^\d+$/.test(text)) return { kind: 'number', value: Number(text) };
  const address = parseIpv4(text);
  if (address !== undefined) return { kind: 'address', value: address };
  return word(text);
}

/** Does one read value equal (or fall in) one written value: `10.0.0.0/8`, `1-1024`, `"cali*"`, `tcp`, `6`? */
function fits(datum: NftDatum, written: string): boolean {
  if (datum.kind === 'address') {
    const dash = written.indexOf('-');
    if (dash > 0 && !written.includes('/')) {
      const low = parseIpv4(written.slice(0, dash));
      const high = parseIpv4(written.slice(dash + 1));
      return low !== undefined && high !== undefined && datum.value >= low && datum.value <= high;
    }
    const prefix = parsePrefix(written.includes('/') ? written : `${written}/32`);
    return prefix !== undefined && prefixContains(prefix, datum.value);
  }
  if (datum.kind === 'number') {
    const range = /^(\d+)-(\d+)$/.exec(written);
    if (range) return datum.value >= Number(range[1]) && datum.value <= Number(range[2]);
    const number = parseDatum(written);
    return number?.kind === 'number' && number.value === datum.value;
  }
  if (written.endsWith('*')) return datum.value.startsWith(written.slice(0, -1));
  if (Object.hasOwn(PROTOCOL_NUMBERS, datum.value) && /^\d+$/.test(written)) return PROTOCOL_NUMBERS[datum.value] === Number(written);
  return datum.value === written;
}

/** Does a tuple of read values match one element's key (one written value per field)? */
export function tupleFits(values: readonly NftDatum[], key: readonly string[]): boolean {
  return values.length === key.length && values.every((v, i) => fits(v, key[i]!));
}

/** The named set's elements (undefined when the table does not have it). */
export function setElements(table: NftTable, name: string): NftSet | undefined {
  return Object.hasOwn(table.sets, name) ? table.sets[name] : undefined;
}

/** Evaluates a match's comparison. `ct state new,established` and anonymous sets are memberships; `!=` negates. */
export function compare(values: readonly NftDatum[], op: '==' | '!=' | '<' | '>' | '<=' | '>=', right: NftRight, table: NftTable, env: NftEnv): boolean {
  let candidates: readonly (readonly string[])[];
  if (right.kind === 'set') {
    const set = setElements(table, right.name);
    if (!set) {
      env.note(`set @${right.name} is not in table ${table.family} ${table.name}'s dump; assumed the packet is not in it`);
      return op === '!=';
    }
    candidates = set.elements.map((e) => e.key);
  } else candidates = right.values;
  if (op === '<' || op === '>' || op === '<=' || op === '>=') {
    const [value] = values;
    const limit = candidates[0]?.[0] === undefined ? undefined : parseDatum(candidates[0][0]);
    if (value?.kind !== 'number' || limit?.kind !== 'number') return false;
    return op === '<' ? value.value < limit.value : op === '>' ? value.value > limit.value : op === '<=' ? value.value <= limit.value : value.value >= limit.value;
  }
  // A multi-valued read (`ct status dnat,snat`) matches a flag set when any flag is in it.
  const found = values.length > 1 && candidates.every((c) => c.length === 1)
    ? values.some((v) => candidates.some((c) => fits(v, c[0]!)))
    : candidates.some((c) => tupleFits(values, c));
  return op === '!=' ? !found : found;
}

/** A verdict map's element for this key, if any. */
export function lookupElement(values: readonly NftDatum[], elements: readonly NftElement[]): NftElement | undefined {
  return elements.find((e) => tupleFits(values, e.key));
}
