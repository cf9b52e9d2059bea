// scanCapture reads a file in chunks (ReadOptions.chunkBytes; the UI reads smaller ones than the
// CLI so it can hand its event loop back more often). The chunk size must change nothing but how
// often onChunkEnd is called: the same records, in the same order, with the same bytes, records
// larger than a chunk included (the BIG TCP captures hold 64 KB+ records), pcap and pcapng.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scanCapture } from '../../src/decode/index.ts';
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
      list.push(`${p.frame} ${p.caplen} ${p.len} ${p.linkType} ${p.timeSec}.${p.timeNsec} ${createHash('sha1').update(p.data).digest('hex')}`);
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
    }
    expect(larger).toBeGreaterThan(0);
  });
});
