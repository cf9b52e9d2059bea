// The bounded reader on regular files, read whole at once (src/util/bounded-read.ts): the bytes
// are the file's at every size around its chunk, a file stat() calls empty (/proc) is read to its
// end, and the cap holds at its exact size.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputTooLargeError, readBoundedInput } from '../../src/util/bounded-read.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MB = 1 << 20;

describe('a regular file read whole', () => {
  for (const size of [0, 1, MB - 1, MB, MB + 1, 3 * MB + 17]) {
    it(`${size} bytes come back as written`, async () => {
      const path = join(dir, `f${size}`);
      const written = randomBytes(size);
      writeFileSync(path, written);
      const { bytes, stoppedEarly } = await readBoundedInput(path, { name: 'f' });
      expect(stoppedEarly).toBe(false);
      expect(bytes.equals(written)).toBe(true);
    });
  }

  it('a /proc file (stat size 0) is read to its end', async () => {
    const { bytes } = await readBoundedInput('/proc/self/mountinfo', { name: 'mountinfo' });
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.toString()).toBe(readFileSync('/proc/self/mountinfo', 'utf8'));
  });

  it('stopAfterFirst sees the first chunk only and ends the read', async () => {
    const path = join(dir, 'big');
    writeFileSync(path, randomBytes(3 * MB));
    const seen: number[] = [];
    const { bytes, stoppedEarly } = await readBoundedInput(path, { name: 'big', stopAfterFirst: (head) => (seen.push(head.length), true) });
    expect(stoppedEarly).toBe(true);
    expect(seen).toEqual([MB]);
    expect(bytes.length).toBe(MB);
  });

  it('the cap: a file of exactly the cap reads, one byte more does not', async () => {
    const path = join(dir, 'cap');
    writeFileSync(path, Buffer.alloc(2 * MB, 0x61));
    expect((await readBoundedInput(path, { name: 'cap', limitBytes: 2 * MB })).bytes.length).toBe(2 * MB);
    await expect(readBoundedInput(path, { name: 'cap', limitBytes: 2 * MB - 1 })).rejects.toBeInstanceOf(InputTooLargeError);
  });
});
