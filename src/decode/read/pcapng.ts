// pcapng files (RFC draft-ietf-opsawg-pcapng), what Wireshark and dumpcap write.
//
//  every block:  +-------------+-------------+---------- … ----------+-------------+
//                | block type  | total length|  body (padded to 4)   | total length|
//                +-------------+-------------+---------- … ----------+-------------+
//
//  SHB 0x0A0D0D0A  starts a section; its byte-order magic 0x1A2B3C4D sets the byte
//                  order of every block up to the next SHB (a file may mix them).
//  IDB 0x00000001  one per interface in the section: link type, snaplen, options
//                  (if_name 2, if_tsresol 9, if_tsoffset 14).
//  EPB 0x00000006  interface id, 64-bit timestamp in the interface's units, caplen, len, data.
//  SPB 0x00000003  len and data only (interface 0, no timestamp).
//  PB  0x00000002  the obsolete packet block (EPB with a 16-bit interface id).
//  Custom 0x00000BAD / 0x40000BAD: tshark 4.0 counts these as frames, so podpath does
//  too (linkType PCAPNG_CUSTOM_BLOCK) to keep frame numbers equal to Wireshark's.
//  Any other block (name resolution, statistics, secrets …) is skipped.
import { CaptureError } from '../../errors.ts';
import { MAX_RECORD_BYTES, PacketCursor, tooLarge, type ParserContext, type RecordParser } from './record-parser.ts';

export const SHB_TYPE = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Pseudo link type for pcapng custom blocks shown as frames (not a LINKTYPE_* value). */
export const PCAPNG_CUSTOM_BLOCK = -1;
/** Blocks may carry options around a packet; allow some room above the record limit. */
const MAX_BLOCK_BYTES = MAX_RECORD_BYTES + 65536;

/**
 * The smallest total length of each block type podpath reads: 12 bytes of type, length and
 * trailing length, plus the fixed fields. A shorter block cannot hold its own header, so
 * reading its fields would run past the block (into the next one, or past the buffer).
 */
const MIN_BLOCK_LENGTH: ReadonlyMap<number, { name: string; bytes: number }> = new Map([
  [SHB_TYPE, { name: 'section header', bytes: 28 }],
  [1, { name: 'interface description', bytes: 20 }],
  [2, { name: 'packet', bytes: 32 }],
  [3, { name: 'simple packet', bytes: 16 }],
  [6, { name: 'enhanced packet', bytes: 32 }],
  [0x00000bad, { name: 'custom', bytes: 16 }],
  [0x40000bad, { name: 'custom', bytes: 16 }],
]);

interface Interface {
  linkType: number;
  snaplen: number;
  name?: string;
  description?: string;
  /** Timestamp units per second (1e6 unless if_tsresol says otherwise). */
  unitsPerSecond: number;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSeconds: number;
}

export class PcapngParser implements RecordParser {
  stopped = false;
  private littleEndian = true;
  private inSection = false;
  private interfaces: Interface[] = [];
  private frame = 0;
  private readonly packet = new PacketCursor();

  constructor(private readonly context: ParserContext) {}

  parse(bytes: Uint8Array, view: DataView, start: number, end: number, base: number): number {
    let at = start;
    const emit = this.context.emit;
    while (end - at >= 12) {
      const type = this.blockType(view, at);
      if (type === SHB_TYPE) this.readByteOrder(view, at, end, base);
      if (!this.inSection) {
        throw new CaptureError(this.context.file, base + at, `expected a pcapng section header block, found block type 0x${type.toString(16)}`);
      }
      const le = this.littleEndian;
      const length = view.getUint32(at + 4, le);
      if (length < 12 || length % 4 !== 0) {
        throw new CaptureError(this.context.file, base + at, `pcapng block of type 0x${type.toString(16)} has a bad length ${length} (must be a multiple of 4, at least 12)`);
      }
      const minimum = MIN_BLOCK_LENGTH.get(type);
      if (minimum !== undefined && length < minimum.bytes) {
        throw new CaptureError(this.context.file, base + at, `pcapng ${minimum.name} block (type 0x${type.toString(16)}) is ${length} bytes, shorter than its fixed fields (${minimum.bytes} bytes)`);
      }
      if (length > MAX_BLOCK_BYTES) throw tooLarge(this.context.file, base + at, `pcapng block of type 0x${type.toString(16)}`, length);
      if (end - at < length) break;
      const trailer = view.getUint32(at + length - 4, le);
      if (trailer !== length) {
        throw new CaptureError(this.context.file, base + at, `pcapng block of type 0x${type.toString(16)} says ${length} bytes at its start but ${trailer} at its end`);
      }
      const emitted = this.readBlock(type, bytes, view, at, length, base);
      at += length;
      if (emitted && emit(this.packet) === false) {
        this.stopped = true;
        break;
      }
    }
    return at;
  }

  finish(view: DataView, start: number, end: number, base: number): void {
    const leftover = end - start;
    if (leftover === 0) return;
    if (leftover < 12) {
      throw new CaptureError(this.context.file, base + start, `file ends inside a pcapng block header (${leftover} of 12 bytes; truncated capture)`);
    }
    const length = view.getUint32(start + 4, this.littleEndian);
    throw new CaptureError(this.context.file, base + start, `file ends inside a pcapng block that claims ${length} bytes; only ${leftover} follow (truncated capture)`);
  }

  private blockType(view: DataView, at: number): number {
    // SHB's type reads the same in both byte orders.
    return view.getUint32(at, this.littleEndian);
  }

