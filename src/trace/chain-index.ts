// kube-proxy's KUBE-SERVICES holds one rule per service port (10,000 services:
// 10,000+ rules) and KUBE-NODEPORTS one per NodePort. Scanning them per packet
// is what iptables itself does (and why it is slow); the tracer instead indexes
// a long chain once by each rule's exact destination (-d x/32) or exact
// destination port (--dport n), and per packet reads only the rules that could
// match plus those with neither, merged back into chain order.
import type { NfChain, NfRule } from '../topology/model.ts';
import { parseIpv4 } from '../util/address.ts';
import type { Header } from './flow.ts';

const INDEX_THRESHOLD = 64;

interface ChainIndex {
  byDst: Map<number, number[]>;
  byDport: Map<number, number[]>;
  rest: number[];
}

const indexes = new WeakMap<NfChain, ChainIndex>();

/** The exact destination / destination port a rule requires, read straight from its options (no compiling). */
function indexKeys(rule: NfRule): { dst?: number; dport?: number } {
  const keys: { dst?: number; dport?: number } = {};
  for (const option of rule.options) {
    if (option.negated || option.values.length !== 1) continue;
    const value = option.values[0]!;
    if (option.module === 'basic' && (option.option === 'd' || option.option === 'destination')) {
      const slash = value.indexOf('/');
      if (slash < 0 || value.slice(slash + 1) === '32') {
        const address = parseIpv4(slash < 0 ? value : value.slice(0, slash));
        if (address !== undefined) keys.dst = address;
      }
    } else if ((option.option === 'dport' || option.option === 'destination-port') && /^\d+$/.test(value)) {
      keys.dport = Number(value);
    }
  }
  return keys;
}

function buildIndex(chain: NfChain): ChainIndex {
  const index: ChainIndex = { byDst: new Map(), byDport: new Map(), rest: [] };
  chain.rules.forEach((rule, i) => {
    const compiled = indexKeys(rule);
    const add = (map: Map<number, number[]>, key: number) => {
      const list = map.get(key);
      if (list) list.push(i);
      else map.set(key, [i]);
    };
    if (compiled.dst !== undefined) add(index.byDst, compiled.dst);
    else if (compiled.dport !== undefined) add(index.byDport, compiled.dport);
    else index.rest.push(i);
  });
  return index;
}

/** Positions (0-based, ascending) of the rules in `chain` that could match `header`. */
export function candidateRules(chain: NfChain, header: Header): readonly number[] | undefined {
  if (chain.rules.length < INDEX_THRESHOLD) return undefined; // short chains: read them all
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
