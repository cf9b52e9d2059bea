// The dump scanner keeps what kube-proxy's reader, the jump-loop check and the rule counts need
// (parse/iptables/lazy-chains.ts, rule-facts.ts) and builds a chain's NfRules only when they are
// first read. What it kept must be what the built rules say, on every real dump the repository
// holds (the samples' nodes, recorded by iptables-save in the lab, and the public corpus), and
// the built chain must look to every reader like a chain parsed eagerly.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainsOf, factsOf, firstRuleSource, jumpChainsOf, jumpTargetsOf, ruleAt, ruleCountOf } from '../../src/topology/parse/iptables/lazy-chains.ts';
import { factsFromRule, factsText, type RuleFacts } from '../../src/topology/parse/iptables/rule-facts.ts';
import { parseIptablesSave } from '../../src/topology/parse/iptables-save.ts';
import { kubeProxyRestoreInput, syntheticSpec } from '../lab/kube-proxy-rules.ts';

const root = join(import.meta.dirname, '..', '..');

function dumps(): { name: string; text: string }[] {
  const found: { name: string; text: string }[] = [];
  for (const sample of readdirSync(join(root, 'samples'))) {
    const dir = join(root, 'samples', sample);
    if (!statSync(dir).isDirectory()) continue;
    for (const node of readdirSync(dir)) {
      const file = join(dir, node, 'iptables-save.txt');
      try {
        found.push({ name: `samples/${sample}/${node}`, text: readFileSync(file, 'utf8') });
      } catch {
        // this sample's folder is not a node with an iptables dump
      }
    }
  }
  const corpus = join(root, 'test', 'corpus', 'iptables');
  for (const file of readdirSync(corpus)) if (file.endsWith('.txt')) found.push({ name: `test/corpus/iptables/${file}`, text: readFileSync(join(corpus, file), 'utf8') });
  // kube-proxy's rules as its proxier writes them (the bench's generator), large-cluster mode included.
  found.push({ name: 'generated 300 services', text: kubeProxyRestoreInput(syntheticSpec(300, 3)) });
  return found;
}

/**
 * The facts without where they point (the scan's refer to the dump, factsFromRule's to the rule):
 * every value factsFromRule gives, read by name (the scan's are read from the text when asked).
 */
function comparable(facts: RuleFacts): Record<string, unknown> {
  const keys = Object.keys(factsFromRule({ table: 't', chain: 'c', index: 1, text: '', options: [], source: { file: 'f', line: 1 } }));
  const out: Record<string, unknown> = { file: facts.origin.file, text: factsText(facts) };
  for (const key of keys) if (key !== 'origin' && key !== 'index') out[key] = facts[key as keyof RuleFacts];
  return out;
}

const all = dumps();

describe('what the scan keeps is what the built rules say', () => {
  it('finds the dumps it checks', () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all.some((d) => d.text.includes('KUBE-SEP-'))).toBe(true);
  });

  for (const { name, text } of all) {
    it(name, () => {
      // fragments (no *table line) are read into a table as topology reads them
      const parsed = parseIptablesSave(text, name, { guessTables: !/^\*[A-Za-z]/m.test(text) });
      let kubeChains = 0;
      for (const table of Object.values(parsed.tables)) {
        const inOrder = chainsOf(table);
        const values = Object.values(table.chains);
        expect(inOrder.length).toBe(values.length);
        expect(inOrder.every((c, i) => c === values[i])).toBe(true);
        for (const chain of values) {
          const count = ruleCountOf(chain);
          const first = firstRuleSource(chain);
          const targets = [...jumpTargetsOf(chain)];
          const facts = factsOf(chain).map(comparable);
          const jumps = jumpChainsOf(table, chain);
          if (chain.name.startsWith('KUBE-') && count > 0) kubeChains++;
          const rules = chain.rules; // built here
          expect(count).toBe(rules.length);
          expect(first).toEqual(rules[0]?.source);
          expect(targets).toEqual(rules.map((r) => r.target?.name));
          // the chain found when the line was read is the one the table names (by identity)
          const named = rules.map((r) => (r.target ? table.chains[r.target.name] : undefined));
          expect(jumps.map((j, i) => j === named[i])).toEqual(rules.map(() => true));
          expect(facts).toEqual(rules.map((r) => comparable(factsFromRule(r))));
          rules.forEach((rule, i) => expect(rule.index).toBe(i + 1));
        }
      }
      if (name.startsWith('generated')) expect(kubeChains).toBeGreaterThan(600); // facts kept, then compared
    });
  }
});

