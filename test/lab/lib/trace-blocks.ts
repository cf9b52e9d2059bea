// What both kernel trace formats the lab records share. netfilter-trace.txt holds, per node
// under a `# node: <name>` header, one line that opens a packet (xtables-monitor's `PACKET:`,
// nft monitor trace's `trace id … packet:`) and then the lines of the rules and policies that
// packet met. The block reading is one loop here; xtables-trace.ts and nft-trace.ts supply how
// their own lines read.

export interface TracePacket {
  traceId: string;
  in?: string;
  out?: string;
  src: string;
  dst: string;
  ipId: number;
  sport?: number;
  dport?: number;
  /** PROTO= of the PACKET line (TCP, UDP, ICMP). */
  proto?: string;
  flags: string[];
}

export interface TraceEntry {
  table: string;
  chain: string;
  /** The rule as `-A CHAIN …` (iptables-save form), null for a chain policy. */
  rule: string | null;
  verdict: 'continue' | 'jump' | 'goto' | 'accept' | 'drop' | 'return' | 'policy' | 'other';
  /** The kernel's own word for the verdict, e.g. "JUMP:KUBE-SERVICES", "0xfffffffb", "ACCEPT". */
  rawVerdict: string;
  target?: string;
  /** For verdict "policy": the chain policy applied. */
  policy?: string;
  handle?: string;
}

export interface TraceBlock {
  node: string;
  packet: TracePacket;
  entries: TraceEntry[];
}

/** One format's lines. */
export interface TraceLineReader {
  /** The packet this line opens a block for; undefined when it opens none. */
  packet(line: string): TracePacket | undefined;
  /** The rule or policy this line, inside a block of `node`, names; undefined to pass it over. */
  entry(line: string, node: string): TraceEntry | undefined;
}

/** All packet blocks of a netfilter-trace.txt, each with the node it was recorded on. */
export function readTraceBlocks(text: string, reader: TraceLineReader): TraceBlock[] {
  const blocks: TraceBlock[] = [];
  let node = '';
  let current: TraceBlock | undefined;
  for (const line of text.split('\n')) {
    const header = /^# node: (\S+)/.exec(line);
    if (header) {
      node = header[1] ?? '';
      current = undefined;
      continue;
    }
    const packet = reader.packet(line);
    if (packet) {
      current = { node, packet, entries: [] };
      blocks.push(current);
      continue;
    }
    if (!current) continue;
    const entry = reader.entry(line, node);
    if (entry) current.entries.push(entry);
  }
  return blocks;
}
