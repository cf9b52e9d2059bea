#!/usr/bin/env node
// Runs a TypeScript script of this repo (benchmarks, lab tools, the Explain pane's worker
// thread when the UI runs from src/) through tsx.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';

// The repository's tsconfig wherever the script is run from (as bin/podpath.js does).
register({ tsconfig: join(dirname(fileURLToPath(import.meta.url)), '..', 'tsconfig.json') });
const [script, ...rest] = process.argv.slice(2);
if (!script) {
  console.error('usage: run-ts.js SCRIPT.ts [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(script), ...rest];
await import(pathToFileURL(resolve(script)).href);
