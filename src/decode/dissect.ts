// The decode loop: start from the link type, let each layer module scan its header
// and name what follows, resolve that through the registry, repeat. Then, only when
// output needs them, build the public Layer objects.
import { CODECS, firstKind, portTable, resolveNext, type PortTable } from './registry.ts';
import { Dissection, Kind, MAX_LAYERS, NextBy } from './dissection.ts';
import { PCAPNG_CUSTOM_BLOCK } from './read/pcapng.ts';
import { PacketCursor } from './read/record-parser.ts';
import type { CapturedPacket, DecodedPacket, DecodeOptions, Layer } from './types.ts';
import { str, type LayerCodec } from './layers/codec.ts';
import { encoded, putByte, putBytes, putUint, putUintZeroPadded, StringSink, type ByteSink } from './output/sink.ts';
import { SCHEMA_VERSION } from '../util/json-output.ts';
import { ethernet } from './layers/ethernet.ts';
import { KIND_NAMES } from './layers/payload.ts';
import { http } from './layers/http.ts';
import { ipv4 } from './layers/ipv4.ts';
import { ipv6 } from './layers/ipv6.ts';
import { tcp } from './layers/tcp.ts';
import { udp } from './layers/udp.ts';
import { vlan } from './layers/vlan.ts';
import { vxlan } from './layers/vxlan.ts';

/** Dissects bytes[start, end) of a chunk; offsets in `d` are positions in `bytes`. */
export function dissect(d: Dissection, bytes: Uint8Array, view: DataView, start: number, end: number, linkType: number, table: PortTable): void {
  d.reset(bytes, view, start, end, linkType);
  d.payloadName = undefined;
  let kind = firstKind(linkType);
  let offset = start;
  if (kind === Kind.NONE) {
    d.payloadName = linkType === PCAPNG_CUSTOM_BLOCK ? 'pcapng-custom-block' : `link-type-${linkType}`;
  } else if (kind === Kind.RAW_IP) {
    d.nextBy = NextBy.KIND;
    d.nextValue = Kind.RAW_IP;
    kind = resolveNext(d, table, offset, end);
    if (d.count > 0) return; // malformed
  }
  while (kind !== Kind.NONE && kind !== Kind.PAYLOAD && d.count < MAX_LAYERS - 1) {
    const before = d.count;
    scanKind(kind, d, offset, end);
    if (d.count === before || d.kinds[d.count - 1] === Kind.MALFORMED) return;
    const last = d.count - 1;
    offset = (d.offsets[last] as number) + (d.lengths[last] as number);
    end = d.ends[last] as number;
    kind = resolveNext(d, table, offset, end);
  }
  if (kind !== Kind.NONE && kind !== Kind.PAYLOAD && d.count >= MAX_LAYERS - 1) {
    // VXLAN in GRE fifty times over: the rest is left undecoded, and said so, not silently payload.
    d.payloadName = depthLimitNote(kind);
  }
  if (offset < end && d.count < MAX_LAYERS) {
    const i = d.push(Kind.PAYLOAD, offset, end - offset, end);
    d.notes[i] = d.payloadName;
  }
}

const depthNotes = new Map<number, string>();

/** The payload's name when the layer limit stopped decoding (one constant string per kind). */
function depthLimitNote(next: number): string {
  let note = depthNotes.get(next);
  if (note === undefined) {
    note = `not decoded: ${KIND_NAMES[next] ?? 'another layer'} would be layer ${MAX_LAYERS}, past podpath's limit of ${MAX_LAYERS - 1} decoded layers`;
    depthNotes.set(next, note);
  }
  return note;
}

/**
 * One call site per layer module instead of CODECS[kind].scan(): each stays monomorphic,
 * so V8 inlines the scans (the loop ran ~1.5× slower through the table).
 */
function scanKind(kind: number, d: Dissection, offset: number, end: number): void {
  switch (kind) {
    case Kind.ETHERNET: return ethernet.scan(d, offset, end);
    case Kind.IPV4: return ipv4.scan(d, offset, end);
    case Kind.UDP: return udp.scan(d, offset, end);
    case Kind.TCP: return tcp.scan(d, offset, end);
    case Kind.VXLAN: return vxlan.scan(d, offset, end);
    case Kind.IPV6: return ipv6.scan(d, offset, end);
    case Kind.VLAN: return vlan.scan(d, offset, end);
    case Kind.HTTP: return http.scan(d, offset, end);
    default: CODECS[kind]?.scan(d, offset, end);
  }
}

/** Builds the public Layer objects from a dissection. */
export function layersOf(d: Dissection): Layer[] {
  const layers: Layer[] = [];
  for (let i = 0; i < d.count; i++) {
    const codec = CODECS[d.kinds[i] as number];
    if (codec) layers.push(codec.describe(d, i));
  }
  return layers;
}

