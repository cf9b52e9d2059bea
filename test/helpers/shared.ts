// The inputs the tests read that were not written by podpath's lab: real captures and dumps
// from public repositories and the user's seed excerpt, copied byte for byte into
// test/corpus/ (origins, commits, blobs and licences in test/corpus/SOURCES.md). Tests never
// read outside the checkout, so a fresh clone runs them all.
import { join } from 'node:path';
import { repoRoot } from './run.ts';

export const corpusDir = join(repoRoot, 'test', 'corpus');
export const seedFile = join(corpusDir, 'seed', '000-networking-section.txt');
