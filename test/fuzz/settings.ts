// Run counts and seeds for the property tests. `npm test` runs a modest number per parser
// family; `npm run fuzz` sets PODPATH_FUZZ_RUNS=100000. The seed is fixed so a failure
// reproduces (fast-check prints the seed and path of the failing run; PODPATH_FUZZ_SEED and
// PODPATH_FUZZ_PATH replay it).
export const RUNS = Number(process.env['PODPATH_FUZZ_RUNS'] ?? 150);
export const SEED = Number(process.env['PODPATH_FUZZ_SEED'] ?? 20_261_201);
const path = process.env['PODPATH_FUZZ_PATH'];

export function options(family: string): { numRuns: number; seed: number; endOnFailure: true; path?: string } {
  // One seed per family, derived from the fixed seed, so families do not share inputs.
  let seed = SEED;
  for (const ch of family) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) | 0;
  return path !== undefined ? { numRuns: RUNS, seed, endOnFailure: true, path } : { numRuns: RUNS, seed, endOnFailure: true };
}

/** A whole family's time limit for vitest: generous, as `npm run fuzz` runs 100,000 inputs. */
export const FAMILY_TIMEOUT_MS = Math.max(60_000, RUNS * 20);
