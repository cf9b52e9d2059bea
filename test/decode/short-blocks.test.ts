// pcapng blocks too short for their own fixed fields (issue 11, item 5): an EPB or PB under
// 32 bytes read its caplen from the next block or past the buffer (a RangeError on stdin, stale
// bytes from a file); an SPB or custom block of 12 bytes gave caplen −4. Each is now one line
// with the block's offset, the packets before it still shown, exit 2 (an input that could not be used to the end).
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const scratch = mkdtempSync(join(tmpdir(), 'podpath-short-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// editcap's pcapng of the VXLAN capture: SHB, IDB, then EPBs (little-endian).
const real = readFileSync(join(repoRoot, 'test/decode/captures/vxlan-8472-editcap.pcapng'));

function block(type: number, total: number): Buffer {
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  out.writeUInt32LE(total, total - 4);
  return out;
}

const cases = [
  { name: 'an EPB of 24 bytes', type: 6, total: 24, what: 'enhanced packet block \\(type 0x6\\) is 24 bytes, shorter than its fixed fields \\(32 bytes\\)' },
  { name: 'a PB of 28 bytes', type: 2, total: 28, what: 'packet block \\(type 0x2\\) is 28 bytes' },
  { name: 'an SPB of 12 bytes', type: 3, total: 12, what: 'simple packet block \\(type 0x3\\) is 12 bytes, shorter than its fixed fields \\(16 bytes\\)' },
  { name: 'a custom block of 12 bytes', type: 0xbad, total: 12, what: 'custom block \\(type 0xbad\\) is 12 bytes' },
];

describe.concurrent('pcapng blocks shorter than their fixed fields', () => {
  for (const c of cases) {
    const bytes = Buffer.concat([real, block(c.type, c.total)]);
    const path = join(scratch, `${c.type}-${c.total}.pcapng`);
    writeFileSync(path, bytes);
    const message = new RegExp(`byte ${real.length}: pcapng ${c.what}`);

    it(`${c.name}, at the end of a file, from stdin, in -V, --json, --summary and explain`, async () => {
      for (const args of [[path], ['-', '-V'], [path, '--json'], ['-', '--summary']]) {
        const r = await runPodpath(['decode', ...args], { input: bytes });
        expect(r.status, `decode ${args.join(' ')}`).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stdout).not.toMatch(/caplen -|-4 bytes|RangeError/);
        if (!args.includes('--summary')) expect(r.stdout.length).toBeGreaterThan(0); // the packets before it
      }
      const explain = await runPodpath(['explain', path]);
      expect(explain.stderr + explain.stdout).not.toMatch(/internal error|RangeError/);
      expect(explain.stdout).toMatch(message);
    });
  }
});
