// Runs tshark once per capture with every field the agreement test compares (or replays its
// committed record, test/helpers/oracle.ts), and turns podpath's layers into the same
// per-packet field lists. tshark is the oracle: expected values come from it, never from podpath.
import { oracle, oracleAsync } from '../helpers/oracle.ts';
import { decodePacket, readCapture, type Layer } from '../../src/decode/index.ts';

export const FIELDS = [
  'frame.number',
  'frame.cap_len',
  'frame.protocols',
  'eth.src',
  'eth.dst',
  'ip.src',
  'ip.dst',
  'ip.proto',
  'ipv6.src',
  'ipv6.dst',
  'udp.srcport',
  'udp.dstport',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags',
  'tcp.seq',
  'vxlan.vni',
  'geneve.vni',
  'http.request.method',
  'http.request.uri',
  'http.request.version',
  'http.response.code',
  'http.host',
] as const;
export type Field = (typeof FIELDS)[number];
export type Row = Record<Field, string>;

/** tshark protocol names podpath decodes, mapped to podpath layer types. */
export const PROTOCOLS: Record<string, string> = {
  eth: 'ethernet',
  vlan: 'vlan',
  arp: 'arp',
  ip: 'ipv4',
  ipv6: 'ipv6',
  icmp: 'icmp',
  icmpv6: 'icmpv6',
  udp: 'udp',
  tcp: 'tcp',
  vxlan: 'vxlan',
  geneve: 'geneve',
  gre: 'gre',
  http: 'http',
  sll: 'sll',
  nflog: 'nflog',
  null: 'null',
};

function tsharkArgs(file: string, vxlanPorts: number[]): string[] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', '-E', 'separator=\t'];
  for (const port of vxlanPorts) args.push('-d', `udp.port==${port},vxlan`);
  // Per-packet view: podpath does not reassemble IP fragments or TCP streams, and prints absolute
  // sequence numbers. Without sequence analysis tshark also stops skipping the payload of segments
  // it takes for retransmissions (the same segment seen on two interfaces of an -i any capture).
  args.push(
    '-o', 'tcp.relative_sequence_numbers:FALSE',
    '-o', 'ip.defragment:FALSE',
    '-o', 'ipv6.defragment:FALSE',
    '-o', 'tcp.desegment_tcp_streams:FALSE',
    '-o', 'tcp.analyze_sequence_numbers:FALSE',
  );
  for (const field of FIELDS) args.push('-e', field);
  return args;
}

export function tsharkRows(file: string, vxlanPorts: number[]): Row[] {
  return parseRows(oracle('tshark', tsharkArgs(file, vxlanPorts)));
}

/** tshark over many files, a few at a time (its start-up dominates on small captures). */
export async function tsharkRowsMany(jobs: { file: string; vxlanPorts: number[] }[], parallel = 4): Promise<Map<string, Row[]>> {
  const results = new Map<string, Row[]>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++] as { file: string; vxlanPorts: number[] };
      results.set(job.file, parseRows(await oracleAsync('tshark', tsharkArgs(job.file, job.vxlanPorts))));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

function parseRows(out: string): Row[] {
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const cells = line.split('\t');
      const row = {} as Row;
      FIELDS.forEach((field, i) => (row[field] = cells[i] ?? ''));
      return row;
    });
}

function list(layers: Layer[], pick: (layer: Layer) => string | number | undefined): string {
  const out: string[] = [];
  for (const layer of layers) {
    const value = pick(layer);
    if (value !== undefined) out.push(String(value));
  }
  return out.join(',');
}

