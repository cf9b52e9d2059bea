// A decoded packet turned into what the capture pane shows: one summary row, a
// layer tree (outer layers, then the tunnelled ones indented), and the bytes for
// the hex view. Built once per kept packet, all strings escaped here, because
// captured bytes (HTTP lines, NFLOG prefixes) may hold terminal escapes.
import type { DecodedPacket, Layer } from '../../decode/types.ts';
import type { TraceResult } from '../../trace/model.ts';
import { escapeLine } from '../../util/escape-text.ts';
import { IP_PROTOCOL_NAMES } from '../../decode/layers/names.ts';

export interface LayerLine {
  /** Tunnel depth: 0 outer, 1 inside the first tunnel, … */
  depth: number;
  title: string;
  fields: string[];
  offset: number;
  length: number;
}

export interface CaptureRow {
  /** The capture file's name, when several were given (frame numbers restart per file). */
  source?: string;
  /** Index of the capture file in the list given (with frame, names the packet the explainer speaks of). */
  file: number;
  frame: number;
  time: string;
  summary: string;
  layers: LayerLine[];
  /** A copy of the first bytes (at most HEX_LIMIT), for the hex view. */
  bytes: Uint8Array;
  caplen: number;
  /** The packet belongs to the traced connection (either direction). */
  marked: boolean;
  searchText: string;
}

export const HEX_LIMIT = 2048;

const protoNames = IP_PROTOCOL_NAMES;
const hex = (n: number, width = 4): string => `0x${n.toString(16).padStart(width, '0')}`;

function describe(layer: Layer): { title: string; fields: string[] } {
  switch (layer.type) {
    case 'ethernet':
      return { title: `Ethernet II, Src: ${layer.src}, Dst: ${layer.dst}`, fields: [`Type: ${hex(layer.ethertype)}`] };
    case 'vlan':
      return { title: `802.1Q VLAN, ID: ${layer.id}`, fields: [`Priority: ${layer.priority}`, `Type: ${hex(layer.ethertype)}`] };
    case 'arp':
      return {
        title: `ARP ${layer.opcode === 1 ? 'request' : layer.opcode === 2 ? 'reply' : `op ${layer.opcode}`}`,
        fields: [`Sender: ${layer.senderMac} ${layer.senderIp}`, `Target: ${layer.targetMac} ${layer.targetIp}`],
      };
    case 'ipv4':
      return {
        title: `Internet Protocol Version 4, Src: ${layer.src}, Dst: ${layer.dst}`,
        fields: [
          `Protocol: ${protoNames[layer.proto] ?? layer.proto} (${layer.proto})`,
          `TTL: ${layer.ttl}  ID: ${hex(layer.id)}  Total length: ${layer.totalLength}`,
          ...(layer.fragment ? [`Fragment: offset ${layer.fragmentOffset}${layer.moreFragments ? ', more' : ''}`] : []),
        ],
      };
    case 'ipv6':
      return {
        title: `Internet Protocol Version 6, Src: ${layer.src}, Dst: ${layer.dst}`,
        fields: [`Next header: ${protoNames[layer.proto] ?? layer.proto} (${layer.proto})`, `Hop limit: ${layer.ttl}`],
      };
    case 'icmp':
    case 'icmpv6':
      return {
        title: `${layer.type === 'icmp' ? 'ICMP' : 'ICMPv6'} type ${layer.icmpType} code ${layer.code}`,
        fields: layer.id === undefined ? [] : [`id ${layer.id} seq ${layer.seq ?? '?'}`],
      };
    case 'udp':
      return { title: `User Datagram Protocol, Src Port: ${layer.sport}, Dst Port: ${layer.dport}`, fields: [`Length: ${layer.udpLength}`] };
    case 'tcp':
      return {
        title: `Transmission Control Protocol, Src Port: ${layer.sport}, Dst Port: ${layer.dport}`,
        fields: [`Flags: [${tcpFlags(layer.flags)}]  Seq: ${layer.seq}  Ack: ${layer.ack}`, `Window: ${layer.window}  Len: ${layer.payloadLength}`],
      };
    case 'vxlan':
      return { title: `Virtual eXtensible Local Area Network, VNI: ${layer.vni}`, fields: [`Flags: ${hex(layer.flags, 2)}`] };
    case 'geneve':
      return { title: `Geneve, VNI: ${layer.vni}`, fields: [`Protocol: ${hex(layer.protocol)}`] };
    case 'gre':
      return { title: `Generic Routing Encapsulation, Protocol: ${hex(layer.protocol)}`, fields: layer.key === undefined ? [] : [`Key: ${layer.key}`] };
    case 'ipip':
      return { title: `IP-in-IP (${layer.inner} inside)`, fields: [] };
    case 'http':
      return { title: `Hypertext Transfer Protocol: ${layer.firstLine}`, fields: layer.host === undefined ? [] : [`Host: ${layer.host}`] };
    case 'sll':
      return { title: `Linux cooked capture v1, ${sllType(layer.packetType)}`, fields: [`Address: ${layer.address}`, `Protocol: ${hex(layer.protocol)}`] };
    case 'sll2':
      return { title: `Linux cooked capture v2, ${sllType(layer.packetType)}, ifindex ${layer.interfaceIndex}`, fields: [`Protocol: ${hex(layer.protocol)}`] };
    case 'null':
      return { title: `Null/Loopback, family ${layer.family}`, fields: [] };
    case 'nflog':
      return { title: `NFLOG group ${layer.group}`, fields: layer.prefix === undefined ? [] : [`Prefix: ${layer.prefix}`] };
    case 'payload':
      return { title: `Data${layer.protocol ? ` (${layer.protocol})` : ''}, ${layer.length} bytes`, fields: [] };
    case 'malformed':
      return { title: `Malformed ${layer.protocol}: ${layer.reason}`, fields: [] };
  }
}

