// NAT targets as data: each rewrite becomes a nat step with FieldDiffs (Batfish's
// FlowDiff). Only the first packet of a connection crosses the nat table; the
// kernel stores the rewrite in the conntrack entry and applies it to every later
// packet (and the reverse to replies) without reading the rules again.
import type { NfRule } from '../topology/model.ts';
import type { FieldDiff, NatStep, NoteStep } from './model.ts';
import type { Header } from './flow.ts';
import { formatEndpoint } from './flow.ts';

export interface NatInput {
  rule: NfRule;
  header: Header;
  /** MASQUERADE: the outgoing interface and the address the kernel picks for it (inet_select_addr) and where it found it. */
  masqueradeSource?: { outIface: string; address?: string; iface?: string };
  /** REDIRECT: the incoming interface's primary address (127.0.0.1 for locally generated packets). */
  redirectAddress?: string;
  /** Set when KUBE-SEP chose this endpoint: "endpoint 2 of 3 with probability 1/3". */
  endpointPick?: string;
}

export interface NatEvaluation {
  header: Header;
  step: NatStep;
  notes: NoteStep[];
  kind: 'dnat' | 'snat';
}

function targetOption(rule: NfRule, ...names: string[]): string | undefined {
  const option = rule.target?.options.find((o) => names.includes(o.option));
  return option ? option.values.join(' ') : undefined;
}

function hasTargetOption(rule: NfRule, name: string): boolean {
  return rule.target?.options.some((o) => o.option === name) ?? false;
}

/** '10.0.0.1', '10.0.0.1:80', '10.0.0.1-10.0.0.9:80-90', ':8080', '[::1]:80': the first address and port. */
export function parseNatTo(text: string): { address?: string; port?: number } {
  const m = /^([0-9.]*)(?:-[0-9.]+)?(?::(\d+)(?:-\d+)?)?$/.exec(text.trim());
  if (!m) return {};
  const result: { address?: string; port?: number } = {};
  if (m[1]) result.address = m[1];
  if (m[2]) result.port = Number(m[2]);
  return result;
}

function diff(field: FieldDiff['field'], before: string | number | undefined, after: string | number | undefined): FieldDiff[] {
  return before === after ? [] : [{ field, old: before, new: after }];
}

/** Applies DNAT, SNAT, MASQUERADE or REDIRECT; undefined for other targets. */
export function applyNat(input: NatInput): NatEvaluation | undefined {
  const { rule, header } = input;
  const target = rule.target?.name;
  const base = { type: 'nat' as const, table: rule.table, chain: rule.chain, rule: rule.text, source: rule.source };
  const notes: NoteStep[] = [];
  switch (target) {
    case 'DNAT':
    case 'REDIRECT': {
      const to =
        target === 'DNAT'
          ? parseNatTo(targetOption(rule, 'to-destination', 'to') ?? '')
          : { address: input.redirectAddress ?? header.dst, ...portOf(targetOption(rule, 'to-ports')) };
      const next: Header = { ...header, dst: to.address ?? header.dst };
      if (to.port !== undefined) next.dport = to.port;
      const diffs = [...diff('dst', header.dst, next.dst), ...diff('dport', header.dport, next.dport)];
      const where = formatEndpoint(next.dst, next.dport);
      const explanation = input.endpointPick
        ? `kube-proxy picks ${input.endpointPick} and rewrites the destination to ${where}`
        : `${target} rewrites the destination ${formatEndpoint(header.dst, header.dport)} to ${where}`;
      return { header: next, kind: 'dnat', notes, step: { ...base, action: 'dnat', diffs, explanation } };
    }
    case 'SNAT':
    case 'MASQUERADE': {
      let address: string | undefined;
      let why: string;
      if (target === 'SNAT') {
        const to = parseNatTo(targetOption(rule, 'to-source', 'to') ?? '');
        address = to.address;
        why = `SNAT rewrites the source to ${address ?? header.src}`;
        if (to.port !== undefined) return snat(header, address, to.port, { ...base, action: 'snat' }, `${why}:${to.port}`, notes);
      } else {
        const source = input.masqueradeSource;
        address = source?.address;
        const whose = source && source.iface !== source.outIface
          ? `(${source.outIface} has no IPv4 address, so the kernel takes ${source.iface}'s)`
          : `, the address of the outgoing interface ${source?.outIface}`;
        why = address
          ? `MASQUERADE rewrites the source to ${address}${whose.startsWith('(') ? ' ' : ''}${whose}, so replies come back through this node`
          : 'MASQUERADE would rewrite the source, but no interface has an IPv4 address in the dumps';
      }
      const ports = portOf(targetOption(rule, 'to-ports'));
      let sport: number | undefined = ports.port ?? header.sport;
      if (hasTargetOption(rule, 'random-fully') || hasTargetOption(rule, 'random')) {
        sport = undefined;
        notes.push({
          type: 'note',
          explanation: `${target} ${hasTargetOption(rule, 'random-fully') ? '--random-fully' : '--random'} picks a random source port, so the port after this point cannot be known from the dumps`,
        });
      }
      return snat(header, address, sport, { ...base, action: target === 'SNAT' ? 'snat' : 'masquerade' }, why, notes);
    }
    default:
      return undefined;
  }
}

function portOf(text: string | undefined): { port?: number } {
  if (!text) return {};
  const port = Number(text.split('-')[0]);
  return Number.isInteger(port) ? { port } : {};
}

function snat(
  header: Header,
  address: string | undefined,
  sport: number | undefined,
  base: Omit<NatStep, 'diffs' | 'explanation'>,
  explanation: string,
  notes: NoteStep[],
): NatEvaluation {
  const next: Header = { ...header, src: address ?? header.src };
  if (sport === undefined) delete next.sport;
  else next.sport = sport;
  const diffs = [...diff('src', header.src, next.src), ...diff('sport', header.sport, next.sport)];
  return { header: next, kind: 'snat', notes, step: { ...base, diffs, explanation } };
}
