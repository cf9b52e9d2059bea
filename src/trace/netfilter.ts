// One netfilter hook in one namespace, table by table in the kernel's priority
// order, each table walked from the hook's built-in chain: jumps push, gotos
// replace, RETURN (or falling off a user chain) pops, a built-in chain's end
// applies its policy. Like the kernel's own trace (xtables-monitor --trace),
// every rule that MATCHED becomes a step; rules passed over leave none.
import type { NetNamespace, NfChain, NfRule, NfTable, NftChain, NftTable } from '../topology/model.ts';
import { walkNftChain } from './nftables.ts';
import type { IpsetMembers } from './ipsets.ts';
import type { NetfilterAction, NetfilterStep, NoteStep, Step } from './model.ts';
import type { Flow, Header } from './flow.ts';
import { headerOf, withHeader } from './flow.ts';
import { compileRule, ruleMatches, type Hook, type MatchEnv } from './match.ts';
import { candidatesOf } from './chain-index.ts';
import { applyNat } from './nat.ts';
import { describePick } from './endpoint-pick.ts';
import { appendAll } from '../util/append.ts';
import { chainLoopThrough, describeChainLoop } from '../topology/chain-loops.ts';
import { ruleAt, ruleCountOf } from '../topology/parse/iptables/lazy-chains.ts';

export type { Hook } from './match.ts';

/** Tables per hook in priority order (raw -300, mangle -150, nat dst -100, filter 0, nat src +100). */
export const TABLES_BY_HOOK: Record<Hook, readonly string[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'nat'],
  FORWARD: ['mangle', 'filter'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter'],
  POSTROUTING: ['mangle', 'nat'],
};

export type { HookEvaluation, HookInput, HookVerdict } from './hook-types.ts';
import type { HookEvaluation, HookInput, HookVerdict } from './hook-types.ts';


const ACCEPT: HookVerdict = { kind: 'accept' };

/** iptables' tables' hook priorities (include/uapi/linux/netfilter_ipv4.h NF_IP_PRI_*). */
const XT_PRIORITY: Readonly<Record<string, number>> = { raw: -300, mangle: -150, filter: 0, security: 50 };
/**
 * nf_nat runs every nat-type chain of a hook from its own hook at NF_IP_PRI_NAT_DST (-100) or
 * NF_IP_PRI_NAT_SRC (100), ordered among themselves by their priority (nf_nat_register_fn), and
 * stops at the first chain that sets up the connection's binding (nf_nat_inet_fn): so iptables'
 * nat table and kube-proxy's `nat-prerouting` share one slot, and the first to DNAT wins.
 */
const NAT_PRIORITY: Readonly<Record<Hook, number | undefined>> = { PREROUTING: -100, OUTPUT: -100, INPUT: 100, POSTROUTING: 100, FORWARD: undefined };

type HookEntry =
  | { kind: 'xt'; table: NfTable; chain: NfChain; nat: boolean; priority: number; sub: number; order: number }
  | { kind: 'nft'; table: NftTable; chain: NftChain; nat: boolean; priority: number; sub: number; order: number };

/**
 * Every chain that runs at this hook, in the kernel's order: iptables' tables at their fixed
 * priorities and nf_tables base chains (families ip and inet) at theirs; equal priorities run
 * newest first. An iptables-nft table listed by nft is read from iptables-save when that was
 * dumped (its text keeps every match).
 */