function sllType(t: number): string {
  return ['to us', 'broadcast', 'multicast', 'to another host', 'sent by us'][t] ?? `type ${t}`;
}

export function tcpFlags(f: { syn: boolean; ack: boolean; fin: boolean; rst: boolean; psh: boolean; urg: boolean }): string {
  const names: string[] = [];
  if (f.syn) names.push('SYN');
  if (f.fin) names.push('FIN');
  if (f.rst) names.push('RST');
  if (f.psh) names.push('PSH');
  if (f.urg) names.push('URG');
  if (f.ack) names.push('ACK');
  return names.join(', ');
}

const tunnels = new Set(['vxlan', 'geneve', 'gre', 'ipip']);

export function layerLines(layers: Layer[]): LayerLine[] {
  let depth = 0;
  return layers.map((layer) => {
    const { title, fields } = describe(layer);
    const line: LayerLine = {
      depth,
      title: escapeLine(title),
      fields: fields.map(escapeLine),
      offset: layer.offset,
      length: layer.length,
    };
    if (tunnels.has(layer.type)) depth++;
    return line;
  });
}

/** One-line summary, tunnel first then the innermost packet, like `podpath decode`. */
export function summarize(layers: Layer[]): string {
  const parts: string[] = [];
  let ip: { src: string; dst: string } | undefined;
  let transport = '';
  let tunnel = '';
  let lastNamed = '';
  let http = '';
  for (const layer of layers) {
    if (layer.type === 'ipv4' || layer.type === 'ipv6') {
      ip = layer;
      transport = protoNames[layer.proto] ?? `proto ${layer.proto}`;
    } else if (layer.type === 'vxlan' || layer.type === 'geneve') {
      tunnel = `${layer.type === 'vxlan' ? 'VXLAN' : 'Geneve'} ${layer.vni}${ip ? ` ${ip.src} → ${ip.dst}` : ''} | `;
      ip = undefined;
      transport = '';
    } else if (layer.type === 'ipip' || layer.type === 'gre') {
      tunnel = `${layer.type === 'ipip' ? 'IPIP' : 'GRE'}${ip ? ` ${ip.src} → ${ip.dst}` : ''} | `;
      ip = undefined;
    } else if (layer.type === 'tcp') {
      const flags = tcpFlags(layer.flags);
      transport = `TCP ${layer.sport} → ${layer.dport}${flags ? ` [${flags}]` : ''}${layer.payloadLength ? ` len ${layer.payloadLength}` : ''}`;
    } else if (layer.type === 'udp') {
      transport = `UDP ${layer.sport} → ${layer.dport}`;
    } else if (layer.type === 'arp') {
      lastNamed = `ARP ${layer.opcode === 1 ? `who has ${layer.targetIp} tell ${layer.senderIp}` : `${layer.senderIp} is at ${layer.senderMac}`}`;
    } else if (layer.type === 'icmp' || layer.type === 'icmpv6') {
      if (!layer.quoted) transport = `${layer.type.toUpperCase()} ${layer.icmpType}/${layer.code}`;
    } else if (layer.type === 'http') {
      http = `HTTP ${layer.firstLine}`;
    } else if (layer.type === 'malformed') {
      lastNamed = `[malformed ${layer.protocol}]`;
    }
    if ('quoted' in layer && layer.quoted) break;
  }
  if (ip) parts.push(`${ip.src} → ${ip.dst}`);
  // The application line says most, as in tshark's Info column; the ports follow.
  if (http) parts.push(http);
  if (transport) parts.push(http ? `(${transport})` : transport);
  if (lastNamed) parts.push(lastNamed);
  return escapeLine(tunnel + (parts.join(' ') || 'non-IP frame'));
}

