// For mutation code written as a sequence of random choices: fast-check draws the numbers
// (seeded by settings.ts, shrunk on failure), and randomFrom() hands them out in order.
import { fc } from '@fast-check/vitest';

/** 256 numbers in [0, 1) for one input's choices. */
export const draws: fc.Arbitrary<number[]> = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 256, maxLength: 256 });

/** A `() => number` over the drawn values (cycling when a mutation asks for more). */
export function randomFrom(values: readonly number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}
