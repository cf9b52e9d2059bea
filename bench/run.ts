// `npm run bench`: runs every bench/*.bench.ts in turn. Each one runs podpath
// beside its peers (tshark, tcpdump, iptables-restore …) in the same run and
// prints the figures and ratios. A bench whose peer is missing says so and goes on.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run(args: string[]): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();

for (const file of files) {
  console.log(`\n=== ${file}`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  await mod.run(only);
}
