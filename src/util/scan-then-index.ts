// A question asked of a big list that is not changed once built (a topology's 10,000 services):
// answered by scanning the list for its first few asks, then by an index built once. A trace
// asks about three (one a path); a scan of 10,000 services costs about a millisecond the first
// time and a few tenths after, where building a map of them cost 5-8 ms of the first trace. A
// third trace, or the explainer tracing every connection of its captures, gets the index.

/** Asks about one list answered by scanning it before its index is built: two traces' worth. */
export const SCANS_BEFORE_INDEX = 8;

export class ScanThenIndex<L extends object, I> {
  private readonly asked = new WeakMap<L, number>();
  private readonly indexes = new WeakMap<L, I>();

  constructor(private readonly build: (list: L) => I) {}

  /** `list`'s index, built on the ask after the first SCANS_BEFORE_INDEX; undefined: scan the list this time. */
  indexOf(list: L): I | undefined {
    const index = this.indexes.get(list);
    if (index !== undefined) return index;
    const asked = (this.asked.get(list) ?? 0) + 1;
    if (asked <= SCANS_BEFORE_INDEX) {
      this.asked.set(list, asked);
      return undefined;
    }
    const built = this.build(list);
    this.indexes.set(list, built);
    this.asked.delete(list);
    return built;
  }
}