  private readByteOrder(view: DataView, at: number, end: number, base: number): void {
    if (end - at < 12) return;
    const magic = view.getUint32(at + 8, true);
    if (magic === BYTE_ORDER_MAGIC) this.littleEndian = true;
    else if (magic === 0x4d3c2b1a) this.littleEndian = false;
    else throw new CaptureError(this.context.file, base + at + 8, `pcapng section header has a bad byte-order magic 0x${magic.toString(16)}`);
    this.inSection = true;
  }

  /** Returns true when the block produced a packet (in this.packet). */
  private readBlock(type: number, bytes: Uint8Array, view: DataView, at: number, length: number, base: number): boolean {
    const le = this.littleEndian;
    switch (type) {
      case SHB_TYPE:
        this.interfaces = [];
        return false;
      case 1:
        this.interfaces.push(this.readInterface(bytes, view, at, length));
        return false;
      case 6:
      case 2: {
        const enhanced = type === 6;
        const interfaceId = enhanced ? view.getUint32(at + 8, le) : view.getUint16(at + 8, le);
        const iface = this.interfaces[interfaceId];
        if (!iface) {
          throw new CaptureError(this.context.file, base + at, `packet block names interface ${interfaceId}, but the section describes only ${this.interfaces.length}`);
        }
        const caplen = view.getUint32(at + 20, le);
        if (caplen > length - 32) {
          throw new CaptureError(this.context.file, base + at, `packet block claims ${caplen} captured bytes in a ${length}-byte block`);
        }
        this.fill(iface, interfaceId, view.getUint32(at + 12, le), view.getUint32(at + 16, le));
        this.setData(bytes, view, at + 28, caplen, view.getUint32(at + 24, le), iface.linkType, base + at);
        return true;
      }
      case 3: {
        const iface = this.interfaces[0];
        if (!iface) throw new CaptureError(this.context.file, base + at, 'simple packet block before any interface description block');
        const len = view.getUint32(at + 8, le);
        let caplen = Math.min(len, length - 16);
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        this.packet.timeSec = 0;
        this.packet.timeNsec = 0;
        this.packet.interfaceId = 0;
        this.setName(iface);
        this.setData(bytes, view, at + 12, caplen, len, iface.linkType, base + at);
        return true;
      }
      case 0x00000bad:
      case 0x40000bad: {
        const size = length - 16;
        this.packet.timeSec = 0;
        this.packet.timeNsec = 0;
        delete this.packet.interfaceId;
        delete this.packet.interfaceName;
        delete this.packet.interfaceDescription;
        this.setData(bytes, view, at + 12, size, size, PCAPNG_CUSTOM_BLOCK, base + at);
        return true;
      }
      default:
        return false;
    }
  }

  private setData(bytes: Uint8Array, view: DataView, start: number, caplen: number, len: number, linkType: number, fileOffset: number): void {
    const packet = this.packet;
    packet.frame = ++this.frame;
    packet.caplen = caplen;
    packet.len = len;
    packet.linkType = linkType;
    packet.fileOffset = fileOffset;
    packet.bytes = bytes;
    packet.view = view;
    packet.start = start;
  }

  private setName(iface: Interface): void {
    if (iface.name !== undefined) this.packet.interfaceName = iface.name;
    else delete this.packet.interfaceName;
    if (iface.description !== undefined) this.packet.interfaceDescription = iface.description;
    else delete this.packet.interfaceDescription;
  }

  private fill(iface: Interface, interfaceId: number, high: number, low: number): void {
    const packet = this.packet;
    packet.interfaceId = interfaceId;
    this.setName(iface);
    const units = iface.unitsPerSecond;
    if (units <= 1e6 && high < 0x200000) {
      // high·2³² + low stays below 2⁵³ here: plain numbers are exact.
      const ticks = high * 4294967296 + low;
      const sec = Math.floor(ticks / units);
      packet.timeSec = sec + iface.offsetSeconds;
      packet.timeNsec = Math.round(((ticks - sec * units) * 1e9) / units);
    } else {
      const ticks = (BigInt(high) << 32n) | BigInt(low);
      const per = BigInt(units);
      const sec = ticks / per;
      packet.timeSec = Number(sec) + iface.offsetSeconds;
      packet.timeNsec = Number(((ticks - sec * per) * 1_000_000_000n) / per);
    }
  }

  private readInterface(bytes: Uint8Array, view: DataView, at: number, length: number): Interface {
    const le = this.littleEndian;
    const iface: Interface = {
      linkType: view.getUint16(at + 8, le),
      snaplen: view.getUint32(at + 12, le),
      unitsPerSecond: 1e6,
      offsetSeconds: 0,
    };
    const end = at + length - 4;
    let option = at + 16;
    while (option + 4 <= end) {
      const code = view.getUint16(option, le);
      const size = view.getUint16(option + 2, le);
      const value = option + 4;
      if (code === 0 || value + size > end) break;
      if (code === 2) iface.name = new TextDecoder().decode(bytes.subarray(value, value + size)).replace(/\0+$/, '');
      if (code === 3) iface.description = new TextDecoder().decode(bytes.subarray(value, value + size)).replace(/\0+$/, '');
      if (code === 9 && size >= 1) {
        const resolution = view.getUint8(value);
        const exponent = resolution & 0x7f;
        iface.unitsPerSecond = resolution & 0x80 ? 2 ** exponent : 10 ** exponent;
      }
      if (code === 14 && size >= 8) iface.offsetSeconds = Number(view.getBigInt64(value, le));
      option = value + size + ((4 - (size % 4)) % 4);
    }
    return iface;
  }
}
