// The lab's recorded scenarios (samples/<name>/ with the lab's expected.json). The repository
// always holds them, so tests list them here instead of guarding on their presence: a missing
// folder is a loud failure, never a group that quietly has nothing to check.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './run.ts';

export const samplesDir = join(repoRoot, 'samples');

/** Every scenario folder under samples/, sorted; throws if there are none (or one lacks expected.json). */
export function labScenarios(): string[] {
  const names = readdirSync(samplesDir)
    .filter((name) => statSync(join(samplesDir, name)).isDirectory())
    .sort();
  const without = names.filter((name) => !readdirSync(join(samplesDir, name)).includes('expected.json'));
  if (names.length === 0 || without.length > 0) {
    throw new Error(`samples/: ${names.length === 0 ? 'no scenarios' : `no expected.json in ${without.join(', ')}`} (the lab records them: npm run lab)`);
  }
  return names;
}
