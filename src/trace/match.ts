// Does an iptables rule's match part fit the first packet of a connection?
// Each rule is compiled once (cached per rule object) into a list of small tests,
// so a trace over a large ruleset does not re-parse option text per packet.
// What the first packet looks like to the kernel: conntrack state NEW, a TCP SYN (or, when the
// explainer asks about a later packet, ESTABLISHED with ACK),
// not a fragment, not bridged (routed traffic), no IPsec policy, no recent entry.
// A match podpath does not model is assumed NOT to match, and the trace says so.
import type { NfRule, RuleOption } from '../topology/model.ts';
import type { Conntrack, Header } from './flow.ts';
import { parseIpv4, parsePrefix, prefixContains } from '../util/address.ts';
import type { IpsetMembers } from './ipsets.ts';
import { matchDumpedSet } from './ipset-match.ts';

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

export interface MatchEnv {
  header: Header;
  hook: Hook;
  inIface?: string;
  outIface?: string;
  mark: number;
  ct: Conntrack;
  /** 'LOCAL', 'UNICAST', 'BROADCAST', 'MULTICAST', 'BLACKHOLE', … as `-m addrtype` names them. */
  addressType(address: string, limitToIface?: string): string;
  /** br_netfilter's bridge ports: where the frame entered the bridge, where it leaves, whether it is bridged. */
  physdev?: { in?: string; out?: string; bridged: boolean };
  /** An ip set's members: from `ipset list` when dumped, else inferred (with how) or undefined. */
  ipset(name: string): IpsetMembers | undefined;
  /** Records an assumption the verdict depended on. */
  note(text: string): void;
}

type Test = (env: MatchEnv) => boolean;

export interface CompiledRule {
  tests: Test[];
  /** `-m statistic --mode random --probability p`: taken with this chance once the rest matched. */
  random?: number;
}

const compiled = new WeakMap<NfRule, CompiledRule>();

export function compileRule(rule: NfRule): CompiledRule {
  let result = compiled.get(rule);
  if (!result) {
    result = compileOptions(rule.options);
    compiled.set(rule, result);
  }
  return result;
}

/** Evaluates a rule's matches; `choose` decides a random statistic rule (see chooser.ts). */
export function ruleMatches(rule: NfRule, env: MatchEnv, choose: (p: number) => boolean): boolean {
  const c = compileRule(rule);
  for (const test of c.tests) if (!test(env)) return false;
  return c.random === undefined ? true : choose(c.random);
}

// Option names as iptables-save spells them, long forms first (the parser may keep either).
const NAMES: Record<string, string> = {
  source: 's', src: 's', destination: 'd', dst: 'd', 'in-interface': 'i', 'out-interface': 'o',
  protocol: 'p', fragment: 'f', 'destination-port': 'dport', 'source-port': 'sport',
  'destination-ports': 'dports', 'source-ports': 'sports',
};

function compileOptions(options: RuleOption[]): CompiledRule {
  const rule: CompiledRule = { tests: [] };
  const statistic = options.filter((o) => o.module === 'statistic');
  for (const option of options) {
    if (option.module === 'statistic') continue;
    const test = compileOption(option, rule, options);
    if (test) rule.tests.push(option.negated ? negate(test) : test);
  }
  if (statistic.length > 0) compileStatistic(statistic, rule);
  return rule;
}

function negate(test: Test): Test {
  return (env) => !test(env);
}

const value = (o: RuleOption): string => o.values.join(' ');

