// The one capture writer the benchmarks share (bench/decode.bench.ts, bench/explain-capture.ts):
// a classic pcap file (microsecond times, Ethernet) streamed to disk in 4 MB writes, so a
// generator holds no packets whatever the count. Frames are built in place in the writer's
// buffer: `record(maxLength, build)` hands the builder the buffer and where the frame starts.
import { closeSync, openSync, writeSync } from 'node:fs';

/** The Internet checksum (RFC 1071) of bytes[start, end). */
export function checksum16(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const BUFFER_BYTES = 4 << 20;

export class PcapWriter {
  private readonly fd: number;
  private readonly buffer = new Uint8Array(BUFFER_BYTES);
  private readonly view = new DataView(this.buffer.buffer);
  private used = 0;
  /** Bytes written to the file so far, header included. */
  bytes = 24;
  private sec: number;
  private usec = 0;

  /** `stepMicros`: the time between packets. */
  constructor(path: string, private readonly stepMicros: number, startSec = 1_700_000_000) {
    this.sec = startSec;
    this.fd = openSync(path, 'w');
    const header = new Uint8Array(24);
    const view = new DataView(header.buffer);
    view.setUint32(0, 0xa1b2c3d4, true);
    view.setUint16(4, 2, true);
    view.setUint16(6, 4, true);
    view.setUint32(16, 262144, true);
    view.setUint32(20, 1, true); // LINKTYPE_ETHERNET
    writeSync(this.fd, header);
  }

  /** One record: `build` writes the frame at `at` in `out` (at most maxLength bytes) and returns its length. */
  record(maxLength: number, build: (out: Uint8Array, view: DataView, at: number) => number): void {
    if (this.used + 16 + maxLength > BUFFER_BYTES) this.drain();
    const at = this.used;
    this.buffer.fill(0, at + 16, at + 16 + maxLength);
    const length = build(this.buffer, this.view, at + 16);
    this.usec += this.stepMicros;
    while (this.usec >= 1_000_000) {
      this.usec -= 1_000_000;
      this.sec++;
    }
    this.view.setUint32(at, this.sec, true);
    this.view.setUint32(at + 4, this.usec, true);
    this.view.setUint32(at + 8, length, true);
    this.view.setUint32(at + 12, length, true);
    this.used += 16 + length;
    this.bytes += 16 + length;
  }

  private drain(): void {
    writeSync(this.fd, this.buffer, 0, this.used);
    this.used = 0;
  }

  close(): { bytes: number } {
    this.drain();
    closeSync(this.fd);
    return { bytes: this.bytes };
  }
}
