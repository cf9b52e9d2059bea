// Classic libpcap files (https://www.tcpdump.org/manpages/pcap-savefile.5.html).
//
//  global header (24 bytes)              record header (16 bytes), then caplen bytes
//  +------------------------------+      +------------------------------+
//  | magic a1b2c3d4 (µs)          |      | ts seconds                   |
//  |    or a1b23c4d (ns)          |      | ts µs or ns                  |
//  | version 2.4 | thiszone       |      | caplen (bytes in the file)   |
//  | sigfigs | snaplen            |      | len (bytes on the wire)      |
//  | linktype (low 28 bits)       |      +------------------------------+
//  +------------------------------+
//
// The magic's byte order tells the file's byte order (the writer's host order).
import { CaptureError } from '../../errors.ts';
import { MAX_RECORD_BYTES, PacketCursor, tooLarge, type ParserContext, type RecordParser } from './record-parser.ts';

export const PCAP_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

/** Recognises the four pcap magics; returns null for anything else. */
export function pcapMagic(view: DataView): { littleEndian: boolean; nanosecond: boolean } | null {
  const big = view.getUint32(0, false);
  if (big === 0xa1b2c3d4) return { littleEndian: false, nanosecond: false };
  if (big === 0xa1b23c4d) return { littleEndian: false, nanosecond: true };
  if (big === 0xd4c3b2a1) return { littleEndian: true, nanosecond: false };
  if (big === 0x4d3cb2a1) return { littleEndian: true, nanosecond: true };
  return null;
}

export class PcapParser implements RecordParser {
  stopped = false;
  private headerRead = false;
  private littleEndian = true;
  private nanosecond = false;
  private linkType = 1;
  private frame = 0;
  private readonly packet = new PacketCursor();

  constructor(private readonly context: ParserContext) {}

  parse(bytes: Uint8Array, view: DataView, start: number, end: number, base: number): number {
    let at = start;
    if (!this.headerRead) {
      if (end - at < PCAP_HEADER_BYTES) return at;
      this.readHeader(view, at, base);
      at += PCAP_HEADER_BYTES;
    }
    const le = this.littleEndian;
    const packet = this.packet;
    const emit = this.context.emit;
    const fractionScale = this.nanosecond ? 1 : 1000;
    while (end - at >= RECORD_HEADER_BYTES) {
      const caplen = view.getUint32(at + 8, le);
      if (caplen > MAX_RECORD_BYTES) throw tooLarge(this.context.file, base + at, `record ${this.frame + 1}`, caplen);
      if (end - at - RECORD_HEADER_BYTES < caplen) break;
      const dataStart = at + RECORD_HEADER_BYTES;
      packet.frame = ++this.frame;
      packet.timeSec = view.getUint32(at, le);
      packet.timeNsec = view.getUint32(at + 4, le) * fractionScale;
      packet.caplen = caplen;
      packet.len = view.getUint32(at + 12, le);
      packet.linkType = this.linkType;
      packet.fileOffset = base + at;
      packet.bytes = bytes;
      packet.view = view;
      packet.start = dataStart;
      at = dataStart + caplen;
      if (emit(packet) === false) {
        this.stopped = true;
        break;
      }
    }
    return at;
  }

  finish(view: DataView, start: number, end: number, base: number): void {
    const leftover = end - start;
    if (!this.headerRead) {
      throw new CaptureError(
        this.context.file,
        base + end,
        `file ends inside the ${PCAP_HEADER_BYTES}-byte pcap header (${leftover} bytes present)`,
      );
    }
    if (leftover === 0) return;
    if (leftover < RECORD_HEADER_BYTES) {
      throw new CaptureError(
        this.context.file,
        base + start,
        `file ends inside the header of record ${this.frame + 1} (${leftover} of ${RECORD_HEADER_BYTES} bytes; truncated capture)`,
      );
    }
    const claimed = view.getUint32(start + 8, this.littleEndian);
    throw new CaptureError(
      this.context.file,
      base + start,
      `file ends inside record ${this.frame + 1}: it claims ${claimed} captured bytes but only ${leftover - RECORD_HEADER_BYTES} follow (truncated capture)`,
    );
  }

  private readHeader(view: DataView, at: number, base: number): void {
    const magic = pcapMagic(new DataView(view.buffer, view.byteOffset + at, 4));
    if (!magic) throw new CaptureError(this.context.file, base + at, 'not a pcap file (bad magic number)');
    this.littleEndian = magic.littleEndian;
    this.nanosecond = magic.nanosecond;
    // The top 4 bits may carry the FCS length (pcap-savefile(5)); the link type is the low 16.
    this.linkType = view.getUint32(at + 20, this.littleEndian) & 0xffff;
    this.headerRead = true;
  }
}
