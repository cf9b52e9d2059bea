// Every capture file the repository carries (samples/ and test/), for tests that check a
// property on all of them.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './run.ts';

function capturesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) out.push(...capturesUnder(path));
    else if (/\.(pcap|pcapng|cap)$/.test(name)) out.push(path);
  }
  return out;
}

/** The .pcap/.pcapng/.cap files under samples/ and test/, in directory order. */
export function repositoryCaptures(): string[] {
  return [...capturesUnder(join(repoRoot, 'samples')), ...capturesUnder(join(repoRoot, 'test'))];
}
