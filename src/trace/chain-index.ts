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
import { factsOf, ruleCountOf, scannedRuleIds } from '../topology/parse/iptables/lazy-chains.ts';
import { FACT_DESTINATION, FACT_DESTINATION_NEGATED, FACT_DPORT, FACT_NOT_HEADER_ONLY, type RuleFacts } from '../topology/parse/iptables/rule-facts.ts';
import type { RuleLines } from '../topology/parse/iptables/rule-lines.ts';
import { parseIpv4 } from '../util/address.ts';
import type { Header } from './flow.ts';

const INDEX_THRESHOLD = 64;

const KEY_NONE = 0;
const KEY_DST = 1;
const KEY_DPORT = 2;

/**
 * Each rule's key, by position: numbers only, read from the dump's text without cutting a string.
 * A packet's candidates are one pass over these (10,000 rules: some microseconds), so nothing is
 * hashed or grouped ahead of the first packet: building a map of 10,000 destinations was most of
 * the first trace's time.
 */
interface ChainKeys {
  kinds: Uint8Array;
  /** The destination (an unsigned 32-bit address) or destination port a rule requires. */
  keys: Float64Array;
}

const indexes = new WeakMap<NfChain, ChainKeys>();

/** The exact destination / destination port a header-only rule requires, from its facts' strings. */
function keyOf(facts: RuleFacts, keys: ChainKeys, i: number): void {
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

function setKey(keys: ChainKeys, i: number, kind: number, key: number): void {
  keys.kinds[i] = kind;
  keys.keys[i] = key;
}

function keysOf(chain: NfChain): ChainKeys {
  const scanned = scannedRuleIds(chain);
  if (scanned) return scannedKeysOf(scanned.lines, scanned.ids);
  const all = factsOf(chain);
  const keys: ChainKeys = { kinds: new Uint8Array(all.length), keys: new Float64Array(all.length) };
  for (let i = 0; i < all.length; i++) if (all[i]!.headerOnly) keyOf(all[i]!, keys, i);
  return keys;
}

/** keyOf for rules whose facts the dump's scan kept: the same keys, read from where the values are, one pass and no object a rule. */
function scannedKeysOf(lines: RuleLines, ids: Int32Array): ChainKeys {
  const keys: ChainKeys = { kinds: new Uint8Array(ids.length), keys: new Float64Array(ids.length) };
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const flags = lines.flagsOf(id);
    if ((flags & FACT_NOT_HEADER_ONLY) !== 0) continue;
    const address = (flags & FACT_DESTINATION_NEGATED) !== 0 ? -1 : lines.hostAddressAt(id, FACT_DESTINATION);
    if (address >= 0) setKey(keys, i, KEY_DST, address);
    else {
      const port = lines.digitsAt(id, FACT_DPORT);
      if (port >= 0) setKey(keys, i, KEY_DPORT, port);
    }
  }
  return keys;
}

/** Positions (0-based, ascending) of the rules in `chain` that could match `header`. */
export function candidateRules(chain: NfChain, header: Header): readonly number[] | undefined {
  if (ruleCountOf(chain) < INDEX_THRESHOLD) return undefined; // short chains: read them all
  let index = indexes.get(chain);
  if (!index) {
    index = keysOf(chain);
    indexes.set(chain, index);
  }
  const dst = parseIpv4(header.dst) ?? -1;
  const dport = header.dport ?? -1;
  const { kinds, keys } = index;
  const candidates: number[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]!;
    if (kind === KEY_NONE || (kind === KEY_DST ? keys[i] === dst : keys[i] === dport)) candidates.push(i);
  }
  return candidates;
}
