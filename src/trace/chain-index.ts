// kube-proxy's KUBE-SERVICES holds one rule per service port (10,000 services:
// 10,000+ rules) and KUBE-NODEPORTS one per NodePort. Scanning them per packet
// is what iptables itself does (and why it is slow); the tracer instead indexes
// a long chain once by each rule's exact destination (-d x/32) or exact
// destination port (--dport n), and per packet reads only the rules that could
// match plus those with neither, in chain order.
//
// The index is built from what the dump's reader kept of each rule (rule-facts.ts), so the
// first trace builds only the rules it reads, not the chain's 10,000. A rule is keyed only when
// it reads nothing but the header (RuleFacts.headerOnly): a rule left out of a packet's
// candidates must be one whose walk would fail on that key with no other effect, and a test
// ahead of the key that notes an assumption (-m set, an unmodelled module) or asks the chooser
// (-m statistic) would have had one.
import type { NfChain } from '../topology/model.ts';
import { ruleCountOf, scannedRuleIds } from '../topology/parse/iptables/lazy-chains.ts';
import { FACT_DESTINATION, FACT_DESTINATION_NEGATED, FACT_DPORT, FACT_NOT_HEADER_ONLY, factsFromRule, type RuleFacts } from '../topology/parse/iptables/rule-facts.ts';
import type { RuleLines } from '../topology/parse/iptables/rule-lines.ts';
import { parseIpv4 } from '../util/address.ts';
import type { Header } from './flow.ts';

const INDEX_THRESHOLD = 64;

const KEY_NONE = 0;
const KEY_DST = 1;
const KEY_DPORT = 2;

/**
 * Each rule's key, by position: numbers only, read from the dump's text without cutting a string,
 * and only as far as walks have read the chain. A walk stops at the first rule whose verdict ends
 * the table (a packet to a service: its KUBE-SERVICES rule jumps on to the DNAT), so a trace to
 * the first service reads one rule's key, not 10,000; parsing every rule's -d up front was the
 * first trace's biggest cost. Past `known`, keys are learnt as a walk reaches them.
 */
interface ChainKeys {
  kinds: Uint8Array;
  /** The destination (an unsigned 32-bit address) or destination port a rule requires. */
  keys: Float64Array;
  /** Positions below this have their keys. */
  known: number;
  /** Learns the key of the rule at `position` (the next unknown one). */
  learn: (keys: ChainKeys, position: number) => void;
}

const indexes = new WeakMap<NfChain, ChainKeys>();

/** The exact destination / destination port a header-only rule requires, from its facts' strings. */
function keyOf(facts: RuleFacts, keys: ChainKeys, i: number): void {
  if (!facts.headerOnly) return;
  const value = facts.destination;
  if (value !== undefined && !facts.destinationNegated) {
    const slash = value.indexOf('/');
    if (slash < 0 || value.slice(slash + 1) === '32') {
      const address = parseIpv4(slash < 0 ? value : value.slice(0, slash));
      if (address !== undefined) return setKey(keys, i, KEY_DST, address);
    }
  }
  if (facts.dport !== undefined && /^\d+$/.test(facts.dport)) setKey(keys, i, KEY_DPORT, Number(facts.dport));
}

/** keyOf for a rule whose facts the dump's scan kept: the same key, read from where the values are, no object made. */
function scannedKeyOf(lines: RuleLines, id: number, keys: ChainKeys, i: number): void {
  const flags = lines.flagsOf(id);
  if ((flags & FACT_NOT_HEADER_ONLY) !== 0) return;
  const address = (flags & FACT_DESTINATION_NEGATED) !== 0 ? -1 : lines.hostAddressAt(id, FACT_DESTINATION);
  if (address >= 0) return setKey(keys, i, KEY_DST, address);
  const port = lines.digitsAt(id, FACT_DPORT);
  if (port >= 0) setKey(keys, i, KEY_DPORT, port);
}

function setKey(keys: ChainKeys, i: number, kind: number, key: number): void {
  keys.kinds[i] = kind;
  keys.keys[i] = key;
}

function keysOf(chain: NfChain): ChainKeys {
  const scanned = scannedRuleIds(chain);
  const count = scanned ? scanned.ids.length : ruleCountOf(chain);
  let learn: ChainKeys['learn'];
  if (scanned) {
    const { lines, ids } = scanned;
    learn = (keys, i) => scannedKeyOf(lines, ids[i]!, keys, i);
  } else {
    const rules = chain.rules; // a chain built (or made so): factsOf's other path, a rule at a time
    learn = (keys, i) => keyOf(factsFromRule(rules[i]!), keys, i);
  }
  return { kinds: new Uint8Array(count), keys: new Float64Array(count), known: 0, learn };
}

/**
 * For a walk of `chain` with `header`: the position (0-based) of the next rule from `from` on that
 * could match, or the chain's rule count when none. Undefined for a short chain: read every rule.
 */
export function candidatesOf(chain: NfChain, header: Header): ((from: number) => number) | undefined {
  if (ruleCountOf(chain) < INDEX_THRESHOLD) return undefined;
  let index = indexes.get(chain);
  if (!index) {
    index = keysOf(chain);
    indexes.set(chain, index);
  }
  const keys = index;
  const dst = parseIpv4(header.dst) ?? -1;
  const dport = header.dport ?? -1;
  return (from) => {
    const { kinds } = keys;
    for (let i = from; i < kinds.length; i++) {
      if (i >= keys.known) {
        keys.learn(keys, i);
        keys.known = i + 1;
      }
      const kind = kinds[i]!;
      if (kind === KEY_NONE || (kind === KEY_DST ? keys.keys[i] === dst : keys.keys[i] === dport)) return i;
    }
    return kinds.length;
  };
}

/** Positions (0-based, ascending) of the rules in `chain` that could match `header` (undefined: a short chain). */
export function candidateRules(chain: NfChain, header: Header): readonly number[] | undefined {
  const next = candidatesOf(chain, header);
  if (!next) return undefined;
  const count = ruleCountOf(chain);
  const positions: number[] = [];
  for (let i = next(0); i < count; i = next(i + 1)) positions.push(i);
  return positions;
}
