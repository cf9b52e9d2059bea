// One nf_tables base chain walked for one packet, as nft_do_chain runs it: each
// rule's expressions left to right (a failed match ends the rule, a statement
// acts, a verdict decides), jump pushes, goto replaces, return (or the end of a
// regular chain) pops, the end of the base chain applies its policy. Like
// `nft monitor trace`, every rule that ran to its end or gave a verdict becomes
// a step; rules passed over leave none.
//
//   ip daddr . meta l4proto . th dport vmap @service-ips   → the map's verdict for that key, or the next rule
//   numgen random mod N vmap { 0 : goto a, … }             → element i with chance 1/N (asked of the chooser
//                                                            as 1/N, 1/(N-1), … so the branches enumerate)
import type { NftChain, NftExpr, NftRule, NftTable, NftVerdict } from '../topology/model.ts';
import type { FieldDiff, NatStep, NetfilterAction, NetfilterStep, NoteStep, Step } from './model.ts';
import { formatEndpoint, headerOf, withHeader, type Flow, type Header } from './flow.ts';
import { compare, lookupElement, readOperand, type NftEnv } from './nft-match.ts';
import { describePick } from './endpoint-pick.ts';
import type { HookInput, HookVerdict } from './hook-types.ts';
import { appendAll } from '../util/append.ts';

export interface NftChainEvaluation {
  flow: Flow;
  steps: Step[];
  verdict: HookVerdict;
  /** Set when a nat statement made this connection's binding (the other nat chains of the hook are then skipped). */
  nat?: 'dnat' | 'snat';
}

const MAX_RULE_VISITS = 200_000;
const MAX_DEPTH = 16; // nf_tables' NFT_JUMP_STACK_SIZE: deeper jumps are refused when the ruleset is loaded

interface Frame {
  chain: NftChain;
  cursor: number;
}

type RuleOutcome =
  | { kind: 'no-match' }
  | { kind: 'continue' }
  | { kind: 'verdict'; verdict: NftVerdict; pick?: string; probability?: number; via?: string }
  | { kind: 'reject'; with?: string }
  | { kind: 'nat'; type: 'dnat' | 'snat' | 'masquerade' | 'redirect'; expr: Extract<NftExpr, { kind: 'nat' }> };