function compileOption(option: RuleOption, rule: CompiledRule, all: RuleOption[]): Test | undefined {
  const name = NAMES[option.option] ?? option.option;
  const v = value(option);
  switch (option.module) {
    case 'comment':
      return undefined;
    case 'mark':
      return markTest(v, (env) => env.mark);
    case 'connmark':
      return markTest(v, (env) => env.ct.mark);
    case 'conntrack':
    case 'state':
      return conntrackTest(name, v, option);
    case 'addrtype':
      return addrtypeTest(name, v, option, all);
    case 'set':
      return setTest(v);
    case 'multiport':
      return portListTest(name, v);
    case 'physdev':
      return physdevTest(name, v);
    case 'recent':
      return recentTest(name);
    case 'policy':
      // No IPsec here: `--pol none` holds, `--pol ipsec` does not.
      return name === 'pol' ? () => v === 'none' : undefined;
    case 'rpfilter':
      // Reverse path checks pass for the traffic podpath traces; --invert flips it.
      return name === 'invert' ? () => false : undefined;
    case 'pkttype':
      return () => v === 'unicast' || v === 'host';
    case 'limit':
    case 'hashlimit':
      return undefined; // the first packet is within any rate limit
    case 'iprange':
      return iprangeTest(name, v);
    case 'icmp':
      return (env) => env.header.proto === 'icmp';
    default:
      break;
  }
  // basic -s -d -i -o -p -f, and the tcp/udp/sctp modules' ports and flags.
  switch (name) {
    case 's':
      return addressTest(v, (env) => env.header.src);
    case 'd':
      return addressTest(v, (env) => env.header.dst);
    case 'i':
      return interfaceTest(v, (env) => env.inIface);
    case 'o':
      return interfaceTest(v, (env) => env.outIface);
    case 'p':
      return protocolTest(v);
    case 'f':
      return () => false; // the first packet is never a later fragment
    case '4':
      return undefined; // -4: the tracer's packets are IPv4
    case '6':
      return () => false;
    case 'dport':
      return portTest(v, (env) => env.header.dport);
    case 'sport':
      return portTest(v, (env) => env.header.sport);
    case 'dports':
    case 'sports':
    case 'ports':
      return portListTest(name, v);
    case 'tcp-flags':
      return tcpFlagsTest(option.values);
    case 'syn':
      return (env) => env.header.proto === 'tcp' && env.ct.state !== 'ESTABLISHED';
    default:
      return unknownTest(option);
  }
}

function unknownTest(option: RuleOption): Test {
  const text = `-m ${option.module} ${option.negated ? '! ' : ''}--${option.option}${option.values.length ? ' ' + option.values.join(' ') : ''}`;
  return (env) => {
    env.note(`podpath does not model "${text}"; it assumed the rule does not match`);
    return option.negated; // negate() flips it back: the rule as a whole is assumed not to match
  };
}

function addressTest(text: string, pick: (env: MatchEnv) => string): Test {
  const prefixes = text.split(',').map((p) => parsePrefix(p));
  return (env) => {
    const address = parseIpv4(pick(env));
    return address !== undefined && prefixes.some((p) => p !== undefined && prefixContains(p, address));
  };
}

function interfaceTest(pattern: string, pick: (env: MatchEnv) => string | undefined): Test {
  // iptables: a trailing '+' matches any name with that prefix.
  const wildcard = pattern.endsWith('+');
  const stem = wildcard ? pattern.slice(0, -1) : pattern;
  return (env) => {
    const name = pick(env) ?? '';
    return wildcard ? name.startsWith(stem) : name === pattern;
  };
}

const PROTOCOL_NUMBERS: Record<string, string> = { '1': 'icmp', '4': 'ipip', '6': 'tcp', '17': 'udp', '132': 'sctp', ipencap: 'ipip' };

function protocolTest(text: string): Test {
  const wanted = PROTOCOL_NUMBERS[text.toLowerCase()] ?? text.toLowerCase();
  return (env) => wanted === 'all' || wanted === '0' || env.header.proto === wanted;
}

function parsePortRange(text: string): [number, number] | undefined {
  const [lo, hi] = text.split(':');
  const low = lo === '' || lo === undefined ? 0 : Number(lo);
  const high = hi === undefined ? low : hi === '' ? 65535 : Number(hi);
  return Number.isInteger(low) && Number.isInteger(high) ? [low, high] : undefined;
}