export function hookEntries(ns: NetNamespace, hook: Hook): HookEntry[] {
  const netfilter = ns.netfilter;
  if (!netfilter) return [];
  const nft = netfilter.nft ?? [];
  const entries: HookEntry[] = [];
  const natPriority = NAT_PRIORITY[hook];
  for (const tableName of TABLES_BY_HOOK[hook]) {
    const table = netfilter.tables[tableName];
    const chain = table?.chains[hook];
    if (!table || !chain) continue;
    const listed = nft.findIndex((t) => t.family === 'ip' && t.name === tableName);
    // iptables-save prints every built-in chain, but iptables-nft creates one in the kernel only
    // when a rule needs it: a chain the nft listing lacks never runs (and leaves no trace line).
    if (listed >= 0 && !Object.hasOwn(nft[listed]!.chains, hook)) continue;
    const nat = tableName === 'nat';
    const priority = nat ? natPriority ?? 0 : XT_PRIORITY[tableName] ?? 0;
    entries.push({ kind: 'xt', table, chain, nat, priority, sub: priority, order: listed * 1000 });
  }
  const nftHook = hook.toLowerCase();
  nft.forEach((table, position) => {
    if (table.family !== 'ip' && table.family !== 'inet') return;
    if (table.iptablesNft && Object.hasOwn(netfilter.tables, table.name)) return;
    Object.values(table.chains).forEach((chain, index) => {
      const base = chain.base;
      if (!base || base.hook !== nftHook) return;
      const nat = base.type === 'nat';
      entries.push({ kind: 'nft', table, chain, nat, priority: nat ? natPriority ?? base.priority : base.priority, sub: base.priority, order: position * 1000 + index });
    });
  });
  // Equal priorities: nf_hook_entries_grow inserts a new hook before the ones of the same
  // priority, so the chain registered last runs first. nft lists tables in the order they were
  // made; podpath takes a table's base chains as made with it (iptables-nft makes its built-in
  // chains when their first rule comes, which the listing cannot show).
  return entries.sort((a, b) => a.priority - b.priority || a.sub - b.sub || b.order - a.order);
}

export function evaluateHook(input: HookInput): HookEvaluation {
  let flow = input.flow;
  const steps: Step[] = [];
  let natBound = false;
  for (const entry of hookEntries(input.ns, input.hook)) {
    // Conntrack sends only a connection's first packet (NEW) through nat; UNTRACKED ones skip it.
    if (entry.nat && (flow.ct.state !== 'NEW' || natBound)) continue;
    if (entry.nat && flow.ct.ipvs && (input.hook === 'OUTPUT' || input.hook === 'PREROUTING')) continue;
    if (input.beforePriority !== undefined && entry.priority >= input.beforePriority) continue;
    if (input.fromPriority !== undefined && entry.priority < input.fromPriority) continue;
    const before = flow.ct;
    const result = entry.kind === 'xt' ? walkTable(entry.table, entry.chain, { ...input, flow }) : walkNftChain(entry.table, entry.chain, input, flow);
    flow = result.flow;
    appendAll(steps, result.steps);
    if (entry.nat && (flow.ct.dnat !== before.dnat || flow.ct.snat !== before.snat)) natBound = true;
    if (result.verdict.kind !== 'accept') return { flow, steps, verdict: result.verdict };
  }
  return { flow, steps, verdict: ACCEPT };
}

interface Frame {
  chain: NfChain;
  count: number;
  /** The next rule from a position on that could match (chain-index.ts); undefined: every rule. */
  next: ((from: number) => number) | undefined;
  /** The position the walk reads from next. */
  cursor: number;
}

const BUILTIN_TARGETS = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'QUEUE', 'NFQUEUE']);
const PASSIVE_TARGETS = new Set(['LOG', 'NFLOG', 'ULOG', 'TRACE', 'AUDIT', 'CHECKSUM', 'TCPMSS', 'DSCP', 'TOS', 'TTL', 'CLASSIFY', 'SET']);
const MAX_RULE_VISITS = 200_000;

