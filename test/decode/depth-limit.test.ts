// A packet nested deeper than the decoder's 48 layers (issue 11, item 12): IPv4 in IPv4 sixty
// times over (RFC 2003; the kernel's ipip device nests one level per tunnel). The layers past
// the limit used to become a plain payload with nothing said; now the payload says the limit
// stopped decoding, and what the next layer would have been.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPodpath } from '../helpers/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-depth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ipv4Header(totalLength: number, protocol: number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(totalLength, 2);
  h[8] = 64;
  h[9] = protocol;
  h.set([10, 0, 0, 1], 12);
  h.set([10, 0, 0, 2], 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return h;
}

/** Ethernet, then `depth` IPv4-in-IPv4 headers, then IPv4/UDP with 4 bytes of data. */
function nestedFrame(depth: number): Buffer {
  const udp = Buffer.alloc(12);
  udp.writeUInt16BE(40000, 0);
  udp.writeUInt16BE(9, 2);
  udp.writeUInt16BE(12, 4);
  const parts: Buffer[] = [ipv4Header(20 + 12, 17), udp];
  for (let i = 0; i < depth; i++) parts.unshift(ipv4Header(20 + parts.reduce((n, p) => n + p.length, 0), 4));
  const eth = Buffer.alloc(14);
  eth.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ...parts]);
}

function pcap(frames: Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const records = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1_700_000_000 + i, 0);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([header, ...records]);
}

describe('the decoder\'s layer limit', () => {
  const file = join(dir, 'nested.pcap');
  writeFileSync(file, pcap([nestedFrame(3), nestedFrame(60)]));

  it('a shallow packet decodes to its UDP layer; a 60-deep one says where decoding stopped', async () => {
    const r = await runPodpath(['decode', file, '--json']);
    expect(r.status).toBe(0);
    const [shallow, deep] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { layers: { type: string; protocol?: string }[] });
    // Each tunnel is an IPv4 header and the ipip layer that names its inner packet.
    expect(shallow!.layers.map((l) => l.type)).toEqual(['ethernet', 'ipv4', 'ipip', 'ipv4', 'ipip', 'ipv4', 'ipip', 'ipv4', 'udp', 'payload']);
    expect(deep!.layers).toHaveLength(48);
    expect(deep!.layers.slice(1, 47).every((l, i) => l.type === (i % 2 === 0 ? 'ipv4' : 'ipip'))).toBe(true);
    expect(deep!.layers[47]).toMatchObject({ type: 'payload', protocol: "not decoded: ipv4 would be layer 48, past podpath's limit of 47 decoded layers" });
  });

  it('-V shows the same words', async () => {
    const r = await runPodpath(['decode', file, '-V']);
    expect(r.stdout).toContain("not decoded: ipv4 would be layer 48, past podpath's limit of 47 decoded layers");
  });
});
