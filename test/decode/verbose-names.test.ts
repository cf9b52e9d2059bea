// decode -V names the numbers as tshark -V does ("Protocol: UDP (17)", "Type: IPv4 (0x0800)",
// the link type as tshark's "Encapsulation type: Ethernet (1)"). Expected lines: tshark's own
// -V output, recorded in fixtures/tshark-V-names.txt with its version and command.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

/** The recorded tshark lines, per capture, in the order tshark printed them. */
function recorded(): Map<string, string[]> {
  const byCapture = new Map<string, string[]>();
  let capture = '';
  for (const line of readFileSync(join(repoRoot, 'test/decode/fixtures/tshark-V-names.txt'), 'utf8').split('\n')) {
    const header = /-r (\S+)/.exec(line);
    if (line.startsWith('#') && header) byCapture.set((capture = header[1]!), []);
    else if (line.trim() !== '') byCapture.get(capture)!.push(line.trim().replace(/^Encapsulation type:/, 'Link type:'));
  }
  return byCapture;
}

describe('decode -V names beside numbers, as tshark -V', () => {
  for (const [capture, lines] of recorded()) {
    it(capture, async () => {
      const run = await runPodpath(['decode', capture, '-V', '-c', '1']);
      const shown = run.stdout.split('\n').map((l) => l.trim()).filter((l) => /^(Protocol|Type|Link type|Next Header):/.test(l) && !/^Type: \d+ \(/.test(l));
      expect(shown).toEqual(lines.filter((l) => !/^Type: \d+ \(/.test(l)));
    });
  }
});
