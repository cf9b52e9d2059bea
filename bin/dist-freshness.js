// Whether dist/ (compiled by `npm run build`, stamped dist/.built) is at least as
// new as every source file and package.json. bin/podpath.js and the benchmarks
// run dist/ only when it is, so nothing ever runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

/** @param {string} root the repository root */
export function compiledIsFresh(root) {
  try {
    const builtAt = statSync(join(root, 'dist', '.built')).mtimeMs;
    return builtAt >= newestMtime(join(root, 'src')) && builtAt >= statSync(join(root, 'package.json')).mtimeMs;
  } catch {
    return false;
  }
}
