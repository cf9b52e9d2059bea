// Damaged and wrong input, end to end through the CLI: one clear line naming the
// byte offset, the packets before the damage still printed, non-zero exit, no stack.
// Damaged files are made from real captures by cutting or overwriting known bytes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { corpusDir } from '../helpers/shared.ts';
import { describeNeeding } from '../helpers/requires.ts';

const corpus = `${corpusDir}`;
const scratch = mkdtempSync(join(tmpdir(), 'podpath-decode-bad-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// tcpdump_vxlan.pcap: little-endian µs pcap; record 1 is 148 bytes, record 2 92 bytes (capinfos).
const vxlan = readFileSync(join(corpus, 'vxlan/tcpdump_vxlan.pcap'));
const RECORD2 = 24 + 16 + 148; // byte offset of record 2's header

function write(name: string, bytes: Uint8Array | string): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('podpath decode on damaged captures', () => {
  it('a file cut inside a record: the whole records before it are shown, then the offset of the cut one', async () => {
    const path = write('cut-record.pcap', vxlan.subarray(0, RECORD2 + 16 + 50));
    const result = await runPodpath(['decode', path]);
    expect(result.status).toBe(2);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toMatch(/^\s+1 .*VXLAN 100 192\.168\.203\.1 → 192\.168\.202\.1/);
    expectOneLineError(result.stderr, new RegExp(`cut-record\\.pcap: byte ${RECORD2}: file ends inside record 2: it claims 92 captured bytes but only 50 follow`));
  });

  it('a file cut inside a record header', async () => {
    const path = write('cut-header.pcap', vxlan.subarray(0, RECORD2 + 7));
    const result = await runPodpath(['decode', path]);
    expect(result.status).toBe(2);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expectOneLineError(result.stderr, new RegExp(`byte ${RECORD2}: file ends inside the header of record 2 \\(7 of 16 bytes`));
  });

  for (const [label, length] of [['4 GB', 0xffffffff], ['0x7fffffff', 0x7fffffff]] as const) {
    it(`a record claiming ${label}: error at once with its offset, memory not touched`, async () => {
      const bytes = Buffer.from(vxlan);
      bytes.writeUInt32LE(length, RECORD2 + 8);
      const path = write(`huge-${length}.pcap`, bytes);
      const result = await runPodpath(['decode', path]);
      expect(result.status).toBe(2);
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      expectOneLineError(result.stderr, new RegExp(`byte ${RECORD2}: record 2 claims ${length} bytes, more than the 1048576-byte limit`));
    });
  }

  it('an unknown link type in the pcap header', async () => {
    const bytes = Buffer.from(vxlan);
    bytes.writeUInt32LE(147, 20); // LINKTYPE_USER0
    const result = await runPodpath(['decode', write('linktype.pcap', bytes)]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expectOneLineError(result.stderr, /byte 20: link type 147 is not one podpath decodes/);
  });

  it('a pcapng block with a bad length: blocks before it are decoded', async () => {
    const bytes = Buffer.from(readFileSync(join(repoRoot, 'test/decode/captures/dumpcap-2if.pcapng')));
    // Walk the blocks (little-endian file) to the third enhanced packet block.
    let at = 0;
    let epbs = 0;
    while (at < bytes.length) {
      const type = bytes.readUInt32LE(at);
      if (type === 6 && ++epbs === 3) break;
      at += bytes.readUInt32LE(at + 4);
    }
    bytes.writeUInt32LE(13, at + 4);
    const result = await runPodpath(['decode', write('bad-block.pcapng', bytes)]);
    expect(result.status).toBe(2);
    expect(result.stdout.trim().split('\n')).toHaveLength(2);
    expectOneLineError(result.stderr, new RegExp(`byte ${at}: pcapng block of type 0x6 has a bad length 13`));
  });

  it('a text file given as a capture', async () => {
    const result = await runPodpath(['decode', write('notes.txt', 'default via 10.0.0.1 dev eth0\n')]);
    expect(result.status).toBe(2);
    expectOneLineError(result.stderr, /notes\.txt: byte 0: not a pcap or pcapng capture: it starts with bytes 64 65 66 61 \("default via 10.0"\)/);
  });

  it('an empty file', async () => {
    const result = await runPodpath(['decode', write('empty.pcap', '')]);
    expect(result.status).toBe(2);
    expectOneLineError(result.stderr, /empty\.pcap: byte 0: empty file: no capture header/);
  });

  it('a file shorter than the pcap header', async () => {
    const result = await runPodpath(['decode', write('short.pcap', vxlan.subarray(0, 10))]);
    expect(result.status).toBe(2);
    expectOneLineError(result.stderr, /short\.pcap: byte 10: file ends inside the 24-byte pcap header \(10 bytes present\)/);
  });

  it('a missing file', async () => {
    const result = await runPodpath(['decode', join(scratch, 'nope.pcap')]);
    expect(result.status).toBe(2);
    expectOneLineError(result.stderr, /nope\.pcap: no such file or directory/);
  });
});

describeNeeding(['time'], 'podpath decode on a damaged 30 MB capture, memory measured by /usr/bin/time', () => {
  it('a corrupt length in the middle of a 30 MB capture: quick error, bounded memory', () => {
    // 200,000 copies of record 1, then a record with length 0x7fffffff, then more records.
    const record = vxlan.subarray(24, RECORD2);
    const copies = 200_000;
    const big = Buffer.alloc(24 + record.length * (copies + 1000));
    vxlan.copy(big, 0, 0, 24);
    for (let i = 0; i < copies + 1000; i++) record.copy(big, 24 + i * record.length);
    const corruptAt = 24 + (copies / 2) * record.length;
    big.writeUInt32LE(0x7fffffff, corruptAt + 8);
    const path = write('big-corrupt.pcap', big);
    const started = Date.now();
    const run = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, join(repoRoot, 'bin/podpath.js'), 'decode', '--summary', path], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const seconds = (Date.now() - started) / 1000;
    expect(run.status).toBe(2);
    const errorLines = run.stderr.split('\n').filter((l) => l.startsWith('podpath:'));
    expect(errorLines).toEqual([`podpath: ${path}: byte ${corruptAt}: record ${copies / 2 + 1} claims ${0x7fffffff} bytes, more than the 1048576-byte limit (corrupt length field?)`]);
    expect(run.stdout).toMatch(new RegExp(`^packets: ${copies / 2},`, 'm'));
    const rss = Number(/maxrss_kb=(\d+)/.exec(run.stderr)?.[1]);
    expect(rss / 1024).toBeLessThan(150);
    expect(seconds).toBeLessThan(10);
  });
});

describe('podpath decode reads from stdin and stops quietly when the reader goes away', () => {
  it('reads a capture streamed on stdin (-)', async () => {
    const result = await runPodpath(['decode', '-'], { input: readFileSync(join(corpus, 'vxlan/tcpdump_vxlan_port_8472.pcap')) });
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(10);
    expect(result.stdout).toMatch(/^\s+2 .*VXLAN 100 192\.168\.202\.1 → 192\.168\.203\.1 \| 00:30:88:01:00:02 → ff:ff:ff:ff:ff:ff ARP Who has 192\.168\.203\.3\? Tell 192\.168\.203\.5/m);
  });

  it('a cut capture on stdin names <stdin> and the offset', async () => {
    const result = await runPodpath(['decode', '-'], { input: vxlan.subarray(0, RECORD2 + 20) });
    expect(result.status).toBe(2);
    expectOneLineError(result.stderr, new RegExp(`<stdin>: byte ${RECORD2}: file ends inside record 2`));
  });

  it('| head: no EPIPE error, exit 0', () => {
    const record = vxlan.subarray(24, RECORD2);
    const copies = 50_000;
    const big = Buffer.alloc(24 + record.length * copies);
    vxlan.copy(big, 0, 0, 24);
    for (let i = 0; i < copies; i++) record.copy(big, 24 + i * record.length);
    const path = write('many.pcap', big);
    const run = spawnSync('bash', ['-c', `set -o pipefail; node bin/podpath.js decode ${path} | head -n 3`], { cwd: repoRoot, encoding: 'utf8' });
    expect(run.stdout.trim().split('\n')).toHaveLength(3);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
