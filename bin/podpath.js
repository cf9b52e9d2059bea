#!/usr/bin/env -S node --max-semi-space-size=2
// Entry point. `npm install` compiles src/ to dist/ (the prepare script); the
// compiled code starts in a fraction of the time and memory that compiling on
// the fly costs. Whenever dist/ is missing or older than any source file (a
// developer editing src/), podpath runs the sources through tsx instead, so
// what runs is always what the checkout holds. PODPATH_FROM_SOURCE=1 forces tsx.
// The shebang keeps V8's young generation small (2 MB semi-spaces, default 16):
// podpath's per-packet strings die young, and the larger nursery only raised peak
// memory (decode --json on 300,000 packets: 104 → 81 MB, no slower).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledIsFresh } from './dist-freshness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

let entry = join(root, 'dist', 'cli.js');
if (process.env.PODPATH_FROM_SOURCE || !compiledIsFresh(root)) {
  const { register } = await import('tsx/esm/api');
  // The repository's tsconfig, wherever podpath is run from: tsx otherwise looks in the
  // current folder and, finding none there, compiles the UI's JSX the classic way (React undefined).
  register({ tsconfig: join(root, 'tsconfig.json') });
  entry = join(root, 'src', 'cli.ts');
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv);
