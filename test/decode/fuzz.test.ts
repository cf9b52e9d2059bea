// Mutated real captures: flipped bytes, cut files, overwritten length fields. The
// decoder must end every run — packets decoded, or one CaptureError — and never
// throw anything else or hang. Every output path runs on every packet decoded.
// Also checks that the hand-written JSON says exactly what the Layer objects say.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/errors.ts';
import { dissectPacket, layersOf, packetJson } from '../../src/decode/dissect.ts';
import { Dissection } from '../../src/decode/dissection.ts';
import { detailLines, hexLines } from '../../src/decode/output/detail.ts';
import { summaryText } from '../../src/decode/output/summary-line.ts';
import { readCapture, scanCapture } from '../../src/decode/read/stream.ts';
import { portTable } from '../../src/decode/registry.ts';
import { decodePacket, timeText } from '../../src/decode/index.ts';
import type { DecodedPacket } from '../../src/decode/types.ts';
import { SCHEMA_VERSION } from '../../src/util/json-output.ts';
import { repoRoot } from '../helpers/run.ts';
import { corpusDir } from '../helpers/shared.ts';
import { draws, randomFrom } from '../fuzz/draws.ts';
import { options } from '../fuzz/settings.ts';

const corpus = `${corpusDir}`;

function allCaptures(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return allCaptures(path);
    return /\.(pcap|pcapng)$/.test(name) ? [path] : [];
  });
}

const seeds = [...allCaptures(corpus), ...allCaptures(join(repoRoot, 'test/decode/captures'))].filter((f) => statSync(f).size < 120_000).sort();

function mutate(bytes: Buffer, rand: () => number): Buffer {
  const out = Buffer.from(bytes);
  const kind = Math.floor(rand() * 4);
  if (kind === 0) {
    const flips = 1 + Math.floor(rand() * 16);
    for (let i = 0; i < flips; i++) out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
  } else if (kind === 1) {
    return out.subarray(0, Math.floor(rand() * out.length));
  } else if (kind === 2) {
    // Overwrite a 32-bit word past the file header: often a record or block length.
    const at = 8 + Math.floor(rand() * Math.max(1, out.length - 12));
    out.writeUInt32LE([0, 1, 0xffffffff, 0x7fffffff, 65536, Math.floor(rand() * 2 ** 32)][Math.floor(rand() * 6)] as number, at);
  } else {
    // Flip bytes inside the first packets' headers, where the layer fields are.
    for (let i = 0; i < 8; i++) out[24 + 16 + Math.floor(rand() * Math.min(200, out.length - 40))] = Math.floor(rand() * 256);
  }
  return out;
}

async function decodeEverything(bytes: Buffer): Promise<number> {
  const d = new Dissection();
  const table = portTable({ vxlanPorts: [58678] });
  let packets = 0;
  await scanCapture(Readable.from([bytes]), { name: 'fuzz' }, (packet) => {
    dissectPacket(d, packet, table);
    const layers = layersOf(d);
    JSON.parse(packetJson(packet, d));
    summaryText(d);
    const decoded: DecodedPacket = { frame: packet.frame, time: timeText(packet.timeSec, packet.timeNsec), caplen: packet.caplen, len: packet.len, linkType: packet.linkType, layers };
    detailLines(decoded);
    hexLines(packet.data.subarray(0, 64));
    packets++;
  });
  return packets;
}

describe('fuzz: mutated real captures', () => {
  prop.prop([fc.constantFrom(...seeds), draws], options('decode-mutations'))(
    'a seed capture, mutated: only CaptureError (naming its byte), no crash, no hang',
    async (seed, values) => {
      const mutated = mutate(readFileSync(seed), randomFrom(values));
      try {
        await decodeEverything(mutated);
      } catch (error) {
        if (!(error instanceof CaptureError)) throw error;
        expect(error.message).toMatch(/^fuzz: byte \d+: /);
      }
    },
    120_000,
  );
});

describe('hand-written JSON matches the Layer objects', () => {
  it('for every packet of every corpus capture', async () => {
    let checked = 0;
    for (const file of seeds) {
      const d = new Dissection();
      const table = portTable({ vxlanPorts: [58678] });
      for await (const packet of readCapture(file)) {
        dissectPacket(d, packet, table);
        const fromJson = JSON.parse(packetJson(packet, d)) as DecodedPacket;
        // Each --json line also names its schema version (docs/json.md).
        expect(fromJson).toEqual({ schemaVersion: SCHEMA_VERSION, ...JSON.parse(JSON.stringify(decodePacket(packet, { vxlanPorts: [58678] }))) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  }, 60_000);
});