describe('jumps to a chain made after the jump', () => {
  // iptables-restore refuses these ("Chain 'B' does not exist"), but pasted fragments and -N lines
  // in a transcript have them; the jump still leads to the chain the table has once read.
  it('finds the chain declared or made by a later line', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -j LATER', '-A INPUT -j MADE', '-A INPUT -j ACCEPT', ':LATER - [0:0]', '-N MADE', '-A LATER -j MADE', 'COMMIT', ''].join('\n');
    const table = parseIptablesSave(text, 'f').tables['filter']!;
    const input = table.chains['INPUT']!;
    const jumps = jumpChainsOf(table, input);
    expect(jumps[0]).toBe(table.chains['LATER']);
    expect(jumps[1]).toBe(table.chains['MADE']);
    expect(jumps[2]).toBeUndefined();
    expect(jumpChainsOf(table, table.chains['LATER']!)[0]).toBe(table.chains['MADE']);
  });

  it('closes a loop through a later chain', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -j CHAIN-A', '-A CHAIN-A -j CHAIN-B', '-N CHAIN-B', '-A CHAIN-B -j CHAIN-A', 'COMMIT', ''].join('\n');
    const { warnings } = parseIptablesSave(text, 'f');
    expect(warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/^chain loop in table filter: CHAIN-A → CHAIN-B → CHAIN-A \(rules at f:4, f:6\)/));
  });
});

describe("a table's chains in for-in order", () => {
  it('puts chains named like array indices first, as for-in does', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', ':B - [0:0]', ':10 - [0:0]', ':2 - [0:0]', ':01 - [0:0]', 'COMMIT', ''].join('\n');
    const table = parseIptablesSave(text, 'f').tables['filter']!;
    expect(chainsOf(table).map((c) => c.name)).toEqual(['2', '10', 'INPUT', 'B', '01']);
  });
});

describe('a chain whose rules are built on first read', () => {
  const text = ['*nat', ':PREROUTING ACCEPT [0:0]', ':KUBE-X - [3:4]', '-A KUBE-X -j RETURN', '-I KUBE-X 1 -p tcp -j ACCEPT', '-A KUBE-X -m comment --comment "a b" -j DROP', 'COMMIT', ''].join('\n');

  it('shows rules in its place to JSON, keys and spread, with the -I line first', () => {
    const chain = parseIptablesSave(text, 'f').tables['nat']!.chains['KUBE-X']!;
    expect(Object.keys(chain)).toEqual(['name', 'builtin', 'rules', 'counters']);
    const json = JSON.parse(JSON.stringify(chain)) as { rules: { text: string; index: number }[] };
    expect(Object.keys(json)).toEqual(['name', 'builtin', 'rules', 'counters']);
    expect(json.rules.map((r) => [r.index, r.text])).toEqual([
      [1, '-I KUBE-X 1 -p tcp -j ACCEPT'],
      [2, '-A KUBE-X -j RETURN'],
      [3, '-A KUBE-X -m comment --comment "a b" -j DROP'],
    ]);
    expect({ ...chain }.rules).toBe(chain.rules); // built once, then a plain array
  });

  it('builds one rule alone (ruleAt), the object the built chain then holds', () => {
    const chain = parseIptablesSave(text, 'f').tables['nat']!.chains['KUBE-X']!;
    const second = ruleAt(chain, 1)!;
    expect([second.index, second.text, second.target?.name]).toEqual([2, '-A KUBE-X -j RETURN', 'RETURN']);
    expect(ruleAt(chain, 1)).toBe(second); // built once
    expect(ruleAt(chain, 3)).toBeUndefined();
    expect(ruleAt(chain, -1)).toBeUndefined();
    const rules = chain.rules; // the rest built now
    expect(rules[1]).toBe(second);
    expect(rules).toEqual(parseIptablesSave(text, 'f').tables['nat']!.chains['KUBE-X']!.rules);
    expect(ruleAt(chain, 2)).toBe(rules[2]);
  });

  it('takes an assigned array like any other property', () => {
    const chain = parseIptablesSave(text, 'f').tables['nat']!.chains['KUBE-X']!;
    chain.rules = [];
    expect(chain.rules).toEqual([]);
    expect(ruleCountOf(chain)).toBe(0);
    expect(Object.keys(chain)).toEqual(['name', 'builtin', 'rules', 'counters']);
  });
});
