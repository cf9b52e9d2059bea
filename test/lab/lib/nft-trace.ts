// Parses `nft monitor trace` output (nftables 1.0.6), as recorded per node in
// netfilter-trace.txt under `# node: <name>` headers, into the same blocks as
// xtables-trace.ts. What the kernel really prints:
//   trace id 0c32af48 ip kube-proxy nat-output packet: oif "lo" ip saddr 192.168.0.2 ip daddr 172.30.0.44 … ip id 21068 … tcp sport 53278 tcp dport 80 tcp flags == syn …
//   trace id 0c32af48 ip kube-proxy services rule ip daddr . meta l4proto . th dport vmap @service-ips (verdict goto service-…)
//   trace id 0c32af48 ip kube-proxy filter-output policy accept meta mark 0x00004000
// A `packet:` line opens every base chain the packet enters; rules of chains jumped to
// follow it; the end of a jumped-to chain prints nothing. Rules of iptables-nft's own
// tables (ip nat, ip filter, ip raw …) print in nft syntax; `iptablesText` turns them back
// into the node's recorded iptables-save line at the same position of the same chain, so
// the record names rules the way iptables-save (and podpath) does.
import { readTraceBlocks, type TraceBlock, type TraceEntry, type TracePacket } from './trace-blocks.ts';

const IPTABLES_TABLES = new Set(['raw', 'mangle', 'nat', 'filter', 'security']);

/** Counter values change between the listing and the trace: both are compared without them. */
export function normaliseNftRule(text: string): string {
  return text.replace(/\bcounter packets \d+ bytes \d+/g, 'counter').replace(/\s+/g, ' ').trim();
}

function packetOf(traceId: string, rest: string): TracePacket {
  const get = (re: RegExp) => re.exec(rest)?.[1];
  const packet: TracePacket = {
    traceId,
    src: get(/\bip saddr (\S+)/) ?? '',
    dst: get(/\bip daddr (\S+)/) ?? '',
    ipId: Number(get(/\bip id (\d+)/) ?? -1),
    flags: /\btcp flags == syn\b/.test(rest) ? ['SYN'] : [],
  };
  const iif = get(/\biif "([^"]+)"/);
  const oif = get(/\boif "([^"]+)"/);
  const sport = get(/\btcp sport (\d+)/);
  const dport = get(/\btcp dport (\d+)/);
  if (iif !== undefined) packet.in = iif;
  if (oif !== undefined) packet.out = oif;
  if (sport !== undefined) packet.sport = Number(sport);
  if (dport !== undefined) packet.dport = Number(dport);
  return packet;
}

function entryOf(table: string, chain: string, rest: string): TraceEntry | undefined {
  const policy = /^policy (accept|drop)\b/.exec(rest);
  if (policy) return { table, chain, rule: null, verdict: 'policy', rawVerdict: `policy:${policy[1]!.toUpperCase()}`, policy: policy[1]! };
  const rule = /^rule (.*) \(verdict (\S+)(?: (\S+))?\)\s*$/.exec(rest);
  if (!rule) return undefined;
  const [, text = '', word = '', target] = rule;
  const entry: TraceEntry = { table, chain, rule: normaliseNftRule(text), verdict: 'other', rawVerdict: target === undefined ? word : `${word} ${target}` };
  if (word === 'continue' || word === 'accept' || word === 'drop' || word === 'return' || word === 'jump' || word === 'goto') entry.verdict = word;
  if (target !== undefined) entry.target = target;
  return entry;
}

const TRACE_LINE = /^trace id (\S+) (ip|inet) (\S+) (\S+) (.*)$/;

/** All packet blocks of an nft-format netfilter-trace.txt. `iptablesText(node, table, chain, rule)` names iptables-nft rules. */
export function parseNftTrace(text: string, iptablesText: (node: string, table: string, chain: string, rule: string) => string | undefined): TraceBlock[] {
  return readTraceBlocks(text, {
    packet: (line) => {
      const m = TRACE_LINE.exec(line);
      return m && m[5]!.startsWith('packet: ') ? packetOf(m[1]!, m[5]!) : undefined;
    },
    entry: (line, node) => {
      const m = TRACE_LINE.exec(line);
      if (!m) return undefined;
      const [, , , table = '', chain = '', rest = ''] = m;
      const entry = entryOf(table, chain, rest);
      if (!entry) return undefined;
      // The lab's own TRACE rule (iptables -t raw … -j TRACE prints as `meta nftrace set 1`).
      if (table === 'raw' && entry.rule?.includes('nftrace set 1')) return undefined;
      if (IPTABLES_TABLES.has(table) && entry.rule !== null) entry.rule = iptablesText(node, table, chain, entry.rule) ?? entry.rule;
      return entry;
    },
  });
}

/**
 * The iptables-save line at the position the nft listing gives a rule in its chain:
 * iptables-save prints a chain's rules in the kernel's order, as nft lists them.
 */
export function iptablesLineFor(nftRuleset: string, iptablesSave: string, table: string, chain: string, rule: string): string | undefined {
  const tableStart = nftRuleset.indexOf(`table ip ${table} {`);
  if (tableStart < 0) return undefined;
  const tableText = nftRuleset.slice(tableStart, nftRuleset.indexOf('\n}', tableStart));
  const chainStart = tableText.indexOf(`\tchain ${chain} {`);
  if (chainStart < 0) return undefined;
  const chainText = tableText.slice(chainStart, tableText.indexOf('\n\t}', chainStart));
  const rules = chainText.split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('type ') && !l.startsWith('comment '));
  const position = rules.map(normaliseNftRule).indexOf(rule);
  if (position < 0) return undefined;
  const section = iptablesSave.split(/^\*/m).find((s) => s.startsWith(`${table}\n`)) ?? '';
  const lines = section.split('\n').filter((l) => l.startsWith(`-A ${chain} `));
  return lines[position];
}