const FRAME = encoded(`{"schemaVersion":${SCHEMA_VERSION},"frame":`);
const TIME = encoded(',"time":"');
const CAPLEN = encoded('","caplen":');
const LEN = encoded(',"len":');
const LINK_TYPE = encoded(',"linkType":');
const LAYERS = encoded(',"layers":[');
const END = encoded(']}');
/** Room for the record's fields before the layers: the constants and five numbers, the time two. */
const HEAD_BYTES = [FRAME, TIME, CAPLEN, LEN, LINK_TYPE].reduce((sum, c) => sum + c.length, 0) + 7 * 16 + 1;

/**
 * The packet as one JSON line (without the line break), written by hand as bytes from the
 * dissection: each layer's codec writes its own object (LayerCodec.jsonTo, or json() of its
 * Layer for the rare layers). The same text as JSON.stringify(decodedPacket) in key order.
 */
export function writePacketJson(packet: CapturedPacket, d: Dissection, out: ByteSink): void {
  const w = out.reserve(HEAD_BYTES);
  let o = putUint(w, putBytes(w, out.used, FRAME), packet.frame);
  o = putEpoch(w, putBytes(w, o, TIME), packet.timeSec, packet.timeNsec);
  o = putUint(w, putBytes(w, o, CAPLEN), packet.caplen);
  o = putUint(w, putBytes(w, o, LEN), packet.len);
  o = putBytes(w, o, LINK_TYPE);
  out.used = packet.linkType < 0 ? putUint(w, putByte(w, o, 0x2d), -packet.linkType) : putUint(w, o, packet.linkType);
  if (packet.interfaceId !== undefined) out.ascii(`,"interfaceId":${packet.interfaceId}`);
  if (packet.interfaceName !== undefined) out.ascii(`,"interfaceName":${str(packet.interfaceName)}`);
  if (packet.interfaceDescription !== undefined) out.ascii(`,"interfaceDescription":${str(packet.interfaceDescription)}`);
  out.bytes(LAYERS);
  for (let i = 0; i < d.count; i++) {
    const codec = CODECS[d.kinds[i] as number] as LayerCodec;
    if (i > 0) out.byte(0x2c); // ,
    if (codec.jsonTo) codec.jsonTo(d, i, out);
    else out.ascii(codec.json(codec.describe(d, i)));
  }
  out.bytes(END);
}

/** The packet as one JSON line, as a string (tests, and callers that want the text). */
export function packetJson(packet: CapturedPacket, d: Dissection): string {
  writePacketJson(packet, d, jsonScratch);
  return jsonScratch.take();
}

const jsonScratch = new StringSink();

/** Epoch seconds with 9 decimals (timeText()) as bytes: up to 16 + 1 + 16 bytes. */
function putEpoch(w: DataView, at: number, sec: number, nsec: number): number {
  return putUintZeroPadded(w, putByte(w, putUint(w, at, sec), 0x2e), nsec, 9);
}

const NANO_PAD = '000000000';

/** Epoch seconds as exact decimal text with 9 digits, as tshark prints frame.time_epoch. */
export function timeText(sec: number, nsec: number): string {
  const fraction = String(nsec);
  return `${sec}.${NANO_PAD.slice(fraction.length)}${fraction}`;
}

const shared = new Dissection();

/** Dissects a packet in place when it is a reader's cursor (no copy, no view), else its data. */
export function dissectPacket(d: Dissection, packet: CapturedPacket, table: PortTable): void {
  if (packet instanceof PacketCursor) {
    dissect(d, packet.bytes, packet.view, packet.start, packet.start + packet.caplen, packet.linkType, table);
  } else {
    const data = packet.data;
    dissect(d, data, new DataView(data.buffer, data.byteOffset, data.byteLength), 0, data.length, packet.linkType, table);
  }
}

export function decodePacket(packet: CapturedPacket, options?: DecodeOptions): DecodedPacket {
  dissectPacket(shared, packet, portTable(options));
  return decodedPacket(packet, layersOf(shared));
}

/** The packet's record facts with its decoded layers. */
export function decodedPacket(packet: CapturedPacket, layers: Layer[]): DecodedPacket {
  const decoded: DecodedPacket = {
    frame: packet.frame,
    time: timeText(packet.timeSec, packet.timeNsec),
    caplen: packet.caplen,
    len: packet.len,
    linkType: packet.linkType,
    layers,
  };
  if (packet.interfaceId !== undefined) decoded.interfaceId = packet.interfaceId;
  if (packet.interfaceName !== undefined) decoded.interfaceName = packet.interfaceName;
  if (packet.interfaceDescription !== undefined) decoded.interfaceDescription = packet.interfaceDescription;
  return decoded;
}
