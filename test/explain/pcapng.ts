// Builds a multi-interface pcapng (as `dumpcap -i cni0 -i flannel.1 -i eth0` writes one) from
// classic little-endian microsecond pcaps, for tests: one interface description block per input
// with its if_name option, enhanced packet blocks merged in time order.
import { readFileSync } from 'node:fs';
import { appendAll } from '../../src/util/append.ts';

interface Record {
  iface: number;
  micros: bigint;
  data: Buffer;
  len: number;
}

function readPcap(file: string, iface: number): { linkType: number; records: Record[] } {
  const buf = readFileSync(file);
  if (buf.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a little-endian microsecond pcap`);
  const linkType = buf.readUInt32LE(20);
  const records: Record[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const sec = buf.readUInt32LE(off);
    const usec = buf.readUInt32LE(off + 4);
    const caplen = buf.readUInt32LE(off + 8);
    const len = buf.readUInt32LE(off + 12);
    records.push({ iface, micros: BigInt(sec) * 1_000_000n + BigInt(usec), data: buf.subarray(off + 16, off + 16 + caplen), len });
    off += 16 + caplen;
  }
  return { linkType, records };
}

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  body.copy(out, 8);
  out.writeUInt32LE(total, total - 4);
  return out;
}

function pad4(b: Buffer): Buffer {
  return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
}

export function buildPcapng(inputs: { file: string; name: string }[]): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeUInt16LE(0, 6);
  shb.writeBigInt64LE(-1n, 8);
  const blocks = [block(0x0a0d0d0a, shb)];
  const all: Record[] = [];
  inputs.forEach(({ file, name }, i) => {
    const { linkType, records } = readPcap(file, i);
    const head = Buffer.alloc(8);
    head.writeUInt16LE(linkType, 0);
    head.writeUInt32LE(262144, 4);
    const nameValue = Buffer.from(name, 'utf8');
    const option = Buffer.alloc(4);
    option.writeUInt16LE(2, 0); // if_name
    option.writeUInt16LE(nameValue.length, 2);
    blocks.push(block(1, Buffer.concat([head, option, pad4(nameValue), Buffer.alloc(4) /* opt_endofopt */])));
    appendAll(all, records);
  });
  all.sort((a, b) => (a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : a.iface - b.iface));
  for (const r of all) {
    const head = Buffer.alloc(20);
    head.writeUInt32LE(r.iface, 0);
    head.writeUInt32LE(Number(r.micros >> 32n), 4);
    head.writeUInt32LE(Number(r.micros & 0xffffffffn), 8);
    head.writeUInt32LE(r.data.length, 12);
    head.writeUInt32LE(r.len, 16);
    blocks.push(block(6, Buffer.concat([head, pad4(r.data)])));
  }
  return Buffer.concat(blocks);
}
