// Reads a capture with tshark into the few fields the lab's record needs. tshark prints a
// field once per occurrence in the frame, outermost first (`-E occurrence=a`): a VXLAN frame
// has two ip.src values (outer, inner); an ICMP error has the outer and the quoted header.
import { run } from './exec.ts';

const FIELDS = [
  'frame.number', 'frame.time_epoch', 'ip.src', 'ip.dst', 'ip.id', 'ip.ttl',
  'tcp.srcport', 'tcp.dstport', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.reset', 'tcp.seq_raw', 'tcp.ack_raw',
  'udp.srcport', 'udp.dstport', 'vxlan.vni', 'icmp.type', 'icmp.code',
  'ip.len', 'ip.flags.df', 'ip.flags.mf', 'ip.frag_offset', 'icmp.mtu',
  'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
] as const;

export interface TcpFields {
  sport: number;
  dport: number;
  syn: boolean;
  ack: boolean;
  rst: boolean;
  seq: number;
  ackNumber: number;
}

export interface Frame {
  number: number;
  /** Nanoseconds since the epoch (captures are taken with nanosecond precision). */
  time: bigint;
  timeText: string;
  ipSrc: string[];
  ipDst: string[];
  ipId: number[];
  ttl: number[];
  /** The innermost TCP header (the quoted one in an ICMP error). */
  tcp?: TcpFields;
  udpSport: number[];
  udpDport: number[];
  vni?: number;
  icmp?: { type: number; code: number; /** next-hop MTU of a fragmentation-needed error */ mtu?: number };
  /** IP total length per header, outermost first (an ICMP error's quoted header last). */
  ipLength: number[];
  /** DF of the innermost IP header. */
  df: boolean;
  /** The innermost IP header is a fragment (MF set or a non-zero offset); 'first' carries the UDP/TCP header. */
  fragment?: 'first' | 'later';
  /** The innermost UDP header that is not VXLAN's outer one (the quoted one in an ICMP error). */
  udp?: { sport: number; dport: number };
  /** An ARP request (opcode 1): who asks for which address. */
  arpRequest?: { sender: string; target: string };
}

const list = (text: string | undefined): string[] => (text === undefined || text === '' ? [] : text.split(','));
const numbers = (text: string | undefined): number[] => list(text).map((v) => Number(v));
const flag = (text: string | undefined): boolean => {
  const last = list(text).at(-1);
  return last === '1' || last === 'True';
};

function epochNanos(text: string): bigint {
  const [seconds = '0', fraction = ''] = text.split('.');
  return BigInt(seconds) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9));
}

/** Every frame of a capture; `vxlanPorts` are decoded as VXLAN (8472 is not by default). */
export function readFrames(file: string, vxlanPorts: number[] = [8472, 4789]): Frame[] {
  const decodeAs = vxlanPorts.flatMap((port) => ['-d', `udp.port==${port},vxlan`]);
  // No reassembly: each fragment is its own frame, so a fragmented datagram is counted as the kernel sent it.
  const args = ['tshark', '-r', file, '-n', '-o', 'ip.defragment:FALSE', ...decodeAs, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const field of FIELDS) args.push('-e', field);
  const out = run(args).stdout;
  const frames: Frame[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    const get = (name: (typeof FIELDS)[number]): string | undefined => f[FIELDS.indexOf(name)];
    const tcpSport = numbers(get('tcp.srcport')).at(-1);
    const tcpDport = numbers(get('tcp.dstport')).at(-1);
    const icmpType = numbers(get('icmp.type'))[0];
    const vni = numbers(get('vxlan.vni'))[0];
    const timeText = get('frame.time_epoch') ?? '0';
    const frame: Frame = {
      number: Number(get('frame.number')),
      time: epochNanos(timeText),
      timeText,
      ipSrc: list(get('ip.src')),
      ipDst: list(get('ip.dst')),
      ipId: numbers(get('ip.id')).map((v) => v),
      ttl: numbers(get('ip.ttl')),
      udpSport: numbers(get('udp.srcport')),
      udpDport: numbers(get('udp.dstport')),
      ipLength: numbers(get('ip.len')),
      df: flag(get('ip.flags.df')),
    };
    const mf = flag(get('ip.flags.mf'));
    const offset = numbers(get('ip.frag_offset')).at(-1) ?? 0;
    if (mf || offset > 0) frame.fragment = offset > 0 ? 'later' : 'first';
    // VXLAN's outer UDP header comes first; an inner UDP header is a second one.
    const udpS = frame.udpSport;
    const udpD = frame.udpDport;
    const innerUdp = vni === undefined ? udpS.length >= 1 : udpS.length >= 2;
    if (innerUdp) frame.udp = { sport: udpS.at(-1) ?? -1, dport: udpD.at(-1) ?? -1 };
    if (tcpSport !== undefined && tcpDport !== undefined) {
      frame.tcp = {
        sport: tcpSport,
        dport: tcpDport,
        syn: flag(get('tcp.flags.syn')),
        ack: flag(get('tcp.flags.ack')),
        rst: flag(get('tcp.flags.reset')),
        seq: numbers(get('tcp.seq_raw')).at(-1) ?? -1,
        ackNumber: numbers(get('tcp.ack_raw')).at(-1) ?? -1,
      };
    }
    if (vni !== undefined) frame.vni = vni;
    if (get('arp.opcode') === '1') frame.arpRequest = { sender: get('arp.src.proto_ipv4') ?? '', target: get('arp.dst.proto_ipv4') ?? '' };
    if (icmpType !== undefined) {
      frame.icmp = { type: icmpType, code: numbers(get('icmp.code'))[0] ?? -1 };
      const mtu = numbers(get('icmp.mtu'))[0];
      if (mtu !== undefined) frame.icmp.mtu = mtu;
    }
    frames.push(frame);
  }
  return frames;
}