function walkTable(table: NfTable, builtin: NfChain, input: HookInput): HookEvaluation {
  let flow = input.flow;
  const steps: Step[] = [];
  const stack: Frame[] = [];
  const seenNotes = new Set<string>();
  const note = (text: string) => {
    if (seenNotes.has(text)) return;
    seenNotes.add(text);
    steps.push({ type: 'note', explanation: text } satisfies NoteStep);
  };
  const env: MatchEnv = {
    header: headerOf(flow),
    hook: input.hook,
    mark: flow.mark,
    ct: flow.ct,
    addressType: input.addressType,
    ipset: input.ipset,
    note,
  };
  if (input.inIface !== undefined) env.inIface = input.inIface;
  if (input.physdev) env.physdev = input.physdev;
  if (input.outIface !== undefined) env.outIface = input.outIface;
  const enter = (chain: NfChain): Frame => ({ chain, count: ruleCountOf(chain), next: candidatesOf(chain, env.header), cursor: 0 });
  let frame = enter(builtin);
  let pick: string | undefined;

  for (let visits = 0; visits < MAX_RULE_VISITS; visits++) {
    const { chain } = frame;
    const position = frame.next ? frame.next(frame.cursor) : frame.cursor;
    if (position >= frame.count) {
      if (stack.length === 0) return policy(table, chain, flow, steps);
      steps.push(implicitReturn(table, chain, stack[stack.length - 1]!.chain));
      frame = stack.pop()!;
      continue;
    }
    frame.cursor = position + 1;
    const rule = ruleAt(chain, position)!; // the rule alone: a long chain's others stay unbuilt
    env.mark = flow.mark;
    if (!ruleMatches(rule, env, input.choose)) continue;

    const target = rule.target;
    const name = target?.name;
    const userChain = name !== undefined && !BUILTIN_TARGETS.has(name) ? table.chains[name] : undefined;
    if (!target || name === undefined) {
      steps.push(step(rule, 'continue', `${describe(rule)} matches; it has no target, so the walk continues`));
    } else if (userChain && chainLoopThrough(table, name)) {
      // The kernel would have refused this table (ELOOP); walking it would never end.
      steps.push(step(rule, 'continue', `${describe(rule)} jumps into ${describeChainLoop(table.name, chainLoopThrough(table, name)!)}; podpath stops walking ${table.name} here and assumes ACCEPT`));
      return { flow, steps, verdict: ACCEPT };
    } else if (userChain) {
      const endpoint = name.startsWith('KUBE-SEP-') ? input.endpointPick?.(chain.name, name) : undefined;
      if (endpoint) pick = describePick(endpoint);
      const verb = target.goto ? 'goto' : 'jump';
      const s = step(rule, verb, explainJump(rule, name, target.goto));
      const random = compileRule(rule).random;
      if (random !== undefined) s.probability = random;
      steps.push(s);
      if (!target.goto) stack.push(frame);
      frame = enter(userChain);
    } else if (name === 'ACCEPT') {
      steps.push(step(rule, 'accept', `${describe(rule)} accepts the packet: ${table.name} ${input.hook} lets it through`));
      return { flow, steps, verdict: ACCEPT };
    } else if (name === 'DROP') {
      const reason = `${describe(rule)} drops the packet`;
      steps.push(step(rule, 'drop', reason));
      return { flow, steps, verdict: { kind: 'drop', rule: rule.text, reason } };
    } else if (name === 'REJECT') {
      const clientSees = rejectMessage(rule);
      const reason = `${describe(rule)} rejects the packet; the client gets ${clientSees}`;
      steps.push(step(rule, 'reject', reason));
      return { flow, steps, verdict: { kind: 'reject', rule: rule.text, reason, clientSees } };
    } else if (name === 'RETURN') {
      const caller = stack[stack.length - 1];
      steps.push(step(rule, 'return', `${describe(rule)} returns${caller ? ` to ${caller.chain.name}` : `; ${chain.name}'s policy applies`}`));
      if (!caller) return policy(table, chain, flow, steps);
      frame = stack.pop()!;
    } else if (name === 'MARK' || name === 'CONNMARK') {
      const before = name === 'MARK' ? flow.mark : flow.ct.mark;
      flow = applyMark(flow, rule, name);
      const after = name === 'MARK' ? flow.mark : flow.ct.mark;
      env.ct = flow.ct;
      const what = name === 'MARK' ? 'packet mark' : 'connection mark';
      steps.push(step(rule, 'mark', `${describe(rule)} sets the ${what} from 0x${before.toString(16)} to 0x${after.toString(16)}${markMeaning(after)}`));
    } else if (name === 'DNAT' || name === 'SNAT' || name === 'MASQUERADE' || name === 'REDIRECT') {
      const header = headerOf(flow);
      const natInput: Parameters<typeof applyNat>[0] = { rule, header };
      const source = name === 'MASQUERADE' ? input.masqueradeSource?.(header) : undefined;
      if (source) natInput.masqueradeSource = source;
      if (input.redirectAddress) natInput.redirectAddress = input.redirectAddress;
      if (pick) natInput.endpointPick = pick;
      const nat = applyNat(natInput)!;
      flow = withHeader(flow, nat.header);
      flow = { ...flow, ct: { ...flow.ct, dnat: flow.ct.dnat || nat.kind === 'dnat', snat: flow.ct.snat || nat.kind === 'snat' } };
      steps.push(nat.step);
      appendAll(steps, nat.notes);
      return { flow, steps, verdict: ACCEPT };
    } else if (name === 'NOTRACK' || (name === 'CT' && target.options.some((o) => o.option === 'notrack'))) {
      flow = { ...flow, ct: { ...flow.ct, state: 'UNTRACKED' } };
      env.ct = flow.ct;
      steps.push(step(rule, 'untrack', `${describe(rule)} exempts the connection from conntrack (UNTRACKED): no NAT applies to it`));
    } else if (PASSIVE_TARGETS.has(name) || name === 'CT') {
      steps.push(step(rule, 'log', `${describe(rule)} (${name}) does not change where the packet goes`));
    } else {
      steps.push(step(rule, 'continue', `${describe(rule)}: podpath does not model target ${name}; assumed the packet continues`));
    }
  }
  note(`stopped walking ${table.name} after ${MAX_RULE_VISITS} rule visits (a jump loop?); assumed ACCEPT`);
  return { flow, steps, verdict: ACCEPT };
}

function step(rule: NfRule, action: NetfilterAction, explanation: string): NetfilterStep {
  const s: NetfilterStep = { type: 'netfilter', table: rule.table, chain: rule.chain, rule: rule.text, action, explanation, source: rule.source };
  if (rule.target) s.target = rule.target.name;
  return s;
}

function policy(table: NfTable, chain: NfChain, flow: Flow, steps: Step[]): HookEvaluation {
  const verdict = (chain.policy ?? 'ACCEPT').toUpperCase();
  const rule = `:${chain.name} ${verdict}`;
  const dropped = verdict === 'DROP';
  const explanation = dropped
    ? `no rule of ${table.name} ${chain.name} decided; its policy DROP drops the packet`
    : `no rule of ${table.name} ${chain.name} decided; its policy ACCEPT lets the packet through`;
  steps.push({ type: 'netfilter', table: table.name, chain: chain.name, rule, action: dropped ? 'policy-drop' : 'policy-accept', target: dropped ? 'DROP' : 'ACCEPT', explanation });
  return { flow, steps, verdict: dropped ? { kind: 'drop', rule, reason: `the ${table.name} ${chain.name} policy DROP drops the packet` } : ACCEPT };
}

function implicitReturn(table: NfTable, chain: NfChain, caller: NfChain): NetfilterStep {
  return {
    type: 'netfilter',
    table: table.name,
    chain: chain.name,
    rule: `(end of ${chain.name})`,
    action: 'end-of-chain',
    explanation: `${chain.name} ends without a verdict; the walk returns to ${caller.name}`,
  };
}

function comment(rule: NfRule): string | undefined {
  const option = rule.options.find((o) => o.module === 'comment');
  return option ? option.values.join(' ') : undefined;
}

function describe(rule: NfRule): string {
  const text = comment(rule);
  return `${rule.table} ${rule.chain} rule ${rule.index}${text ? ` ("${text}")` : ''}`;
}

function explainJump(rule: NfRule, target: string, goto: boolean): string {
  const text = comment(rule);
  // Which endpoint this is, and its share, is said once, on the DNAT step that follows.
  if (target.startsWith('KUBE-SEP-')) return `kube-proxy's draw sends the packet on to the endpoint chain ${target}`;
  if (target === 'KUBE-MARK-MASQ') return `${describe(rule)} sends the packet to KUBE-MARK-MASQ, which marks it to be masqueraded on the way out`;
  if ((target.startsWith('KUBE-SVC-') || target.startsWith('KUBE-SVL-')) && rule.chain.startsWith('KUBE-EXT-')) {
    return `kube-proxy sends traffic that came in by a NodePort or external address on to the service chain ${target}`;
  }
  if (target.startsWith('KUBE-SVC-') || target.startsWith('KUBE-SVL-')) {
    return `kube-proxy: the destination is ${text ? `service ${text.replace(/ cluster IP$/, '')}` : 'a service'}'s address, so the packet goes to the service chain ${target}`;
  }
  if (target.startsWith('KUBE-EXT-')) return `kube-proxy: ${text ? `"${text}"` : 'an external address or NodePort'} matches; on to ${target}`;
  return `${describe(rule)} matches: ${goto ? 'goto' : 'jump to'} ${target}`;
}

function rejectMessage(rule: NfRule): string {
  const type = rule.target?.options.find((o) => o.option === 'reject-with')?.values[0] ?? 'icmp-port-unreachable';
  if (type === 'tcp-reset') return 'a TCP reset (connection refused)';
  return type.replace(/^icmp6?-/, 'icmp ').replace(/-/g, ' ');
}

function markValue(rule: NfRule, name: string): [number, number] | undefined {
  const option = rule.target?.options.find((o) => o.option === name);
  if (!option) return undefined;
  const [v = '0', m] = (option.values[0] ?? '0').split('/');
  return [Number(v) >>> 0, m === undefined ? 0xffffffff : Number(m) >>> 0];
}

function applyMark(flow: Flow, rule: NfRule, target: 'MARK' | 'CONNMARK'): Flow {
  const current = target === 'MARK' ? flow.mark : flow.ct.mark;
  let next = current;
  const xmark = markValue(rule, 'set-xmark');
  const set = markValue(rule, 'set-mark');
  const or = markValue(rule, 'or-mark');
  const and = markValue(rule, 'and-mark');
  const xor = markValue(rule, 'xor-mark');
  // xt_MARK: mark = (mark & ~mask) ^ value; --set-mark v/m is (mark & ~m) | v.
  if (xmark) next = ((current & ~xmark[1]) ^ xmark[0]) >>> 0;
  else if (set) next = ((current & ~set[1]) | set[0]) >>> 0;
  else if (or) next = (current | or[0]) >>> 0;
  else if (and) next = (current & and[0]) >>> 0;
  else if (xor) next = (current ^ xor[0]) >>> 0;
  if (target === 'CONNMARK') {
    const has = (o: string) => rule.target?.options.some((x) => x.option === o) ?? false;
    if (has('save-mark')) return { ...flow, ct: { ...flow.ct, mark: flow.mark } };
    if (has('restore-mark')) return { ...flow, mark: flow.ct.mark };
    return { ...flow, ct: { ...flow.ct, mark: next } };
  }
  return { ...flow, mark: next };
}

function markMeaning(mark: number): string {
  // kube-proxy's masquerade bit (--masquerade-bit 14).
  return (mark & 0x4000) !== 0 ? ' (kube-proxy\'s 0x4000: masquerade this connection in KUBE-POSTROUTING)' : '';
}
