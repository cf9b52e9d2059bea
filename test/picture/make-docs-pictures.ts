// npm run pictures: writes the pictures docs/ shows with the real podpath command.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { DOCS_PICTURES } from './docs-pictures.ts';

for (const picture of DOCS_PICTURES) {
  const run = await runPodpath(picture.args, picture.env ? { env: picture.env } : {});
  if (run.stdout === '' || run.status === 2) throw new Error(`podpath ${picture.args.join(' ')}: ${run.stderr}`);
  writeFileSync(join(repoRoot, picture.file), run.stdout);
  process.stdout.write(`${picture.file}\n`);
}
