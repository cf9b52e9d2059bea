// docs/decode.md's display-filter section: it names every field podpath knows (so a field
// added to src/decode/filter/fields.ts without a word in the docs fails here), and each
// example it shows runs and picks the frames tshark picks with the same filter (tshark told
// that Flannel's 8472 is VXLAN, as podpath knows without being told).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELD_NAMES } from '../../src/decode/filter/fields.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { describeNeeding } from '../helpers/requires.ts';

const docs = readFileSync(join(repoRoot, 'docs/decode.md'), 'utf8');
const section = docs.slice(docs.indexOf('## Display filters'), docs.indexOf('\n## ', docs.indexOf('## Display filters') + 3));
const examples = [...section.matchAll(/^podpath decode (\S+) -Y '([^']+)'$/gm)].map((m) => ({ capture: m[1]!, filter: m[2]! }));

describe('docs/decode.md describes the display filter', () => {
  it('names every known field and protocol', () => {
    const missing = FIELD_NAMES.filter((name) => !section.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
  it('shows examples', () => expect(examples.length).toBeGreaterThanOrEqual(4));
});

describeNeeding(['tshark'], 'docs/decode.md filter examples agree with tshark', () => {
  for (const { capture, filter } of examples) {
    it(filter, async () => {
      const run = await runPodpath(['decode', capture, '-Y', filter]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const ours = run.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => Number(l.trim().split(/\s+/)[0]));
      const theirs = execFileSync('tshark', ['-r', join(repoRoot, capture), '-d', 'udp.port==8472,vxlan', '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' })
        .split('\n').filter((l) => l !== '').map(Number);
      expect(theirs.length).toBeGreaterThan(0); // each example picks something in its capture
      expect(ours).toEqual(theirs);
    });
  }
});
