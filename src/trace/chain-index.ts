// kube-proxy's KUBE-SERVICES holds one rule per service port (10,000 services:
// 10,000+ rules) and KUBE-NODEPORTS one per NodePort. Scanning them per packet
// is what iptables itself does (and why it is slow); the tracer instead indexes
// a long chain once by each rule's exact destination (-d x/32) or exact
// destination port (--dport n), and per packet reads only the rules that could
// match plus those with neither, merged back into chain order.
import type { NfChain } from '../topology/model.ts';
import { compileRule } from './match.ts';
import { parseIpv4 } from './ipv4.ts';
import type { Header } from './flow.ts';

const INDEX_THRESHOLD = 64;

interface ChainIndex {
  byDst: Map<number, number[]>;
  byDport: Map<number, number[]>;
  rest: number[];
}

const indexes = new WeakMap<NfChain, ChainIndex>();

function buildIndex(chain: NfChain): ChainIndex {
  const index: ChainIndex = { byDst: new Map(), byDport: new Map(), rest: [] };
  chain.rules.forEach((rule, i) => {
    const compiled = compileRule(rule);
    const add = (map: Map<number, number[]>, key: number) => {
      const list = map.get(key);
      if (list) list.push(i);
      else map.set(key, [i]);
    };
    if (compiled.exactDst !== undefined) add(index.byDst, compiled.exactDst);
    else if (compiled.exactDport !== undefined) add(index.byDport, compiled.exactDport);
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