function portTest(text: string, pick: (env: MatchEnv) => number | undefined): Test {
  const range = parsePortRange(text);
  return (env) => {
    const port = pick(env);
    return range !== undefined && port !== undefined && port >= range[0] && port <= range[1];
  };
}

function portListTest(name: string, text: string): Test {
  const ranges = text.split(',').map(parsePortRange);
  const inList = (port: number | undefined) =>
    port !== undefined && ranges.some((r) => r !== undefined && port >= r[0] && port <= r[1]);
  if (name === 'sports' || name === 'source-ports') return (env) => inList(env.header.sport);
  if (name === 'ports') return (env) => inList(env.header.sport) || inList(env.header.dport);
  return (env) => inList(env.header.dport);
}

function tcpFlagsTest(values: string[]): Test {
  // --tcp-flags MASK COMP: of the flags in MASK, exactly those in COMP are set. The first packet is a
  // bare SYN; a packet of an established connection carries ACK.
  const [mask = '', comp = ''] = values.length >= 2 ? values : (values[0] ?? '').split(/\s+/);
  const set = (list: string) => new Set(list === 'ALL' ? ['SYN', 'ACK', 'FIN', 'RST', 'URG', 'PSH'] : list === 'NONE' ? [] : list.split(','));
  const maskSet = set(mask);
  const compSet = set(comp);
  const fits = (packetFlags: Set<string>) => [...maskSet].every((f) => packetFlags.has(f) === compSet.has(f)) && [...compSet].every((f) => maskSet.has(f));
  const first = fits(new Set(['SYN']));
  const later = fits(new Set(['ACK']));
  return (env) => env.header.proto === 'tcp' && (env.ct.state === 'ESTABLISHED' ? later : first);
}

function markTest(text: string, pick: (env: MatchEnv) => number): Test {
  const [v = '0', m] = text.split('/');
  const wanted = Number(v) >>> 0;
  const mask = m === undefined ? 0xffffffff : Number(m) >>> 0;
  return (env) => ((pick(env) & mask) >>> 0) === wanted;
}

function conntrackTest(name: string, text: string, option: RuleOption): Test | undefined {
  const states = text.split(',').map((s) => s.trim().toUpperCase());
  switch (name) {
    case 'ctstate':
    case 'state':
      return (env) =>
        states.some(
          (s) =>
            (s === 'NEW' && env.ct.state === 'NEW') ||
            (s === 'UNTRACKED' && env.ct.state === 'UNTRACKED') ||
            (s === 'ESTABLISHED' && env.ct.state === 'ESTABLISHED') ||
            (s === 'DNAT' && env.ct.dnat) ||
            (s === 'SNAT' && env.ct.snat),
        );
    case 'ctstatus':
      // Before the first packet is confirmed, none of CONFIRMED/ASSURED/SEEN_REPLY/EXPECTED is set;
      // an established connection has the first three.
      return (env) => env.ct.state === 'ESTABLISHED' && states.some((s) => s === 'CONFIRMED' || s === 'SEEN_REPLY' || s === 'ASSURED');
    case 'ctorigdst':
      return addressTest(text, (env) => env.ct.origDst);
    case 'ctorigdstport':
      return portTest(text, (env) => env.ct.origDport);
    case 'ctorigsrc':
      // NAT of the first packet never changes the original tuple's source.
      return addressTest(text, (env) => env.header.src);
    case 'ctdir':
      return () => text.toUpperCase() === 'ORIGINAL';
    default:
      return unknownTest(option);
  }
}

function addrtypeTest(name: string, text: string, option: RuleOption, all: RuleOption[]): Test | undefined {
  const types = text.split(',').map((t) => t.trim().toUpperCase());
  // --limit-iface-in/out: only addresses of the packet's incoming/outgoing interface count as LOCAL.
  const limitIn = all.some((o) => o.module === 'addrtype' && o.option === 'limit-iface-in');
  const limitOut = all.some((o) => o.module === 'addrtype' && o.option === 'limit-iface-out');
  const limit = (env: MatchEnv) => (limitIn ? env.inIface : limitOut ? env.outIface : undefined);
  switch (name) {
    case 'dst-type':
      return (env) => types.includes(env.addressType(env.header.dst, limit(env)));
    case 'src-type':
      return (env) => types.includes(env.addressType(env.header.src, limit(env)));
    case 'limit-iface-in':
    case 'limit-iface-out':
      return undefined;
    default:
      return unknownTest(option);
  }
}

