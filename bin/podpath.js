#!/usr/bin/env node
// Entry point. `npm install` compiles src/ to dist/ (the prepare script); the
// compiled code starts in a fraction of the time and memory that compiling on
// the fly costs. Whenever dist/ is missing or older than any source file (a
// developer editing src/), podpath runs the sources through tsx instead, so
// what runs is always what the checkout holds. PODPATH_FROM_SOURCE=1 forces tsx.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli.js');

function newestMtime(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

function compiledIsFresh() {
  if (process.env.PODPATH_FROM_SOURCE) return false;
  if (!existsSync(compiled)) return false;
  const builtAt = statSync(join(root, 'dist', '.built')).mtimeMs;
  return builtAt >= newestMtime(join(root, 'src')) && builtAt >= statSync(join(root, 'package.json')).mtimeMs;
}

let entry;
try {
  entry = compiledIsFresh() ? compiled : undefined;
} catch {
  entry = undefined;
}
if (!entry) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'src', 'cli.ts');
}
const { main } = await import(new URL(`file://${entry}`).href);
process.exitCode = await main(process.argv);
