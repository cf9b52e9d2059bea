// The public surface of podpath's capture decoder. Other parts of podpath (the
// capture explainer, the UI) depend on these shapes only; the readers and layer
// modules behind them may change. Everything here is plain data so `--json`
// prints a DecodedPacket as it is.
//
//   readCapture(source, options)  → AsyncIterable<CapturedPacket>   (src/decode/index.ts)
//   decodePacket(packet, options) → DecodedPacket                    (src/decode/index.ts)
//
// Offsets and lengths in every layer are byte positions in CapturedPacket.data,
// so a hex view can highlight the bytes of a layer.

/** Link-layer header types (https://www.tcpdump.org/linktypes.html) that podpath decodes. */
export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte address family in host byte order
  ETHERNET: 1,
  RAW_OPENBSD: 12, // DLT_RAW as some systems number it: raw IPv4/IPv6
  RAW_BSDOS: 14, // DLT_RAW on BSD/OS: raw IPv4/IPv6
  RAW: 101, // raw IPv4/IPv6, no link header
  LINUX_SLL: 113, // Linux cooked capture v1 (tcpdump -i any, before libpcap 1.10)
  NFLOG: 239, // iptables NFLOG target
  LINUX_SLL2: 276, // Linux cooked capture v2 (tcpdump -i any, libpcap ≥ 1.10)
} as const;

/** One record read from a capture file, before decoding. */
export interface CapturedPacket {
  /** 1-based frame number, counted over the whole file (all pcapng sections), as tshark numbers them. */
  frame: number;
  /** Capture time: whole seconds since the epoch … */
  timeSec: number;
  /** … and the nanoseconds within that second (0–999,999,999), whatever the file's resolution. */
  timeNsec: number;
  /** Bytes present in `data`. */
  caplen: number;
  /** Bytes the packet had on the wire (≥ caplen when the capture was cut by a snap length). */
  len: number;
  /** LINKTYPE_* value of the interface the packet came from (see LinkType). */
  linkType: number;
  /** pcapng only: index of the interface description block within its section. */
  interfaceId?: number;
  /** pcapng only: the interface's if_name option, when the file has one. */
  interfaceName?: string;
  /** pcapng only: the interface's if_description option (dumpcap writes the OS's description), when present. */
  interfaceDescription?: string;
  /** Byte offset of this record in the file (for error messages and the hex view). */
  fileOffset: number;
  /** The captured bytes. May be a view into the reader's buffer: copy it to keep it. */
  data: Uint8Array;
}

export interface ReadOptions {
  /** Name used in error messages ('-' or the path); defaults to the path, or '<stdin>' for a stream. */
  name?: string;
  /** Called for problems that do not stop reading (e.g. an unknown pcapng block type). */
  onWarning?: (warning: CaptureWarning) => void;
  /**
   * Bytes read at a time by scanCapture from a file (default 1 MiB): the work between two
   * onChunkEnd calls. The UI reads smaller chunks, so it can hand its event loop back more often.
   */
  chunkBytes?: number;
}

export interface CaptureWarning {
  file: string;
  offset: number;
  reason: string;
}

/**
 * Streams the packets of a classic pcap or pcapng capture (format told by its magic
 * number) from a path, '-' for stdin, or a readable stream. Memory stays bounded by the
 * largest record. A damaged file raises CaptureError {file, offset, reason} after the
 * packets before the damage have been yielded.
 */
export type ReadCapture = (
  source: string | NodeJS.ReadableStream,
  options?: ReadOptions,
) => AsyncIterable<CapturedPacket>;

export interface DecodeOptions {
  /** UDP destination ports decoded as VXLAN. Default: 4789 (IANA) and 8472 (Linux/Flannel). Given ports are added. */
  vxlanPorts?: readonly number[];
  /** UDP ports decoded as Geneve. Default: 6081. */
  genevePorts?: readonly number[];
}

export type DecodePacket = (packet: CapturedPacket, options?: DecodeOptions) => DecodedPacket;