function setTest(text: string): Test {
  const [setName = '', flagText = 'src'] = text.split(/\s+/);
  const flags = flagText.split(',');
  const direction = flags[0];
  return (env) => {
    const set = env.ipset(setName);
    if (!set) {
      env.note(`the members of ipset ${setName} are not in the dumps (\`ipset list\` would show them); assumed the address is not in it`);
      return false;
    }
    if (set.type !== undefined) {
      // A dumped set: every dimension compared as its type says.
      const verdict = matchDumpedSet(set, flags, env.header);
      if (verdict.unknown) env.note(`ipset ${setName}: ${verdict.unknown}; assumed the packet is not in it`);
      return verdict.matches;
    }
    if (set.inferred) env.note(`ipset ${setName} is not in the dumps; podpath assumed its members are ${set.inferred}`);
    const address = parseIpv4(direction === 'dst' ? env.header.dst : env.header.src);
    if (address === undefined) return false;
    return set.members.some((member) => {
      const prefix = parsePrefix(member.split(',')[0] ?? '');
      return prefix !== undefined && prefixContains(prefix, address);
    });
  };
}

// xt_physdev: only frames that crossed a bridge port carry physdev information (br_netfilter);
// a routed packet keeps its input port but is not "bridged".
function physdevTest(name: string, value: string): Test | undefined {
  const port = (pick: (env: MatchEnv) => string | undefined) => interfaceTest(value, (env) => pick(env) ?? '\u0000');
  switch (name) {
    case 'physdev-in':
      return port((env) => env.physdev?.in);
    case 'physdev-out':
      return port((env) => env.physdev?.out);
    case 'physdev-is-in':
      return (env) => env.physdev?.in !== undefined;
    case 'physdev-is-out':
      return (env) => env.physdev?.out !== undefined;
    case 'physdev-is-bridged':
      return (env) => env.physdev?.bridged === true;
    default:
      return undefined;
  }
}

function recentTest(name: string): Test | undefined {
  switch (name) {
    case 'set':
      return () => true; // --set records the source and always matches
    case 'rcheck':
    case 'update':
      return (env) => {
        env.note('session affinity (-m recent): a client\'s first connection has no recent entry, so the affinity rule does not match; later connections within the timeout go to the same endpoint');
        return false;
      };
    case 'remove':
      return () => false;
    default:
      return undefined; // --name, --seconds, --reap, --rsource, --mask qualify the above
  }
}

function iprangeTest(name: string, text: string): Test {
  const [from = '', to = ''] = text.split('-');
  const low = parseIpv4(from);
  const high = parseIpv4(to);
  const pick = name === 'dst-range' ? (env: MatchEnv) => env.header.dst : (env: MatchEnv) => env.header.src;
  return (env) => {
    const a = parseIpv4(pick(env));
    return a !== undefined && low !== undefined && high !== undefined && a >= low && a <= high;
  };
}

function compileStatistic(options: RuleOption[], rule: CompiledRule): void {
  const get = (name: string) => options.find((o) => o.option === name);
  const mode = get('mode')?.values[0];
  if (mode === 'random') {
    const probability = Number(get('probability')?.values[0] ?? '1');
    const negated = get('probability')?.negated ?? false;
    rule.random = negated ? 1 - probability : probability;
    return;
  }
  // --mode nth depends on a packet counter podpath cannot see.
  rule.tests.push((env) => {
    env.note('podpath does not know the packet counter of "-m statistic --mode nth"; it assumed the rule does not match');
    return false;
  });
}
