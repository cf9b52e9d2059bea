// Reads a capture with tshark into the few fields the lab's record needs. tshark prints a
// field once per occurrence in the frame, outermost first (`-E occurrence=a`): a VXLAN frame
// has two ip.src values (outer, inner); an ICMP error has the outer and the quoted header.
import { run } from './exec.ts';

const FIELDS = [
  'frame.number', 'frame.time_epoch', 'ip.src', 'ip.dst', 'ip.id', 'ip.ttl',
  'tcp.srcport', 'tcp.dstport', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.reset', 'tcp.seq_raw', 'tcp.ack_raw',
  'udp.srcport', 'udp.dstport', 'vxlan.vni', 'icmp.type', 'icmp.code',
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
  icmp?: { type: number; code: number };
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
  const args = ['tshark', '-r', file, '-n', ...decodeAs, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
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
    };
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
    if (icmpType !== undefined) frame.icmp = { type: icmpType, code: numbers(get('icmp.code'))[0] ?? -1 };
    frames.push(frame);
  }
  return frames;
}
