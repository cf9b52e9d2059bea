// Which layer comes next: the one table podpath consults (after gopacket's
// layers/ports.go and enums.go). Layer modules only say "next by EtherType 0x0800"
// or "next by UDP ports 35115 → 8472"; this file maps that to a layer module.
// VXLAN and Geneve ports can be added per run (--vxlan-port, a bundle's ip -d link).
import { Kind, NextBy, type Dissection } from './dissection.ts';
import type { LayerCodec } from './layers/codec.ts';
import { arp } from './layers/arp.ts';
import { ethernet } from './layers/ethernet.ts';
import { geneve } from './layers/geneve.ts';
import { gre } from './layers/gre.ts';
import { http, looksLikeHttp } from './layers/http.ts';
import { icmp } from './layers/icmp.ts';
import { icmpv6 } from './layers/icmpv6.ts';
import { ipip } from './layers/ipip.ts';
import { ipv4 } from './layers/ipv4.ts';
import { ipv6 } from './layers/ipv6.ts';
import { nflog } from './layers/nflog.ts';
import { nullLink } from './layers/null.ts';
import { malformed, payload } from './layers/payload.ts';
import { sll } from './layers/sll.ts';
import { sll2 } from './layers/sll2.ts';
import { tcp } from './layers/tcp.ts';
import { udp } from './layers/udp.ts';
import { vlan } from './layers/vlan.ts';
import { vxlan } from './layers/vxlan.ts';
import { LinkType, type DecodeOptions, type Layer } from './types.ts';
import { IP_PAYLOAD_NAMES } from './layers/names.ts';

/** Layer modules by Kind. */
export const CODECS: (LayerCodec | undefined)[] = [];
for (const codec of [ethernet, vlan, arp, ipv4, ipv6, icmp, icmpv6, udp, tcp, vxlan, geneve, gre, ipip, http, sll, sll2, nullLink, nflog, payload, malformed] as LayerCodec[]) {
  CODECS[codec.kind] = codec;
}

const CODEC_BY_TYPE = new Map<string, LayerCodec>();
for (const codec of CODECS) if (codec) CODEC_BY_TYPE.set(codec.type, codec);

/** The codec that decoded a Layer object (its text: detail, isTunnel). */
export function codecOf(layer: Layer): LayerCodec {
  return CODEC_BY_TYPE.get(layer.type) as LayerCodec;
}

export const DEFAULT_VXLAN_PORTS: readonly number[] = [4789, 8472];
export const DEFAULT_GENEVE_PORTS: readonly number[] = [6081];

/** First layer for a link type; Kind.NONE when podpath does not decode that link type. */
export function firstKind(linkType: number): number {
  switch (linkType) {
    case LinkType.ETHERNET:
      return Kind.ETHERNET;
    case LinkType.LINUX_SLL:
      return Kind.SLL;
    case LinkType.LINUX_SLL2:
      return Kind.SLL2;
    case LinkType.RAW:
    case LinkType.RAW_OPENBSD:
    case LinkType.RAW_BSDOS:
      return Kind.RAW_IP;
    case LinkType.NULL:
      return Kind.NULL;
    case LinkType.NFLOG:
      return Kind.NFLOG;
    default:
      return Kind.NONE;
  }
}

export function isDecodedLinkType(linkType: number): boolean {
  return firstKind(linkType) !== Kind.NONE;
}

const ETHERTYPE_LIST: [number, number][] = [
  [0x0800, Kind.IPV4],
  [0x86dd, Kind.IPV6],
  [0x0806, Kind.ARP],
  [0x8035, Kind.ARP], // RARP has ARP's format
  [0x8100, Kind.VLAN],
  [0x88a8, Kind.VLAN],
  [0x9100, Kind.VLAN],
  [0x6558, Kind.ETHERNET], // transparent Ethernet bridging (GRE, Geneve)
];
/** EtherType → Kind as a flat table: one indexed load per packet instead of a Map lookup. */
const ETHERTYPES = new Uint8Array(65536);
for (const [type, kind] of ETHERTYPE_LIST) ETHERTYPES[type] = kind;

const ETHERTYPE_NAMES = new Map<number, string>([
  [0x88cc, 'lldp'],
  [0x8847, 'mpls'],
  [0x8848, 'mpls'],
  [0x8863, 'pppoe'],
  [0x8864, 'pppoe'],
  [0x880b, 'ppp'],
  [0x88be, 'erspan'],
  [0x0004, 'llc'],
]);

