// kube-proxy spreads connections with `-m statistic --mode random`: a rule taken
// with probability p when reached. The tracer follows every branch: each run of
// the hop loop asks the chooser at every random rule, and the enumerator replays
// the same decisions with one more alternative until every combination is seen.
// A path's probability is the product of its decisions (p taken, 1-p skipped), so
// kube-proxy's chained 1/(n-i) gives every endpoint 1/n.

export interface Decision {
  probability: number;
  taken: boolean;
}

export class Chooser {
  readonly decisions: Decision[] = [];
  constructor(private readonly forced: readonly boolean[] = []) {}

  /** Decides whether a rule with this probability is taken on the current run. */
  choose(probability: number): boolean {
    const i = this.decisions.length;
    const forced = this.forced[i];
    const taken = forced ?? probability > 0;
    this.decisions.push({ probability, taken });
    return taken;
  }

  probability(): number {
    return this.decisions.reduce((p, d) => p * (d.taken ? d.probability : 1 - d.probability), 1);
  }
}

/**
 * Runs `walk` once per combination of random decisions and returns every result.
 * `limit` bounds the number of paths (a pathological ruleset could nest branches).
 */
export function enumerateBranches<T>(walk: (chooser: Chooser) => T, limit = 5000): { results: { result: T; probability: number }[]; truncated: boolean } {
  const pending: boolean[][] = [[]];
  const results: { result: T; probability: number }[] = [];
  while (pending.length > 0) {
    if (results.length >= limit) return { results, truncated: true };
    const forced = pending.shift()!;
    const chooser = new Chooser(forced);
    const result = walk(chooser);
    results.push({ result, probability: chooser.probability() });
    // Every decision this run made by default (beyond the forced prefix) has an untried alternative.
    for (let i = forced.length; i < chooser.decisions.length; i++) {
      const decision = chooser.decisions[i]!;
      if (decision.probability <= 0 || decision.probability >= 1) continue;
      pending.push([...chooser.decisions.slice(0, i).map((d) => d.taken), !decision.taken]);
    }
  }
  return { results, truncated: false };
}
