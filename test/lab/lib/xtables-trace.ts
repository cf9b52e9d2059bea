// Parses `xtables-monitor --trace` output (iptables-nft 1.8.9), as recorded per node in
// netfilter-trace.txt under `# node: <name>` headers. What the kernel really prints:
//   PACKET: 2 c9dcff4b IN=cni0 OUT=flannel.1 MACSRC=… SRC=192.168.1.7 DST=192.168.2.12 … ID=61895 DF SPORT=50058 DPORT=80 SYN
//    TRACE: 2 c9dcff4b nat:PREROUTING:rule:0x10:JUMP:KUBE-SERVICES  -4 -t nat -A PREROUTING … -j KUBE-SERVICES
//    TRACE: 2 c9dcff4b nat:KUBE-POSTROUTING:rule:0x13:0xfffffffb  -4 -t nat -A KUBE-POSTROUTING … -j RETURN
//    TRACE: 2 c9dcff4b nat:PREROUTING:policy:ACCEPT
// Observed on kernel 6.18: a PACKET line opens every hook the packet passes (raw, nat,
// filter, nat POSTROUTING …); the trace id may change between hooks of one packet (here
// it changed between PREROUTING and FORWARD), so a packet is found by its headers (IP ID,
// ports, SYN), not by the id. RETURN is printed as the raw nft verdict 0xfffffffb
// (NFT_RETURN = -5); a user chain left at its end prints no line at all.

import { readTraceBlocks, type TraceBlock, type TraceEntry, type TracePacket } from './trace-blocks.ts';

const VALUE = (line: string, key: string): string | undefined => new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(line)?.[1];

function parsePacket(line: string): TracePacket {
  const [, , traceId = ''] = line.trim().split(/\s+/);
  const rest = line.replace(/^PACKET:\s+\S+\s+\S+\s+/, '');
  const flags = rest.split(/\s+/).filter((w) => /^(SYN|ACK|FIN|RST|PSH|URG|DF)$/.test(w));
  const packet: TracePacket = {
    traceId,
    src: VALUE(rest, 'SRC') ?? '',
    dst: VALUE(rest, 'DST') ?? '',
    ipId: Number(VALUE(rest, 'ID') ?? -1),
    flags,
  };
  const inDev = VALUE(rest, 'IN');
  const outDev = VALUE(rest, 'OUT');
  const proto = VALUE(rest, 'PROTO');
  if (proto !== undefined) packet.proto = proto;
  const sport = VALUE(rest, 'SPORT');
  const dport = VALUE(rest, 'DPORT');
  if (inDev !== undefined) packet.in = inDev;
  if (outDev !== undefined) packet.out = outDev;
  if (sport !== undefined) packet.sport = Number(sport);
  if (dport !== undefined) packet.dport = Number(dport);
  return packet;
}

function parseEntry(line: string): TraceEntry | undefined {
  const match = /^\s*TRACE:\s+\S+\s+\S+\s+(\S+)\s*(.*)$/.exec(line);
  if (!match) return undefined;
  const [, where = '', ruleText = ''] = match;
  const parts = where.split(':');
  const [table = '', chain = '', kind = ''] = parts;
  const rule = ruleText === '' ? null : ruleText.replace(/^-4\s+-t\s+\S+\s+/, '');
  if (kind === 'policy') {
    const policy = (parts[3] ?? '').toLowerCase();
    return { table, chain, rule: null, verdict: 'policy', rawVerdict: `policy:${parts[3] ?? ''}`, policy };
  }
  if (kind === 'return') return { table, chain, rule, verdict: 'return', rawVerdict: 'return' };
  const handle = parts[3];
  const rawVerdict = parts.slice(4).join(':');
  const word = parts[4] ?? '';
  const entry: TraceEntry = { table, chain, rule, verdict: 'other', rawVerdict };
  if (handle !== undefined) entry.handle = handle;
  if (word === 'CONTINUE') entry.verdict = 'continue';
  else if (word === 'ACCEPT') entry.verdict = 'accept';
  else if (word === 'DROP') entry.verdict = 'drop';
  else if (word === 'RETURN' || word === '0xfffffffb') entry.verdict = 'return';
  else if (word === 'JUMP' || word === 'GOTO') {
    entry.verdict = word === 'JUMP' ? 'jump' : 'goto';
    const target = parts[5];
    if (target !== undefined) entry.target = target;
  }
  return entry;
}

/** All PACKET blocks of a netfilter-trace.txt, each with the node it was recorded on. */
export function parseNetfilterTrace(text: string): TraceBlock[] {
  return readTraceBlocks(text, {
    packet: (line) => (line.startsWith('PACKET:') ? parsePacket(line) : undefined),
    entry: (line) => (/^\s*TRACE:/.test(line) ? parseEntry(line) : undefined),
  });
}
