#!/usr/bin/env node
// The last step of `npm run build`: bundles the command line (src/cli.ts and every
// src/commands/*.ts) with esbuild over tsc's per-file dist/, so `podpath` loads a few files
// instead of hundreds. Measured (issue 17): the UI's first frame loaded ~575 files from
// node_modules (416 of them es-toolkit, which Ink imports whole) and ~100 of dist/; module
// resolution, realpath and the CommonJS export scan took most of its 1.2 s.
//
//   dist/cli.js, dist/commands/*.js   esbuild's entry points: the files bin/podpath.js and
//                                     cli.ts's folder listing load, as they loaded tsc's
//   dist/ui/explain/worker.js,        the Explain and Capture panes' worker threads: entry
//   dist/ui/capture/worker.js         points of their own, since a worker starts from a file
//                                     (src/ui/thread.ts says why they must stay ones)
//   dist/chunks/*.js                  what they share and what they import lazily: each
//                                     dynamic import() stays a chunk loaded when it runs, so
//                                     `decode` still never loads the tracer, React or Ink
//   the rest of dist/                 tsc's per-file modules, for scripts that import one
//                                     module (bench/iptables.bench.ts)
//
// Dependencies are bundled too (Ink, React, commander); those podpath loads through
// createRequire at run time (elkjs, ip-num, yaml) stay in node_modules, loaded when used.
// React keeps both of its builds: the UI picks one by NODE_ENV when it starts, as before.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const commands = readdirSync(join(root, 'src', 'commands'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => join(root, 'src', 'commands', f));

// Chunk names carry a content hash: the previous build's would stay beside the new ones.
rmSync(join(root, 'dist', 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'cli.ts'), ...commands, join(root, 'src', 'ui', 'explain', 'worker.ts'), join(root, 'src', 'ui', 'capture', 'worker.ts')],
  outbase: join(root, 'src'),
  outdir: join(root, 'dist'),
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: join(root, 'tsconfig.json'),
  // Ink imports React's devtools only under DEV=true; podpath does not ship them.
  external: ['react-devtools-core'],
  // The CommonJS packages inside (commander, React) require Node's built-ins, which an ES
  // module bundle can only do through a require of its own.
  banner: { js: "import { createRequire as __podpathRequire } from 'node:module'; const require = __podpathRequire(import.meta.url);" },
  logLevel: 'warning',
});
