// -V: the layered view, one section per layer as Wireshark names them (Frame,
// Ethernet II, Internet Protocol Version 4, User Datagram Protocol, Virtual
// eXtensible Local Area Network, Ethernet II, …, Hypertext Transfer Protocol),
// and -x: the bytes as tshark -x prints them.
import { CODECS } from '../registry.ts';
import { Kind } from '../dissection.ts';
import { hexByte } from '../layers/text.ts';
import { LINK_TYPE_NAMES, named } from '../layers/names.ts';
import type { DecodedPacket, Layer } from '../types.ts';

const KIND_BY_TYPE = new Map<string, number>(
  Object.entries(Kind).map(([name, kind]) => [name.toLowerCase(), kind]),
);
KIND_BY_TYPE.set('null', Kind.NULL);

function codecFor(layer: Layer) {
  return CODECS[KIND_BY_TYPE.get(layer.type) ?? -1];
}

export function detailLines(packet: DecodedPacket): string[] {
  const lines: string[] = [
    `Frame ${packet.frame}: ${packet.len} bytes on wire (${packet.len * 8} bits), ${packet.caplen} bytes captured (${packet.caplen * 8} bits)${packet.interfaceName !== undefined ? ` on interface ${packet.interfaceName}, id ${packet.interfaceId ?? 0}` : packet.interfaceId !== undefined ? ` on interface ${packet.interfaceId}` : ''}`,
    `    Epoch Time: ${packet.time} seconds`,
    `    Link type: ${named(LINK_TYPE_NAMES, packet.linkType)}`,
  ];
  let depth = 0;
  for (const layer of packet.layers) {
    const codec = codecFor(layer);
    if (!codec) continue;
    const { title, lines: body } = (codec.detail as (l: Layer) => { title: string; lines: string[] })(layer);
    const indent = layer.quoted ? '    ' : '';
    if (layer.type === 'ipip') depth = 0;
    lines.push(`${indent}${title}${layer.quoted ? ' (quoted in ICMP error)' : ''}`);
    for (const line of body) lines.push(`${indent}    ${line}`);
  }
  void depth;
  return lines;
}

/** tshark -x style (4.0): offset, 16 hex bytes, ASCII. */
export function hexLines(data: Uint8Array): string[] {
  const lines: string[] = [];
  for (let at = 0; at < data.length; at += 16) {
    const row = data.subarray(at, at + 16);
    let hex = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      if (i < row.length) {
        const byte = row[i] as number;
        hex += hexByte(byte) + ' ';
        ascii += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
      } else hex += '   ';
    }
    lines.push(`${at.toString(16).padStart(4, '0')}  ${hex} ${ascii}`);
  }
  return lines;
}
