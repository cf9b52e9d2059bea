// The chain index (trace/chain-index.ts) lets a walk through a long chain read only the rules
// keyed by the packet's destination or port, plus the unkeyed ones. That is only the same walk
// as iptables' rule-by-rule one if every rule it leaves out would have done nothing at all when
// evaluated: not matched, noted no assumption, asked the chooser nothing. This property test
// writes random chains in iptables-save's syntax (kube-proxy's shapes and the ones an index could
// get wrong: negations, prefixes, port ranges, a --dport under a module that ignores it, sets,
// statistic, unmodelled modules), reads them with the real parser, and compares the effects of
// the rules the index offers with those of every rule in chain order, for random headers.
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { NfChain } from '../../src/topology/model.ts';
import { parseIptablesSave } from '../../src/topology/parse/iptables-save.ts';
import { ruleAt, ruleCountOf } from '../../src/topology/parse/iptables/lazy-chains.ts';
import { candidateRules, candidatesOf } from '../../src/trace/chain-index.ts';
import type { Header } from '../../src/trace/flow.ts';
import { ruleMatches, type MatchEnv } from '../../src/trace/match.ts';
import { options } from '../fuzz/settings.ts';

const ADDRESSES = ['10.96.0.1', '10.96.0.2', '10.96.0.3', '192.168.1.7'];
const PORTS = [53, 80, 443, 30080];

const address = fc.constantFrom(...ADDRESSES);
const port = fc.constantFrom(...PORTS);

/** One match option (or two) as iptables-save writes it. */
const fragment = fc.oneof(
  address.map((a) => `-d ${a}/32`),
  address.map((a) => `-d ${a}`),
  address.map((a) => `! -d ${a}/32`),
  fc.constant('-d 10.96.0.0/24'),
  // What the index reads from the dump's text itself (rule-lines.ts hostAddressAt, digitsAt): quoted
  // values, a /32 written as a mask or with a longer suffix, a port with a leading zero.
  address.map((a) => `-d "${a}/32"`),
  address.map((a) => `-d ${a}/255.255.255.255`),
  address.map((a) => `-d ${a}/320`),
  port.map((p) => `-m tcp --dport "${p}"`),
  fc.constantFrom('-m tcp --dport 080', '-m tcp --dport 0443'),
  fc.tuple(address, address).map(([a, b]) => `-d ${a},${b}`),
  address.map((a) => `-s ${a}/32`),
  fc.constantFrom('-p tcp', '-p udp', '! -p udp', '-p icmp', '-i eth0', '! -o cni0'),
  port.map((p) => `-m tcp --dport ${p}`),
  port.map((p) => `-m tcp ! --dport ${p}`),
  port.map((p) => `-m udp --dport ${p}`),
  port.map((p) => `-p tcp --dport ${p}`),
  port.map((p) => `-m tcp --sport ${p}`),
  fc.tuple(port, port).map(([p, q]) => `-m tcp --dport ${Math.min(p, q)}:${Math.max(p, q)}`),
  port.map((p) => `-m tcp --destination-port ${p}`),
  port.map((p) => `-m comment --comment "ns/svc:${p}"`),
  port.map((p) => `-m comment --comment x --dport ${p}`),
  fc.tuple(port, port).map(([p, q]) => `-m multiport --dports ${p},${q}`),
  fc.tuple(port, port).map(([p, q]) => `-m tcp --dport ${p} --dport ${q}`),
  fc.constantFrom(
    '-m set --match-set KUBE-CLUSTER-IP dst,dst',
    '-m mark --mark 0x4000/0x4000',
    '-m statistic --mode random --probability 0.50000000000',
    '-m statistic --mode nth --every 2 --packet 0',
    '-m addrtype --dst-type LOCAL',
    '-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-X --mask 255.255.255.255 --rsource',
    '-m conntrack --ctstate NEW',
    '-m unheardof --option 1',
  ),
);

const rule = fc.array(fragment, { maxLength: 4 }).map((parts) => [...parts, '-j RETURN'].join(' '));

const header: fc.Arbitrary<Header> = fc.oneof(
  fc.record({ src: address, dst: fc.constantFrom(...ADDRESSES, '10.0.0.9'), sport: fc.constant(40000), dport: fc.constantFrom(...PORTS, 8080), proto: fc.constantFrom('tcp' as const, 'udp' as const) }),
  fc.record({ src: address, dst: fc.constantFrom(...ADDRESSES, '10.0.0.9'), proto: fc.constant('icmp' as const) }),
);

/** What evaluating one rule did: matched or not, the assumptions it noted, the chances it asked about. */
function effect(chain: NfChain, position: number, h: Header): { position: number; matched: boolean; notes: string[]; chances: number[] } {
  const notes: string[] = [];
  const chances: number[] = [];
  const env: MatchEnv = {
    header: h,
    hook: 'PREROUTING',
    mark: 0,
    ct: { state: 'NEW', dnat: false, snat: false, origDst: h.dst, mark: 0 },
    addressType: (a) => (a === '192.168.1.7' ? 'LOCAL' : 'UNICAST'),
    ipset: () => undefined,
    note: (text) => notes.push(text),
  };
  const matched = ruleMatches(ruleAt(chain, position)!, env, (p) => {
    chances.push(p);
    return true;
  });
  return { position, matched, notes, chances };
}

const didSomething = (e: ReturnType<typeof effect>) => e.matched || e.notes.length > 0 || e.chances.length > 0;

function chainOf(name: string, rules: string[]): NfChain {
  const text = ['*nat', `:${name} - [0:0]`, ...rules.map((r) => `-A ${name} ${r}`), 'COMMIT', ''].join('\n');
  return parseIptablesSave(text, 'generated')!.tables['nat']!.chains[name]!;
}

describe('the chain index leaves out only rules that would do nothing', () => {
  // KUBE-SERVICES: indexed from the facts the reader kept; CUSTOM-LONG: from its built rules.
  for (const name of ['KUBE-SERVICES', 'CUSTOM-LONG']) {
    prop.prop([fc.array(rule, { minLength: 64, maxLength: 110 }), fc.array(header, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(40), { maxLength: 3 })], options(`chain index ${name}`))(
      `${name}: the indexed walk's effects are the linear walk's`,
      (rules, headers, stops) => {
        const chain = chainOf(name, rules);
        const count = ruleCountOf(chain);
        expect(count).toBe(rules.length); // every generated rule reads
        // Walks that stopped early (a verdict) first: the index learns keys only as far as a walk
        // read, and what it learnt must serve every later walk.
        for (const [w, stop] of stops.entries()) {
          const next = candidatesOf(chain, headers[w % headers.length]!)!;
          for (let i = next(0), steps = 0; i < count && steps < stop; i = next(i + 1), steps++);
        }
        for (const h of headers) {
          const candidates = candidateRules(chain, h);
          expect(candidates).toBeDefined();
          for (let i = 1; i < candidates!.length; i++) expect(candidates![i]!).toBeGreaterThan(candidates![i - 1]!);
          const linear = Array.from({ length: count }, (_, i) => effect(chain, i, h)).filter(didSomething);
          const indexed = candidates!.map((i) => effect(chain, i, h)).filter(didSomething);
          expect(indexed).toEqual(linear);
        }
      },
    );
  }
});