/** The connection the trace follows, in a form packets can be compared with. */
export interface FlowMatcher {
  (layers: Layer[]): boolean;
}

/**
 * Packets of the traced connection: the innermost IP header and ports equal one of
 * the trace's hop packets (before or after NAT), in either direction, or an ICMP
 * error quotes such a packet. The source port is compared only when the trace fixed
 * one (`--sport`).
 */
export function flowMatcher(trace: TraceResult): FlowMatcher {
  const keys = new Set<string>();
  for (const path of trace.paths) {
    for (const hop of path.hops) {
      const p = hop.packet;
      keys.add(`${p.src}|${p.dst}|${p.sport ?? '*'}|${p.dport ?? '*'}`);
      for (const step of hop.steps) {
        if (step.type !== 'nat') continue;
        const after = { ...p };
        for (const d of step.diffs) (after as Record<string, unknown>)[d.field] = d.new;
        keys.add(`${after.src}|${after.dst}|${after.sport ?? '*'}|${after.dport ?? '*'}`);
      }
    }
  }
  const has = (src: string, dst: string, sport: number | undefined, dport: number | undefined): boolean =>
    keys.has(`${src}|${dst}|${sport ?? '*'}|${dport ?? '*'}`) ||
    keys.has(`${src}|${dst}|*|${dport ?? '*'}`) ||
    keys.has(`${src}|${dst}|*|*`);
  const endpoints = (layers: Layer[], quoted: boolean) => {
    let ip: { src: string; dst: string } | undefined;
    let ports: { sport: number; dport: number } | undefined;
    for (const layer of layers) {
      if (Boolean(layer.quoted) !== quoted) continue;
      if (layer.type === 'ipv4' || layer.type === 'ipv6') {
        ip = layer;
        ports = undefined;
      } else if (layer.type === 'tcp' || layer.type === 'udp') ports = layer;
    }
    return { ip, ports };
  };
  const matches = ({ ip, ports }: ReturnType<typeof endpoints>): boolean =>
    ip !== undefined && (has(ip.src, ip.dst, ports?.sport, ports?.dport) || has(ip.dst, ip.src, ports?.dport, ports?.sport));
  // An ICMP error quoting the connection's packet belongs to it too (tshark's filters
  // match the quoted header the same way): it is often the answer the client got.
  return (layers) => matches(endpoints(layers, false)) || (layers.some((l) => l.quoted) && matches(endpoints(layers, true)));
}

export function toRow(decoded: DecodedPacket, data: Uint8Array, marked: boolean, source?: string, file = 0): CaptureRow {
  const layers = layerLines(decoded.layers);
  const summary = summarize(decoded.layers);
  return {
    ...(source === undefined ? {} : { source: escapeLine(source) }),
    file,
    frame: decoded.frame,
    time: decoded.time,
    summary,
    layers,
    bytes: data.slice(0, HEX_LIMIT),
    caplen: decoded.caplen,
    marked,
    searchText: [source ?? '', summary, ...layers.map((l) => l.title)].join('\n').toLowerCase(),
  };
}

/** Classic hex dump rows: offset, 16 bytes, ASCII (non-printables as dots). */
export function hexRows(bytes: Uint8Array, from = 0, count = Infinity): { offset: number; hex: string; ascii: string }[] {
  const rows: { offset: number; hex: string; ascii: string }[] = [];
  for (let offset = from * 16; offset < bytes.length && rows.length < count; offset += 16) {
    const chunk = bytes.subarray(offset, offset + 16);
    const cells: string[] = [];
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const b = chunk[i];
      cells.push(b === undefined ? '  ' : b.toString(16).padStart(2, '0'));
      ascii += b === undefined ? ' ' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    rows.push({ offset, hex: `${cells.slice(0, 8).join(' ')}  ${cells.slice(8).join(' ')}`, ascii });
  }
  return rows;
}
