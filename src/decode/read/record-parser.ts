// What the pcap and pcapng readers share. A RecordParser reads as many whole
// records as one buffer holds and hands each to `emit` synchronously, reusing one
// CapturedPacket object (gopacket's DecodingLayerParser idea): the fast path
// allocates nothing per packet. The driver (stream.ts) keeps the unread tail and
// prepends it to the next chunk.
import { CaptureError } from '../../errors.ts';
import type { CapturedPacket, CaptureWarning } from '../types.ts';

/** Largest record podpath accepts: 1 MiB. tshark's limit is 256 KiB; BIG TCP super-packets reach 512 KiB. */
export const MAX_RECORD_BYTES = 1 << 20;

/** Returns false to stop reading (e.g. `-c N` reached). */
export type EmitPacket = (packet: PacketCursor) => boolean | void;

export interface RecordParser {
  /**
   * Parses whole records in bytes[start, end) of `bytes` (whose first byte is at file offset
   * `base`) and returns the index of the first byte not consumed. Throws CaptureError on damage.
   */
  parse(bytes: Uint8Array, view: DataView, start: number, end: number, base: number): number;
  /** True once `emit` asked to stop. */
  readonly stopped: boolean;
  /** Called at end of input with the bytes left unconsumed (bytes[start, end)); throws if they are a cut record. */
  finish(view: DataView, start: number, end: number, base: number): void;
}

export interface ParserContext {
  file: string;
  emit: EmitPacket;
  warn: (warning: CaptureWarning) => void;
}

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

/**
 * The one packet object a parser reuses. It points into the chunk (`bytes`, `view`,
 * `start`) instead of slicing it, so the fast path allocates nothing per packet;
 * `data` makes the slice only when someone asks for it.
 */
export class PacketCursor implements CapturedPacket {
  frame = 0;
  timeSec = 0;
  timeNsec = 0;
  caplen = 0;
  len = 0;
  linkType = 0;
  fileOffset = 0;
  interfaceId?: number;
  interfaceName?: string;
  interfaceDescription?: string;
  bytes: Uint8Array = EMPTY;
  view: DataView = EMPTY_VIEW;
  start = 0;

  get data(): Uint8Array {
    return this.bytes.subarray(this.start, this.start + this.caplen);
  }

  /** A standalone copy (fresh object; its data still views the chunk, which is never reused). */
  snapshot(): CapturedPacket {
    const copy: CapturedPacket = {
      frame: this.frame,
      timeSec: this.timeSec,
      timeNsec: this.timeNsec,
      caplen: this.caplen,
      len: this.len,
      linkType: this.linkType,
      fileOffset: this.fileOffset,
      data: this.data,
    };
    if (this.interfaceId !== undefined) copy.interfaceId = this.interfaceId;
    if (this.interfaceName !== undefined) copy.interfaceName = this.interfaceName;
    if (this.interfaceDescription !== undefined) copy.interfaceDescription = this.interfaceDescription;
    return copy;
  }
}

export function tooLarge(file: string, offset: number, what: string, claimed: number): CaptureError {
  return new CaptureError(
    file,
    offset,
    `${what} claims ${claimed} bytes, more than the ${MAX_RECORD_BYTES}-byte limit (corrupt length field?)`,
  );
}
