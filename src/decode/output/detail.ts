// -V: the layered view, one section per layer as Wireshark names them (Frame,
// Ethernet II, Internet Protocol Version 4, User Datagram Protocol, Virtual
// eXtensible Local Area Network, Ethernet II, …, Hypertext Transfer Protocol),
// and -x: the bytes as tshark -x prints them.
import { codecOf } from '../registry.ts';
import { hexByte } from '../layers/text.ts';
import { LINK_TYPE_NAMES, named } from '../layers/names.ts';
import type { DecodedPacket, Layer } from '../types.ts';

/** One layer's section: its title as Wireshark names it, then its fields (the codec's detail()). */
export function layerDetail(layer: Layer): { title: string; lines: string[] } {
  return (codecOf(layer).detail as (l: Layer) => { title: string; lines: string[] })(layer);
}

/** A layer's section placed in the packet: `depth` counts the tunnels outside it (the UI indents by it). */
export interface LayerText {
  depth: number;
  title: string;
  lines: string[];
  offset: number;
  length: number;
}

/** Every layer's section, with its tunnel depth (a tunnel layer's codec says isTunnel). Not escaped. */
export function layerTexts(layers: readonly Layer[]): LayerText[] {
  let depth = 0;
  return layers.map((layer) => {
    const { title, lines } = layerDetail(layer);
    const text: LayerText = { depth, title, lines, offset: layer.offset, length: layer.length };
    if (codecOf(layer).isTunnel) depth++;
    return text;
  });
}

export function detailLines(packet: DecodedPacket): string[] {
  const lines: string[] = [
    `Frame ${packet.frame}: ${packet.len} bytes on wire (${packet.len * 8} bits), ${packet.caplen} bytes captured (${packet.caplen * 8} bits)${packet.interfaceName !== undefined ? ` on interface ${packet.interfaceName}, id ${packet.interfaceId ?? 0}` : packet.interfaceId !== undefined ? ` on interface ${packet.interfaceId}` : ''}`,
    `    Epoch Time: ${packet.time} seconds`,
    `    Link type: ${named(LINK_TYPE_NAMES, packet.linkType)}`,
  ];
  for (const layer of packet.layers) {
    const { title, lines: body } = layerDetail(layer);
    const indent = layer.quoted ? '    ' : '';
    lines.push(`${indent}${title}${layer.quoted ? ' (quoted in ICMP error)' : ''}`);
    for (const line of body) lines.push(`${indent}    ${line}`);
  }
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
