// `target.push(...items)` passes every item as an argument: past about 120,000 items
// V8 throws "Maximum call stack size exceeded" (a 130,000-packet capture did, and a
// dump with 130,000 unparsable lines). Appending in a loop has no such limit.
// test/util/no-spread.test.ts keeps spread pushes out of src/.

/** Appends `items` to `target` in place and returns `target`. */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** Math.max(floor, ...values) without the argument limit: the largest value, and at least `floor`. */
export function maxOf(values: Iterable<number>, floor = -Infinity): number {
  let best = floor;
  for (const value of values) if (value > best) best = value;
  return best;
}
