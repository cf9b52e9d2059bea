#!/usr/bin/env -S node --max-semi-space-size=2 --expose-gc
// Entry point. An installed package (npm install -g, npm pack) carries dist/ only, compiled
// from src/ by `prepack`, and runs it: no TypeScript at run time, no tsx among its
// dependencies. A checkout also compiles dist/ on `npm install` (the prepare script); whenever
// its dist/ is missing or older than a source file (a developer editing src/), podpath runs the
// sources through tsx (a devDependency) instead, so what runs is always what the checkout
// holds. PODPATH_FROM_SOURCE=1 forces tsx in a checkout.
// The shebang keeps V8's young generation small (2 MB semi-spaces, default 16):
// podpath's per-packet strings die young, and the larger nursery only raised peak
// memory (decode --json on 300,000 packets: 104 → 81 MB, no slower). --expose-gc lets podpath
// collect once between reading a big dump and building on it (src/util/collect-garbage.ts).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledIsFresh } from './dist-freshness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const checkout = existsSync(join(root, 'src', 'cli.ts'));

let entry = join(root, 'dist', 'cli.js');
if (checkout && (process.env.PODPATH_FROM_SOURCE || !compiledIsFresh(root))) {
  const { register } = await import('tsx/esm/api');
  // The repository's tsconfig, wherever podpath is run from: tsx otherwise looks in the
  // current folder and, finding none there, compiles the UI's JSX the classic way (React undefined).
  register({ tsconfig: join(root, 'tsconfig.json') });
  entry = join(root, 'src', 'cli.ts');
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv);
