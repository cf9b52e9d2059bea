// The pictures in docs/ (and the README's) are what podpath draws today: each is made again
// with its command and compared byte for byte. Refresh them with `npm run pictures`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { DOCS_PICTURES } from './docs-pictures.ts';

describe.concurrent('docs pictures are current', () => {
  for (const picture of DOCS_PICTURES) {
    it(picture.file, async () => {
      const run = await runPodpath(picture.args, picture.env ? { env: picture.env } : {});
      expect(run.stdout.length).toBeGreaterThan(0);
      const committed = readFileSync(join(repoRoot, picture.file), 'utf8');
      expect(run.stdout === committed, `${picture.file} is stale: run npm run pictures`).toBe(true);
    });
  }
});
