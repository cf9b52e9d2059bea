// kube-proxy's KUBE-SERVICES holds one rule per service port (10,000 services:
// 10,000+ rules) and KUBE-NODEPORTS one per NodePort. Scanning them per packet
// is what iptables itself does (and why it is slow); the tracer instead indexes
// a long chain once by each rule's exact destination (-d x/32) or exact
// destination port (--dport n), and per packet reads only the rules that could
// match plus those with neither, merged back into chain order.
//
// The index is built from what the dump's reader kept of each rule (rule-facts.ts), so the
// first trace builds only the rules it reads, not the chain's 10,000. A rule is keyed only when
// it reads nothing but the header (RuleFacts.headerOnly): a rule left out of a packet's
// candidates must be one whose walk would fail on that key with no other effect, and a test
// ahead of the key that notes an assumption (-m set, an unmodelled module) or asks the chooser
// (-m statistic) would have had one.
import type { NfChain } from '../topology/model.ts';
import { factsOf, ruleCountOf } from '../topology/parse/iptables/lazy-chains.ts';
import type { RuleFacts } from '../topology/parse/iptables/rule-facts.ts';
import { parseIpv4 } from '../util/address.ts';
import type { Header } from './flow.ts';

const INDEX_THRESHOLD = 64;

interface ChainIndex {
  byDst: Map<number, number[]>;
  byDport: Map<number, number[]>;
  rest: number[];
}

const indexes = new WeakMap<NfChain, ChainIndex>();

/** The exact destination / destination port a header-only rule requires (undefined: none). */
function indexKeys(facts: RuleFacts): { dst?: number; dport?: number } {
  const keys: { dst?: number; dport?: number } = {};
  if (!facts.headerOnly) return keys;
  const value = facts.destination;
  if (value !== undefined && !facts.destinationNegated) {
    const slash = value.indexOf('/');
    if (slash < 0 || value.slice(slash + 1) === '32') {
      const address = parseIpv4(slash < 0 ? value : value.slice(0, slash));
      if (address !== undefined) keys.dst = address;
    }
  }
  if (facts.dport !== undefined && /^\d+$/.test(facts.dport)) keys.dport = Number(facts.dport);
  return keys;
}

function buildIndex(chain: NfChain): ChainIndex {
  const index: ChainIndex = { byDst: new Map(), byDport: new Map(), rest: [] };
  const add = (map: Map<number, number[]>, key: number, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  factsOf(chain).forEach((facts, i) => {
    const keys = indexKeys(facts);
    if (keys.dst !== undefined) add(index.byDst, keys.dst, i);
    else if (keys.dport !== undefined) add(index.byDport, keys.dport, i);
    else index.rest.push(i);
  });
  return index;
}

/** Positions (0-based, ascending) of the rules in `chain` that could match `header`. */
export function candidateRules(chain: NfChain, header: Header): readonly number[] | undefined {
  if (ruleCountOf(chain) < INDEX_THRESHOLD) return undefined; // short chains: read them all
  let index = indexes.get(chain);
  if (!index) {
    index = buildIndex(chain);
    indexes.set(chain, index);
  }
  const dst = parseIpv4(header.dst);
  const a = (dst !== undefined && index.byDst.get(dst)) || [];
  const b = (header.dport !== undefined && index.byDport.get(header.dport)) || [];
  return mergeSorted(mergeSorted(a, b), index.rest);
}

function mergeSorted(a: readonly number[], b: readonly number[]): readonly number[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}