export function podpathRow(frame: number, layers: Layer[], caplen: number): Row {
  const http = layers.find((l) => l.type === 'http');
  // tshark names both Linux cooked versions "sll".
  const protocols = layers.flatMap((l) => (l.type === 'sll2' ? ['sll'] : Object.values(PROTOCOLS).includes(l.type) ? [l.type] : []));
  return {
    'frame.number': String(frame),
    'frame.cap_len': String(caplen),
    'frame.protocols': protocols.join(':'),
    'eth.src': list(layers, (l) => (l.type === 'ethernet' ? l.src : undefined)),
    'eth.dst': list(layers, (l) => (l.type === 'ethernet' ? l.dst : undefined)),
    'ip.src': list(layers, (l) => (l.type === 'ipv4' ? l.src : undefined)),
    'ip.dst': list(layers, (l) => (l.type === 'ipv4' ? l.dst : undefined)),
    'ip.proto': list(layers, (l) => (l.type === 'ipv4' ? l.proto : undefined)),
    'ipv6.src': list(layers, (l) => (l.type === 'ipv6' ? l.src : undefined)),
    'ipv6.dst': list(layers, (l) => (l.type === 'ipv6' ? l.dst : undefined)),
    'udp.srcport': list(layers, (l) => (l.type === 'udp' ? l.sport : undefined)),
    'udp.dstport': list(layers, (l) => (l.type === 'udp' ? l.dport : undefined)),
    'tcp.srcport': list(layers, (l) => (l.type === 'tcp' ? l.sport : undefined)),
    'tcp.dstport': list(layers, (l) => (l.type === 'tcp' ? l.dport : undefined)),
    // A TCP header quoted in an ICMP error may be cut to 8 bytes; flags exist when the whole header is there.
    'tcp.flags': list(layers, (l) => (l.type === 'tcp' && l.headerLength >= 20 ? flagsHex(l) : undefined)),
    'tcp.seq': list(layers, (l) => (l.type === 'tcp' ? l.seq : undefined)),
    'vxlan.vni': list(layers, (l) => (l.type === 'vxlan' ? l.vni : undefined)),
    'geneve.vni': list(layers, (l) => (l.type === 'geneve' ? l.vni : undefined)),
    'http.request.method': http?.type === 'http' && http.kind === 'request' ? (http.method ?? '') : '',
    'http.request.uri': http?.type === 'http' && http.kind === 'request' ? (http.uri ?? '') : '',
    'http.request.version': http?.type === 'http' && http.kind === 'request' ? http.version : '',
    'http.response.code': http?.type === 'http' && http.kind === 'response' ? String(http.status) : '',
    'http.host': http?.type === 'http' ? (http.host ?? '') : '',
  };
}

function flagsHex(layer: Extract<Layer, { type: 'tcp' }>): string {
  const f = layer.flags;
  const value = (f.cwr ? 0x80 : 0) | (f.ece ? 0x40 : 0) | (f.urg ? 0x20 : 0) | (f.ack ? 0x10 : 0) | (f.psh ? 0x08 : 0) | (f.rst ? 0x04 : 0) | (f.syn ? 0x02 : 0) | (f.fin ? 0x01 : 0);
  return '0x' + value.toString(16).padStart(3, '0');
}

/** tshark's row reduced to what podpath is compared on (protocol names mapped, quoted flags dropped). */
export function normaliseTshark(row: Row): Row {
  const out = { ...row };
  // tshark labels every TCP payload on an HTTP port "http", bodies included; podpath
  // decodes message heads only, so "http" counts where tshark found a request or status line.
  const httpHead = row['http.request.method'] !== '' || row['http.response.code'] !== '';
  out['frame.protocols'] = row['frame.protocols']
    .split(':')
    .flatMap((p) => (PROTOCOLS[p] !== undefined && (p !== 'http' || httpHead) ? [PROTOCOLS[p] as string] : []))
    .join(':');
  // tshark prints Geneve VNIs in hex.
  out['geneve.vni'] = row['geneve.vni']
    .split(',')
    .filter((v) => v !== '')
    .map((v) => String(parseInt(v, 16)))
    .join(',');
  // tcp.flags is 12 bits (with the reserved/AE bits); podpath reports the 8 classic flags.
  out['tcp.flags'] = row['tcp.flags']
    .split(',')
    .filter((v) => v !== '')
    .map((v) => '0x' + (parseInt(v, 16) & 0xff).toString(16).padStart(3, '0'))
    .join(',');
  return out;
}

export async function podpathRows(file: string, vxlanPorts: number[]): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const packet of readCapture(file)) rows.push(podpathRow(packet.frame, decodePacket(packet, { vxlanPorts }).layers, packet.caplen));
  return rows;
}