const IP_PROTOCOLS: number[] = [];
IP_PROTOCOLS[1] = Kind.ICMP;
IP_PROTOCOLS[4] = Kind.IPIP;
IP_PROTOCOLS[6] = Kind.TCP;
IP_PROTOCOLS[17] = Kind.UDP;
IP_PROTOCOLS[41] = Kind.IPIP;
IP_PROTOCOLS[47] = Kind.GRE;
IP_PROTOCOLS[58] = Kind.ICMPV6;

const PORT_NAME_LIST: Record<number, string> = { 53: 'dns', 67: 'dhcp', 68: 'dhcp', 123: 'ntp', 161: 'snmp', 443: 'tls', 22: 'ssh', 389: 'ldap', 514: 'syslog', 5353: 'mdns', 17500: 'db-lsp-disc', 179: 'bgp' };
/**
 * Port → protocol name as a dense table: it is looked up for every TCP/UDP payload, nearly
 * always missing, and a miss on a sparse object walks its prototype chain.
 */
const PORT_NAMES: (string | undefined)[] = new Array<string | undefined>(65536).fill(undefined);
for (const [port, name] of Object.entries(PORT_NAME_LIST)) PORT_NAMES[Number(port)] = name;

/** Per-run port tables, built once per DecodeOptions object. */
export interface PortTable {
  udp: Uint8Array;
}

const tables = new WeakMap<DecodeOptions, PortTable>();
const defaultTable = buildPortTable({});

function buildPortTable(options: DecodeOptions): PortTable {
  const udpPorts = new Uint8Array(65536);
  for (const port of DEFAULT_GENEVE_PORTS) udpPorts[port] = Kind.GENEVE;
  for (const port of options.genevePorts ?? []) udpPorts[port] = Kind.GENEVE;
  for (const port of DEFAULT_VXLAN_PORTS) udpPorts[port] = Kind.VXLAN;
  for (const port of options.vxlanPorts ?? []) udpPorts[port] = Kind.VXLAN;
  return { udp: udpPorts };
}

export function portTable(options: DecodeOptions | undefined): PortTable {
  if (options === undefined) return defaultTable;
  let table = tables.get(options);
  if (!table) {
    table = buildPortTable(options);
    tables.set(options, table);
  }
  return table;
}

/** Resolves what the layer just scanned asked for; names the payload when it stays undecoded. */
export function resolveNext(d: Dissection, table: PortTable, offset: number, end: number): number {
  const value = d.nextValue;
  switch (d.nextBy) {
    case NextBy.KIND:
      if (value === Kind.RAW_IP) return rawIpKind(d, offset, end);
      if (value === Kind.PAYLOAD && d.nextValue2 !== 0) d.payloadName = d.nextValue2 === 1 ? 'ipv4-fragment' : 'ipv6-fragment';
      return value;
    case NextBy.ETHERTYPE: {
      const kind = ETHERTYPES[value] as number;
      if (kind !== 0) return kind;
      d.payloadName = ETHERTYPE_NAMES.get(value) ?? `ethertype-0x${value.toString(16).padStart(4, '0')}`;
      return Kind.NONE;
    }
    case NextBy.IP_PROTO: {
      const kind = IP_PROTOCOLS[value];
      if (kind !== undefined) return kind;
      d.payloadName = IP_PAYLOAD_NAMES[value] ?? `ip-proto-${value}`;
      return Kind.NONE;
    }
    case NextBy.UDP_PORTS: {
      const byDst = table.udp[d.nextValue2] as number;
      if (byDst !== 0) return byDst;
      const bySrc = table.udp[value] as number;
      if (bySrc !== 0) return bySrc;
      d.payloadName = PORT_NAMES[d.nextValue2] ?? PORT_NAMES[value];
      return Kind.NONE;
    }
    case NextBy.TCP_PAYLOAD:
      if (looksLikeHttp(d.data, offset, end)) return Kind.HTTP;
      d.payloadName = PORT_NAMES[d.nextValue2] ?? PORT_NAMES[value];
      return Kind.NONE;
    default:
      return Kind.NONE;
  }
}

function rawIpKind(d: Dissection, offset: number, end: number): number {
  if (end <= offset) return Kind.NONE;
  const version = (d.data[offset] as number) >> 4;
  if (version === 4) return Kind.IPV4;
  if (version === 6) return Kind.IPV6;
  d.malformed(Kind.RAW_IP, offset, end, `raw IP packet has version ${version}`);
  return Kind.NONE;
}