/** One packet, decoded: outer layers first, inner (tunnelled) layers after. */
export interface DecodedPacket {
  frame: number;
  /** Seconds since the epoch as exact decimal text with 9 digits, like tshark's frame.time_epoch. */
  time: string;
  caplen: number;
  len: number;
  linkType: number;
  interfaceId?: number;
  interfaceName?: string;
  interfaceDescription?: string;
  layers: Layer[];
}

interface LayerBase {
  /** Offset of the layer's first byte in CapturedPacket.data. */
  offset: number;
  /** Bytes of the layer's own header (payload layers: the payload bytes present). */
  length: number;
  /** Set on the layers an ICMP/ICMPv6 error quotes (the original IP header and ports), as tshark nests them. */
  quoted?: true;
}

/** Ethernet II (or 802.3 with a length in place of the type). Addresses as aa:bb:cc:dd:ee:ff. */
export interface EthernetLayer extends LayerBase {
  type: 'ethernet';
  src: string;
  dst: string;
  /** The type field as in the header (0x8100 when an 802.1Q tag follows, like tshark's eth.type). For 802.3 frames, the length field. */
  ethertype: number;
}

/** 802.1Q / 802.1ad tag. */
export interface VlanLayer extends LayerBase {
  type: 'vlan';
  id: number;
  priority: number;
  dei: boolean;
  /** EtherType after this tag. */
  ethertype: number;
}

