// The read-only inputs beside the repository (the user's seed excerpt and the
// corpus of real captures and dumps). CI clones the repo with shared/ beside it.
import { join } from 'node:path';
import { repoRoot } from './run.ts';

export const sharedDir = process.env['PODPATH_SHARED'] ?? join(repoRoot, '..', 'shared');
export const corpusDir = join(sharedDir, 'corpus');
export const seedFile = join(sharedDir, 'seed', '000-networking-section.txt');