export function walkNftChain(table: NftTable, base: NftChain, input: HookInput, startFlow: Flow): NftChainEvaluation {
  let flow = startFlow;
  const steps: Step[] = [];
  const stack: Frame[] = [];
  const notes = new Set<string>();
  const note = (text: string) => {
    if (notes.has(text)) return;
    notes.add(text);
    steps.push({ type: 'note', explanation: text } satisfies NoteStep);
  };
  const env = (): NftEnv => {
    const e: NftEnv = { header: headerOf(flow), mark: flow.mark, ct: flow.ct, addressType: input.addressType, note };
    if (input.inIface !== undefined) e.inIface = input.inIface;
    if (input.outIface !== undefined) e.outIface = input.outIface;
    return e;
  };
  let frame: Frame = { chain: base, cursor: 0 };
  let pick: string | undefined;
  const where = `${table.family} ${table.name}`;

  for (let visits = 0; visits < MAX_RULE_VISITS; visits++) {
    const rule = frame.chain.rules[frame.cursor++];
    if (!rule) {
      if (stack.length === 0) return policy(table, base, flow, steps);
      frame = stack.pop()!; // the end of a regular chain returns silently, as in the kernel's trace
      continue;
    }
    const state = { flow };
    const outcome = runRule(table, rule, env(), input, state, note);
    const before = flow;
    flow = state.flow;
    if (outcome.kind === 'no-match') continue;
    if (outcome.kind === 'continue') {
      steps.push(step(rule, 'continue', continueText(rule, before, flow)));
      continue;
    }
    if (outcome.kind === 'reject') {
      const clientSees = outcome.with === 'tcp reset' ? 'a TCP reset (connection refused)' : (outcome.with ?? 'icmp port-unreachable').replace(/^icmpx? /, 'icmp ').replace(/-/g, ' ');
      const reason = `${describe(rule)} rejects the packet; the client gets ${clientSees}`;
      steps.push(step(rule, 'reject', reason));
      return { flow, steps, verdict: { kind: 'reject', rule: rule.text, reason, clientSees } };
    }
    if (outcome.kind === 'nat') {
      const nat = applyNftNat(rule, outcome.expr, headerOf(flow), input, pick);
      flow = withHeader(flow, nat.header);
      const kind = outcome.type === 'dnat' || outcome.type === 'redirect' ? 'dnat' : 'snat';
      flow = { ...flow, ct: { ...flow.ct, dnat: flow.ct.dnat || kind === 'dnat', snat: flow.ct.snat || kind === 'snat' } };
      steps.push(nat.step);
      appendAll(steps, nat.notes);
      return { flow, steps, verdict: { kind: 'accept' }, nat: kind };
    }
    const { verdict } = outcome;
    switch (verdict.kind) {
      case 'accept':
        steps.push(step(rule, 'accept', `${describe(rule)} accepts the packet: ${where} ${base.name} lets it through`));
        return { flow, steps, verdict: { kind: 'accept' } };
      case 'drop': {
        const reason = `${describe(rule)} drops the packet`;
        steps.push(step(rule, 'drop', reason));
        return { flow, steps, verdict: { kind: 'drop', rule: rule.text, reason } };
      }
      case 'continue':
        steps.push(step(rule, 'continue', `${describe(rule)} matches; its verdict is continue`));
        break;
      case 'return': {
        const caller = stack.pop();
        steps.push(step(rule, 'return', `${describe(rule)} returns${caller ? ` to ${caller.chain.name}` : `; ${base.name}'s policy applies`}`));
        if (!caller) return policy(table, base, flow, steps);
        frame = caller;
        break;
      }
      case 'jump':
      case 'goto': {
        const target = Object.hasOwn(table.chains, verdict.target) ? table.chains[verdict.target] : undefined;
        if (!target) {
          note(`${describe(rule)} sends the packet to chain ${verdict.target}, which the dump of ${where} does not have; assumed it accepts`);
          return { flow, steps, verdict: { kind: 'accept' } };
        }
        if (verdict.kind === 'jump' && stack.length >= MAX_DEPTH) {
          note(`${describe(rule)} jumps deeper than nf_tables allows (${MAX_DEPTH}); the kernel would have refused this ruleset`);
          return { flow, steps, verdict: { kind: 'accept' } };
        }
        if (outcome.pick) pick = outcome.pick;
        const s = step(rule, verdict.kind, jumpText(rule, verdict, outcome.via, outcome.pick), verdict.target);
        if (outcome.probability !== undefined) s.probability = outcome.probability;
        steps.push(s);
        if (verdict.kind === 'jump') stack.push(frame);
        frame = { chain: target, cursor: 0 };
        break;
      }
      default: {
        const never: never = verdict;
        return never;
      }
    }
  }
  note(`stopped walking ${where} after ${MAX_RULE_VISITS} rule visits (a jump loop?); assumed accept`);
  return { flow, steps, verdict: { kind: 'accept' } };
}

/** Runs one rule's expressions; statements that change the mark or conntrack write to `state.flow`. */
function runRule(table: NftTable, rule: NftRule, env: NftEnv, input: HookInput, state: { flow: Flow }, note: (t: string) => void): RuleOutcome {
  for (const expr of rule.exprs) {
    switch (expr.kind) {
      case 'match': {
        const values = readOperand(expr.left, env);
        if (values === undefined) {
          note(`podpath cannot tell what ${describe(rule)} reads for this packet; assumed it does not match`);
          return { kind: 'no-match' };
        }
        if (!compare(values, expr.op, expr.right, table, env)) return { kind: 'no-match' };
        break;
      }
      case 'vmap': {
        if (expr.key.kind === 'numgen') {
          if (expr.map.kind !== 'elements') return { kind: 'no-match' };
          const n = expr.key.mod;
          // numgen draws 0…n-1 uniformly; asking 1/n, 1/(n-1), … enumerates the same shares.
          let drawn = n - 1;
          for (let i = 0; i < n - 1; i++) {
            if (input.choose(1 / (n - i))) {
              drawn = i;
              break;
            }
          }
          const value = String(drawn + expr.key.offset);
          const element = expr.map.elements.find((e) => e.key.length === 1 && e.key[0] === value);
          if (!element?.verdict) return { kind: 'no-match' };
          // numgen's share is the rule's own 1/n; the sentence is the iptables pick's (endpoint-pick.ts).
          const pick = describePick({ position: drawn + 1, count: n, share: 1 / n });
          return { kind: 'verdict', verdict: element.verdict, pick, probability: 1 / n };
        }
        const values = readOperand(expr.key, env);
        if (values === undefined) {
          note(`podpath cannot build the key of ${describe(rule)} for this packet; assumed no element matches`);
          return { kind: 'no-match' };
        }
        let elements;
        let via: string;
        if (expr.map.kind === 'set') {
          const map = Object.hasOwn(table.sets, expr.map.name) ? table.sets[expr.map.name] : undefined;
          if (!map) {
            note(`map @${expr.map.name} is not in the dump of ${table.family} ${table.name}; assumed it has no element for this packet`);
            return { kind: 'no-match' };
          }
          elements = map.elements;
          via = `@${expr.map.name}`;
        } else if (expr.map.kind === 'elements') {
          elements = expr.map.elements;
          via = 'its map';
        } else return { kind: 'no-match' };
        const element = lookupElement(values, elements);
        if (!element?.verdict) return { kind: 'no-match' };
        return { kind: 'verdict', verdict: element.verdict, via: `${via} has ${element.key.join(' . ')}${element.comment ? ` ("${element.comment}")` : ''}` };
      }
      case 'verdict':
        return { kind: 'verdict', verdict: expr.verdict };
      case 'reject':
        return expr.with === undefined ? { kind: 'reject' } : { kind: 'reject', with: expr.with };
      case 'nat':
        return { kind: 'nat', type: expr.type, expr };
      case 'mangle': {
        const value = readOperand(expr.value, env);
        const key = expr.key;
        if (key.kind === 'meta' && key.key === 'nftrace') break;
        if (value?.length !== 1 || value[0]!.kind !== 'number') {
          note(`podpath cannot compute what ${describe(rule)} writes; assumed it changes nothing`);
          break;
        }
        const v = value[0]!.value >>> 0;
        if (key.kind === 'meta' && key.key === 'mark') {
          env.mark = v;
          state.flow = { ...state.flow, mark: v };
        } else if (key.kind === 'ct' && key.key === 'mark') {
          env.ct = { ...env.ct, mark: v };
          state.flow = { ...state.flow, ct: { ...state.flow.ct, mark: v } };
        }
        break;
      }
      case 'notrack':
        env.ct = { ...env.ct, state: 'UNTRACKED' };
        state.flow = { ...state.flow, ct: { ...state.flow.ct, state: 'UNTRACKED' } };
        break;
      case 'passive':
        break;
      case 'unknown':
        note(`podpath does not read \`${expr.text}\` in ${describe(rule)}; assumed the rule does not match`);
        return { kind: 'no-match' };
      default: {
        const never: never = expr;
        return never;
      }
    }
  }
  return { kind: 'continue' };
}


function comment(rule: NftRule): string {
  return rule.comment !== undefined ? ` ("${rule.comment}")` : '';
}

function describe(rule: NftRule): string {
  return `${rule.family} ${rule.table} ${rule.chain} rule ${rule.index}${comment(rule)}`;
}

function step(rule: NftRule, action: NetfilterAction, explanation: string, target?: string): NetfilterStep {
  const s: NetfilterStep = { type: 'netfilter', table: rule.table, chain: rule.chain, rule: rule.text, action, explanation, source: rule.source };
  if (target !== undefined) s.target = target;
  return s;
}

/** kube-proxy's masquerade bit (--masquerade-bit 14, "mark set mark or 0x4000" in nftables mode). */
function markMeaning(mark: number): string {
  return (mark & 0x4000) !== 0 ? " (kube-proxy's 0x4000: masquerade this connection in its nat-postrouting chain)" : '';
}

function continueText(rule: NftRule, before: Flow, after: Flow): string {
  if (before.mark !== after.mark) return `${describe(rule)} sets the packet mark from 0x${before.mark.toString(16)} to 0x${after.mark.toString(16)}${markMeaning(after.mark)}`;
  if (before.ct.mark !== after.ct.mark) return `${describe(rule)} sets the connection mark from 0x${before.ct.mark.toString(16)} to 0x${after.ct.mark.toString(16)}`;
  if (before.ct.state !== after.ct.state) return `${describe(rule)} exempts the connection from conntrack (untracked): no NAT applies to it`;
  return `${describe(rule)} matches; it gives no verdict, so the walk goes on`;
}

function jumpText(rule: NftRule, verdict: Extract<NftVerdict, { kind: 'jump' | 'goto' }>, via: string | undefined, pick: string | undefined): string {
  const target = verdict.target;
  // Which endpoint this is, and its share, is said once, on the DNAT step that follows.
  if (pick) return `kube-proxy's draw sends the packet on to the endpoint chain ${target}`;
  if (target === 'mark-for-masquerade') return `${describe(rule)} sends the packet to mark-for-masquerade, which marks it to be masqueraded on the way out`;
  if (via) {
    if (target.startsWith('service-') || target.startsWith('local-')) return `kube-proxy: ${via}, so the packet goes to the service chain ${target}`;
    if (target.startsWith('external-')) return `kube-proxy: ${via} (a NodePort or external address), so the packet goes to ${target}`;
    return `${describe(rule)}: ${via}, so ${verdict.kind} ${target}`;
  }
  return `${describe(rule)} matches: ${verdict.kind === 'goto' ? 'goto' : 'jump to'} ${target}`;
}

function policy(table: NftTable, chain: NftChain, flow: Flow, steps: Step[]): NftChainEvaluation {
  const verdict = chain.base?.policy ?? 'accept';
  const dropped = verdict === 'drop';
  const rule = `policy ${verdict}`;
  steps.push({
    type: 'netfilter', table: table.name, chain: chain.name, rule, action: dropped ? 'policy-drop' : 'policy-accept', target: dropped ? 'DROP' : 'ACCEPT',
    explanation: `no rule of ${table.family} ${table.name} ${chain.name} decided; its policy ${verdict} ${dropped ? 'drops the packet' : 'lets the packet through'}`,
    source: chain.source,
  });
  return { flow, steps, verdict: dropped ? { kind: 'drop', rule, reason: `the ${table.family} ${table.name} ${chain.name} policy drop drops the packet` } : { kind: 'accept' } };
}

function diff(field: FieldDiff['field'], before: string | number | undefined, after: string | number | undefined): FieldDiff[] {
  return before === after ? [] : [{ field, old: before, new: after }];
}

/** dnat/snat/masquerade/redirect as data (the same nat step iptables' targets give). */
function applyNftNat(rule: NftRule, expr: Extract<NftExpr, { kind: 'nat' }>, header: Header, input: HookInput, pick: string | undefined): { header: Header; step: NatStep; notes: NoteStep[] } {
  const base = { type: 'nat' as const, table: rule.table, chain: rule.chain, rule: rule.text, source: rule.source };
  const notes: NoteStep[] = [];
  if (expr.type === 'dnat' || expr.type === 'redirect') {
    const next: Header = { ...header, dst: expr.type === 'redirect' ? (input.redirectAddress ?? header.dst) : (expr.addr ?? header.dst) };
    if (expr.port !== undefined) next.dport = expr.port;
    const diffs = [...diff('dst', header.dst, next.dst), ...diff('dport', header.dport, next.dport)];
    const to = formatEndpoint(next.dst, next.dport);
    const explanation = pick ? `kube-proxy picks ${pick} and rewrites the destination to ${to}` : `${expr.type} rewrites the destination ${formatEndpoint(header.dst, header.dport)} to ${to}`;
    return { header: next, notes, step: { ...base, action: 'dnat', diffs, explanation } };
  }
  let address = expr.addr;
  let explanation: string;
  if (expr.type === 'masquerade') {
    const source = input.masqueradeSource?.(header);
    address = source?.address;
    explanation = address
      ? `masquerade rewrites the source to ${address}, the address of the outgoing interface ${source?.outIface}, so replies come back through this node`
      : 'masquerade would rewrite the source, but no interface has an IPv4 address in the dumps';
  } else explanation = `snat rewrites the source to ${address ?? header.src}`;
  const next: Header = { ...header, src: address ?? header.src };
  if (expr.port !== undefined) next.sport = expr.port;
  if (expr.flags.includes('fully-random') || expr.flags.includes('random')) {
    delete next.sport;
    notes.push({ type: 'note', explanation: `${expr.type} ${expr.flags.join(',')} picks a random source port, so the port after this point cannot be known from the dumps` });
  }
  const diffs = [...diff('src', header.src, next.src), ...diff('sport', header.sport, next.sport)];
  return { header: next, notes, step: { ...base, action: expr.type === 'masquerade' ? 'masquerade' : 'snat', diffs, explanation } };
}