export interface ArpLayer extends LayerBase {
  type: 'arp';
  /** 1 request, 2 reply. */
  opcode: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface Ipv4Layer extends LayerBase {
  type: 'ipv4';
  src: string;
  dst: string;
  /** Protocol number of the payload (6 TCP, 17 UDP, 1 ICMP, 4 IP-in-IP, 41 IPv6-in-IPv4, 47 GRE). */
  proto: number;
  ttl: number;
  /** Header length in bytes (options included). */
  headerLength: number;
  /** Total length field; 0 in GSO/BIG TCP packets (the real length is then the captured one). */
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in bytes. */
  fragmentOffset: number;
  /** True when moreFragments or fragmentOffset > 0. A non-first fragment's payload is not decoded. */
  fragment: boolean;
  dscp: number;
  ecn: number;
  checksum: number;
  /** Raw option bytes as hex, when the header has options. */
  options?: string;
}

export interface Ipv6Layer extends LayerBase {
  type: 'ipv6';
  src: string;
  dst: string;
  /** Upper-layer protocol after the extension headers. */
  proto: number;
  /** Hop limit. */
  ttl: number;
  /** Next Header field of the fixed header. */
  nextHeader: number;
  payloadLength: number;
  trafficClass: number;
  flowLabel: number;
  /** Extension headers in order (0 hop-by-hop, 43 routing, 44 fragment, 60 destination options …). */
  extensions: number[];
  /** Set when a fragment header is present. */
  fragmentOffset?: number;
  moreFragments?: boolean;
  fragment: boolean;
}

export interface IcmpLayer extends LayerBase {
  type: 'icmp';
  icmpType: number;
  code: number;
  checksum: number;
  /** Echo request/reply only. */
  id?: number;
  seq?: number;
  /** Destination unreachable, fragmentation needed (code 4): the next-hop MTU (RFC 1191; tshark's icmp.mtu). */
  mtu?: number;
}

export interface Icmpv6Layer extends LayerBase {
  type: 'icmpv6';
  icmpType: number;
  code: number;
  checksum: number;
  id?: number;
  seq?: number;
}

export interface UdpLayer extends LayerBase {
  type: 'udp';
  sport: number;
  dport: number;
  /** Length field (0 in BIG TCP / GSO packets). */
  udpLength: number;
  checksum: number;
}

export interface TcpFlags {
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
  psh: boolean;
  urg: boolean;
  ece: boolean;
  cwr: boolean;
}

export interface TcpOption {
  kind: number;
  /** mss, sack_perm, ws, ts, sack, nop, eol, or kind-N. */
  name: string;
  /** mss, ws: the number; ts: "tsval,tsecr"; sack: "l-r …"; others omitted. */
  value?: number | string;
}

export interface TcpLayer extends LayerBase {
  type: 'tcp';
  sport: number;
  dport: number;
  /** Absolute sequence number (tshark: tcp.seq_raw). */
  seq: number;
  ack: number;
  flags: TcpFlags;
  window: number;
  headerLength: number;
  /** Bytes of TCP payload in this packet (from the IP length, or the captured bytes when that is 0). */
  payloadLength: number;
  checksum: number;
  urgentPointer: number;
  options: TcpOption[];
}

/** RFC 7348 VXLAN. The next layer is the inner Ethernet frame. */
export interface VxlanLayer extends LayerBase {
  type: 'vxlan';
  vni: number;
  flags: number;
}

/** RFC 8926 Geneve. The next layer is inner Ethernet (protocol 0x6558) or IP. */
export interface GeneveLayer extends LayerBase {
  type: 'geneve';
  vni: number;
  /** EtherType of the payload. */
  protocol: number;
  optionsLength: number;
  oam: boolean;
  critical: boolean;
}

/** RFC 2784/2890 GRE (version 0) and PPTP's enhanced GRE (version 1). */
export interface GreLayer extends LayerBase {
  type: 'gre';
  version: number;
  /** EtherType of the payload. */
  protocol: number;
  key?: number;
  sequence?: number;
  checksumPresent: boolean;
}

/** Marks IP-in-IP (proto 4, Calico tunl0) or 6in4 (proto 41): the next layer is the inner IP header. Zero length. */
export interface IpipLayer extends LayerBase {
  type: 'ipip';
  inner: 'ipv4' | 'ipv6';
}

/** HTTP/1.x message head: first line and Host, from the TCP payload of one packet. */
export interface HttpLayer extends LayerBase {
  type: 'http';
  kind: 'request' | 'response';
  /** The first line without CR LF, e.g. "GET / HTTP/1.1". May hold control bytes: escape before printing. */
  firstLine: string;
  method?: string;
  uri?: string;
  version: string;
  status?: number;
  reason?: string;
  host?: string;
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL). */
export interface SllLayer extends LayerBase {
  type: 'sll';
  /** 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us. */
  packetType: number;
  arphrd: number;
  /** Link-layer address of the sender (hex with colons). */
  address: string;
  /** EtherType of the payload. */
  protocol: number;
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2). */
export interface Sll2Layer extends LayerBase {
  type: 'sll2';
  protocol: number;
  interfaceIndex: number;
  arphrd: number;
  packetType: number;
  address: string;
}

/** BSD loopback (LINKTYPE_NULL): address family in host byte order. */
export interface NullLayer extends LayerBase {
  type: 'null';
  family: number;
}

/** iptables NFLOG (LINKTYPE_NFLOG): the logged packet is the next layer. */
export interface NflogLayer extends LayerBase {
  type: 'nflog';
  /** 2 IPv4, 10 IPv6. */
  family: number;
  /** NFLOG group. */
  group: number;
  /** --nflog-prefix text, when present. May hold control bytes: escape before printing. */
  prefix?: string;
}

/** Bytes podpath does not decode further. `protocol` names them when known (e.g. "igmp", "dns", "link-type-147"). */
export interface PayloadLayer extends LayerBase {
  type: 'payload';
  protocol?: string;
}

/** A header that was cut or invalid. Layers before it are kept; nothing after it is decoded. */
export interface MalformedLayer extends LayerBase {
  type: 'malformed';
  /** The layer type that was expected here. */
  protocol: string;
  reason: string;
}

export type Layer =
  | EthernetLayer
  | VlanLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | IcmpLayer
  | Icmpv6Layer
  | UdpLayer
  | TcpLayer
  | VxlanLayer
  | GeneveLayer
  | GreLayer
  | IpipLayer
  | HttpLayer
  | SllLayer
  | Sll2Layer
  | NullLayer
  | NflogLayer
  | PayloadLayer
  | MalformedLayer;

export type LayerType = Layer['type'];
