// Jump loops between user chains. The kernel refuses a table whose jumps or gotos
// can come back to a chain already being walked: translate_table()'s
// mark_source_chains() fails with ELOOP and iptables-restore prints "Too many
// levels of links". So a dumped table with a loop was never loaded as written
// (a hand-edited or mangled dump); podpath names the loop with its rule lines and
// the tracer stops where a walk would enter it, instead of walking 200,000 rules.
import type { NfChain, NfRule, NfTable } from './model.ts';
import { chainsOf, dumpChainNumber, jumpChainsOf } from './parse/iptables/lazy-chains.ts';

export interface ChainLoop {
  /** The chains around the loop, the first repeated at the end: A → B → A. */
  chains: string[];
  /** The jump or goto rule leaving each chain of the loop, in order. */
  rules: NfRule[];
}

/**
 * Each loop of user-chain jumps in `table` (one per strongly connected group found), iteratively: no recursion on deep chains.
 * Follows the chains' jump targets as the dump's scan found them (jumpChainsOf), not their rules nor
 * their names (a 40k-chain dump's rules are built only where a trace walks, and looking 150,000
 * freshly cut target names up in a 40,000-key table was most of this walk); only the chains of a
 * loop found have their rules built, for the loop's rules.
 */
function findChainLoops(table: NfTable): ChainLoop[] {
  const loops: ChainLoop[] = [];
  // Marks by the dump's chain number where there is one (an array, not a 40,000-key map), else by chain.
  const numbered: (Mark | undefined)[] = [];
  const others = new Map<NfChain, Mark>();
  const markOf = (chain: NfChain): Mark | undefined => {
    const n = dumpChainNumber(chain);
    return n !== undefined ? numbered[n] : others.get(chain);
  };
  const mark = (chain: NfChain, value: Mark): void => {
    const n = dumpChainNumber(chain);
    if (n !== undefined) numbered[n] = value;
    else others.set(chain, value);
  };
  for (const start of chainsOf(table)) {
    if (markOf(start) !== undefined) continue;
    // The walk's path: a chain, the chains its rules jump to and the position of the next one to look at.
    const path: { chain: NfChain; jumps: readonly (NfChain | undefined)[]; next: number }[] = [{ chain: start, jumps: jumpChainsOf(table, start), next: 0 }];
    mark(start, ACTIVE);
    while (path.length > 0) {
      const top = path[path.length - 1]!;
      const jumps = top.jumps;
      while (top.next < jumps.length && (jumps[top.next] === undefined || jumps[top.next]!.builtin)) top.next++;
      if (top.next >= jumps.length) {
        mark(top.chain, DONE);
        path.pop();
        continue;
      }
      const target = jumps[top.next++]!;
      const seen = markOf(target);
      if (seen === ACTIVE) {
        const from = path.findIndex((p) => p.chain === target);
        const members = path.slice(from);
        loops.push({
          chains: [...members.map((m) => m.chain.name), target.name],
          rules: members.map((m) => m.chain.rules[m.next - 1]!),
        });
      } else if (seen === undefined) {
        mark(target, ACTIVE);
        path.push({ chain: target, jumps: jumpChainsOf(table, target), next: 0 });
      }
    }
  }
  return loops;
}

type Mark = 1 | 2;
const ACTIVE: Mark = 1;
const DONE: Mark = 2;

// Found once per table: the dump's reader finds the loops to warn, and the tracer's first walk
// into a user chain asks which loop that chain is in (40,000 chains of a kube-proxy dump: ~50 ms
// a search). A table is not changed once read.
interface TableLoops {
  list: readonly ChainLoop[];
  /** Each chain of a loop to the first loop found through it. */
  byChain: ReadonlyMap<string, ChainLoop>;
}
const loopsByTable = new WeakMap<NfTable, TableLoops>();

function loopsOf(table: NfTable): TableLoops {
  let loops = loopsByTable.get(table);
  if (!loops) {
    const list = findChainLoops(table);
    const byChain = new Map<string, ChainLoop>();
    for (const loop of list) for (const name of loop.chains) if (!byChain.has(name)) byChain.set(name, loop);
    loops = { list, byChain };
    loopsByTable.set(table, loops);
  }
  return loops;
}

/** The table's loops, in the order they were found. */
export function chainLoopsOf(table: NfTable): readonly ChainLoop[] {
  return loopsOf(table).list;
}

/** The jump loop that `chain` is part of in `table`, if any. */
export function chainLoopThrough(table: NfTable, chain: string): ChainLoop | undefined {
  return loopsOf(table).byChain.get(chain);
}

/** "chain loop A → B → A (file:12, file:20)": the warning text. */
export function describeChainLoop(table: string, loop: ChainLoop): string {
  const lines = loop.rules.map((r) => `${r.source.file}:${r.source.line}`).join(', ');
  return `chain loop in table ${table}: ${loop.chains.join(' → ')} (rules at ${lines}); the kernel refuses such a table (iptables-restore: "Too many levels of links"), so these rules were never loaded as dumped`;
}
