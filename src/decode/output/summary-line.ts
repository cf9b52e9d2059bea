// One line per packet, like tshark's default output. Tunnels are shown outer
// first and marked, then the innermost packet:
//   VXLAN 1 10.74.107.63 → 10.74.107.62 | 192.168.1.7 → 192.168.2.12 TCP 50058 → 80 [SYN] …
// Text from the capture (HTTP lines, NFLOG prefixes) is escaped by the caller (util/escape-text.ts).
import { icmpTypeName } from '../layers/icmp.ts';
import { icmpv6TypeName } from '../layers/icmpv6.ts';
import { flagText } from '../layers/tcp.ts';
import type { Layer } from '../types.ts';

const TUNNEL_NAMES: Record<string, string> = { vxlan: 'VXLAN', geneve: 'Geneve', gre: 'GRE', ipip: 'IPIP' };

function tunnelLabel(layer: Layer): string {
  if (layer.type === 'vxlan' || layer.type === 'geneve') return `${TUNNEL_NAMES[layer.type]} ${layer.vni}`;
  if (layer.type === 'gre') return layer.key !== undefined ? `GRE key ${layer.key}` : 'GRE';
  if (layer.type === 'ipip') return layer.inner === 'ipv6' ? '6in4' : 'IPIP';
  return '';
}

/** The packet body of a summary line (without frame number and time). */
export function summarize(layers: readonly Layer[]): string {
  const segments: string[] = [];
  let addresses = '';
  let linkAddresses = '';
  let described = '';
  let quotedNote = '';
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i] as Layer;
    if (layer.quoted) {
      if (layer.type === 'ipv4' || layer.type === 'ipv6') quotedNote += ` (quoted ${layer.src} → ${layer.dst}`;
      else if (layer.type === 'udp' || layer.type === 'tcp') quotedNote += ` ${layer.type.toUpperCase()} ${layer.sport} → ${layer.dport}`;
      continue;
    }
    switch (layer.type) {
      case 'ethernet':
        linkAddresses = `${layer.src} → ${layer.dst}`;
        addresses = '';
        break;
      case 'ipv4':
      case 'ipv6':
        addresses = `${layer.src} → ${layer.dst}`;
        described = layer.type === 'ipv4' ? 'IPv4' : 'IPv6';
        if (layer.fragment) described += ` fragment offset=${layer.type === 'ipv4' ? layer.fragmentOffset : layer.fragmentOffset ?? 0}${layer.moreFragments ? ' MF' : ''}`;
        break;
      case 'vxlan':
      case 'geneve':
      case 'gre':
      case 'ipip':
        segments.push(`${tunnelLabel(layer)} ${addresses}`);
        addresses = '';
        described = '';
        break;
      case 'arp':
        addresses = linkAddresses;
        described =
          layer.opcode === 1
            ? `ARP Who has ${layer.targetIp}? Tell ${layer.senderIp}`
            : layer.opcode === 2
              ? `ARP ${layer.senderIp} is at ${layer.senderMac}`
              : `ARP opcode ${layer.opcode}`;
        break;
      case 'icmp':
        described = `ICMP ${icmpTypeName(layer.icmpType)}${layer.id !== undefined ? ` id=0x${layer.id.toString(16).padStart(4, '0')}, seq=${layer.seq}` : ''}${layer.icmpType === 3 ? ` code ${layer.code}` : ''}`;
        break;
      case 'icmpv6':
        described = `ICMPv6 ${icmpv6TypeName(layer.icmpType)}${layer.id !== undefined ? ` id=0x${layer.id.toString(16).padStart(4, '0')}, seq=${layer.seq}` : ''}`;
        break;
      case 'udp':
        described = `UDP ${layer.sport} → ${layer.dport} Len=${Math.max(0, (layer.udpLength || 8) - 8)}`;
        break;
      case 'tcp':
        described = `TCP ${layer.sport} → ${layer.dport} [${flagText(layer.flags)}] Seq=${layer.seq}${layer.flags.ack ? ` Ack=${layer.ack}` : ''} Win=${layer.window} Len=${layer.payloadLength}`;
        break;
      case 'http':
        described = `HTTP ${layer.firstLine}${layer.host !== undefined ? ` (Host: ${layer.host})` : ''}`;
        break;
      case 'nflog':
        if (layer.prefix) segments.push(`NFLOG group ${layer.group} "${layer.prefix}"`);
        break;
      case 'payload':
        if (layer.protocol !== undefined && layer.protocol !== 'ipv4-fragment' && layer.protocol !== 'ipv6-fragment') described += ` ${layer.protocol.toUpperCase()}`;
        if (!described) described = layer.protocol ?? `Data (${layer.length} bytes)`;
        break;
      case 'malformed':
        described += ` [Malformed ${layer.protocol}: ${layer.reason}]`;
        break;
      default:
        break;
    }
  }
  if (quotedNote) described += quotedNote + ')';
  const inner = `${addresses || linkAddresses} ${described.trim()}`.trim();
  segments.push(inner);
  return segments.join(' | ');
}
