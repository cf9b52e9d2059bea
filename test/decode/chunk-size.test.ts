// scanCapture reads a file in chunks (ReadOptions.chunkBytes; the UI reads smaller ones than the
// CLI so it can hand its event loop back more often). The chunk size must change nothing but how
// often onChunkEnd is called: the same records, in the same order, with the same bytes, records
// larger than a chunk included (the BIG TCP captures hold 64 KB+ records), pcap and pcapng.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanCapture } from '../../src/decode/index.ts';
import { CaptureError } from '../../src/errors.ts';
import { corpusDir } from '../helpers/shared.ts';

const FILES = [
  `${corpusDir}/vxlan/tcpdump_bigtcp-ipv4-vxlan-ipv4.pcap`,
  `${corpusDir}/vxlan/zeek_vxlan-encapsulated-http.pcap`,
  `${corpusDir}/pcap-format/zeek_pcapng-multi-interface.pcapng`,
  `${corpusDir}/linux-sll/zeek_sll2-openjdk-tls.pcap`,
];

async function records(file: string, chunkBytes?: number): Promise<{ list: string[]; chunks: number; largest: number }> {
  const list: string[] = [];
  let chunks = 0;
  let largest = 0;
  await scanCapture(
    file,
    chunkBytes === undefined ? {} : { chunkBytes },
    (p) => {
      largest = Math.max(largest, p.caplen);
      list.push(`${p.frame} @${p.fileOffset} ${p.caplen} ${p.len} ${p.linkType} ${p.timeSec}.${p.timeNsec} ${createHash('sha1').update(p.data).digest('hex')}`);
      return true;
    },
    () => {
      chunks++;
      return undefined;
    },
  );
  return { list, chunks, largest };
}

describe('scanCapture chunk size', () => {
  it('reads the same records whatever the chunk size, records larger than a chunk included', async () => {
    let larger = 0;
    for (const file of FILES) {
      const whole = await records(file);
      const small = await records(file, 4096);
      expect(small.list, file).toEqual(whole.list);
      expect(small.list.length).toBeGreaterThan(0);
      // Smaller chunks: onChunkEnd more often (the point of the option).
      expect(small.chunks, file).toBeGreaterThanOrEqual(whole.chunks);
      if (small.largest > 4096) larger++;
      // Reads shorter than a record header: every record's tail is carried from buffer to buffer.
      expect((await records(file, 7)).list, file).toEqual(whole.list);
    }
    expect(larger).toBeGreaterThan(0);
  });

  it('stops where it is told to and reports a cut record at the same offset whatever the chunk size', async () => {
    const file = FILES[1] as string;
    const whole = await records(file);
    expect(whole.list.length).toBeGreaterThan(3);
    for (const chunkBytes of [undefined, 7, 4096]) {
      const seen: number[] = [];
      await scanCapture(file, chunkBytes === undefined ? {} : { chunkBytes }, (p) => {
        seen.push(p.frame);
        return seen.length < 3;
      });
      expect(seen).toEqual([1, 2, 3]);
    }
    const dir = mkdtempSync(join(tmpdir(), 'podpath-chunk-'));
    try {
      const cut = join(dir, 'cut.pcap');
      const bytes = readFileSync(file);
      writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
      const failures: string[] = [];
      for (const chunkBytes of [undefined, 7, 4096]) {
        const got: string[] = [];
        const error = await scanCapture(cut, chunkBytes === undefined ? {} : { chunkBytes }, (p) => {
          got.push(String(p.frame));
        }).then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(CaptureError);
        failures.push((error as Error).message);
        expect(got.length).toBe(whole.list.length - 1);
      }
      expect(new Set(failures).size).toBe(1);
      expect(failures[0]).toMatch(/truncated capture/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
