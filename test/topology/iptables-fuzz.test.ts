// Property tests: whatever text the iptables-save parser and the services index
// are given — random bytes, real dumps with bytes flipped, lines dropped,
// duplicated or cut, hostile shapes — they return (never throw) within a time
// bound, and what they return is well-formed. Seeded, so a failure names the
// seed and input that reproduce it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { PodpathError } from '../../src/errors.ts';
import { parseIptablesSave, type IptablesSaveResult } from '../../src/topology/parse/iptables-save.ts';
import { servicesFromNetfilter } from '../../src/topology/kube-proxy/services.ts';
import { kubeProxyRestoreInput, syntheticSpec } from '../lab/kube-proxy-rules.ts';
import { corpusDir } from '../helpers/shared.ts';
import { draws, randomFrom } from '../fuzz/draws.ts';
import { options } from '../fuzz/settings.ts';

const corpus = `${corpusDir}/iptables`;
const corpusTexts = readdirSync(corpus)
  .sort()
  .map((file) => ({ file, text: readFileSync(join(corpus, file), 'latin1') }));
const generated = kubeProxyRestoreInput({ ...syntheticSpec(6, 3), services: syntheticSpec(6, 3).services.map((s, i) => (i === 2 ? { ...s, endpoints: [] } : i === 3 ? { ...s, sessionAffinitySeconds: 60 } : s)) });
const seeds = [...corpusTexts, { file: 'generated.txt', text: generated }];

const ALPHABET = ['-A ', '-I ', '-N ', ':', '*nat\n', '*filter\n', 'COMMIT\n', '"', '\\', '!', ' ', '\n', '\r', '\t', '[1:2] ', '[', ']', '-m ', '-j ', '-g ', '--', 'KUBE-SVC-', 'KUBE-SEP-', '/', '0', 'x', '\u0000', '\u001b[2J', 'é', '\uffff'];

function mutate(text: string, random: () => number): string {
  const pick = (n: number): number => Math.floor(random() * n);
  let out = text;
  const edits = 1 + pick(8);
  for (let e = 0; e < edits; e++) {
    const at = pick(out.length + 1);
    switch (pick(7)) {
      case 0: // flip a byte
        out = out.slice(0, at) + String.fromCharCode(pick(256)) + out.slice(at + 1);
        break;
      case 1: // insert a token iptables-save uses
        out = out.slice(0, at) + ALPHABET[pick(ALPHABET.length)] + out.slice(at);
        break;
      case 2: // truncate (a dump cut mid-line)
        out = out.slice(0, at);
        break;
      case 3: {
        // drop a line
        const lines = out.split('\n');
        lines.splice(pick(lines.length), 1);
        out = lines.join('\n');
        break;
      }
      case 4: {
        // duplicate a line elsewhere
        const lines = out.split('\n');
        lines.splice(pick(lines.length), 0, lines[pick(lines.length)] ?? '');
        out = lines.join('\n');
        break;
      }
      case 5: // delete a span
        out = out.slice(0, at) + out.slice(at + pick(64));
        break;
      default: {
        // swap two lines (rules before their table, COMMIT early)
        const lines = out.split('\n');
        const i = pick(lines.length);
        const j = pick(lines.length);
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        out = lines.join('\n');
      }
    }
  }
  return out;
}

/** Parse and index; fail with the reproducing input if anything but a PodpathError is thrown. */
function check(text: string, label: string): IptablesSaveResult {
  let result: IptablesSaveResult | undefined;
  const started = performance.now();
  try {
    result = parseIptablesSave(text, 'fuzz.txt');
    const asFragment = parseIptablesSave(text, 'fuzz.txt', { fragmentTable: 'nat' });
    for (const parsed of [result, asFragment]) {
      const { services } = servicesFromNetfilter(parsed.tables, 'node', [{ namespace: 'ns0', name: 'svc-0', portName: 'http', protocol: 'tcp' }]);
      for (const service of services) {
        const total = service.endpoints.reduce((sum, e) => sum + e.probability, 0);
        if (!(total <= 1 + 1e-9) || service.endpoints.some((e) => !(e.probability >= 0 && e.probability <= 1))) {
          throw new Error(`probabilities out of range for ${service.name}: ${JSON.stringify(service.endpoints)}`);
        }
      }
    }
  } catch (error) {
    if (error instanceof PodpathError) return parseIptablesSave('', 'fuzz.txt');
    throw new Error(`${label}: ${(error as Error).stack}\ninput: ${JSON.stringify(text.slice(0, 2000))}`);
  }
  const elapsed = performance.now() - started;
  expect(elapsed, `${label} took ${elapsed} ms`).toBeLessThan(2000);
  const lineCount = text.split('\n').length;
  for (const warning of result.warnings) {
    expect(warning.file).toBe('fuzz.txt');
    expect(warning.line).toBeGreaterThanOrEqual(1);
    expect(warning.line).toBeLessThanOrEqual(lineCount);
    expect((warning.text ?? '').length).toBeLessThanOrEqual(201);
  }
  for (const table of Object.values(result.tables)) {
    for (const chain of Object.values(table.chains)) {
      chain.rules.forEach((rule, i) => {
        expect(rule.index).toBe(i + 1);
        expect(rule.source.line).toBeLessThanOrEqual(lineCount);
      });
    }
  }
  return result;
}

describe('iptables-save parser under random and mutated input', () => {
  prop.prop([fc.array(fc.oneof(fc.constantFrom(...ALPHABET), fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c))), { maxLength: 400 })], options('iptables random'))(
    'survives random byte strings',
    (parts) => {
      check(parts.join(''), 'random');
    },
  );

  prop.prop([fc.constantFrom(...seeds), draws], options('iptables mutations'))('survives mutated real dumps and generator output', (seed, values) => {
    check(mutate(seed.text, randomFrom(values)), `${seed.file} mutated`);
  });

  it('survives every truncation point of a kube-proxy dump', () => {
    const text = kubeProxyRestoreInput(syntheticSpec(2, 2));
    for (let cut = 0; cut <= text.length; cut += 13) check(text.slice(0, cut), `truncated at ${cut}`);
  });

  it('handles hostile shapes quickly', () => {
    const hostile: [string, string][] = [
      ['one long quoted line', `*filter\n:X - [0:0]\n-A X -m comment --comment "${'a\\"'.repeat(100_000)}" -j ACCEPT\nCOMMIT\n`],
      ['an unterminated quote 200 kB long', `*filter\n-A X -m comment --comment "${'x'.repeat(200_000)}\nCOMMIT\n`],
      ['50k negations', `*filter\n-A X ${'! '.repeat(50_000)}-j DROP\nCOMMIT\n`],
      ['50k options', `*filter\n-A X -m foo ${'--opt v '.repeat(50_000)}-j DROP\nCOMMIT\n`],
      ['table names from Object.prototype', '*constructor\n:toString ACCEPT [0:0]\n-A __proto__ -j ACCEPT\nCOMMIT\n*__proto__\n-A hasOwnProperty -j X\nCOMMIT\n'],
      ['huge counters', '*filter\n:INPUT ACCEPT [99999999999999999999999:1]\n[1:99999999999999999999999] -A INPUT -j ACCEPT\nCOMMIT\n'],
      ['only separators', '\n\r\n\t \n'.repeat(20_000)],
      ['NUL bytes', '\u0000'.repeat(100_000)],
      ['bad probabilities', '*nat\n:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]\n-A KUBE-SVC-AAAAAAAAAAAAAAAA -m statistic --mode random --probability -3 -j KUBE-SEP-AAAAAAAAAAAAAAAA\n-A KUBE-SVC-AAAAAAAAAAAAAAAA -m statistic --probability NaN -j KUBE-SEP-BBBBBBBBBBBBBBBB\n-A KUBE-SVC-AAAAAAAAAAAAAAAA -m statistic --probability 7 -j KUBE-SEP-CCCCCCCCCCCCCCCC\n-A KUBE-SEP-AAAAAAAAAAAAAAAA -j DNAT --to-destination :\n-A KUBE-SEP-BBBBBBBBBBBBBBBB -j DNAT --to-destination [::1]:99999\n-A KUBE-SEP-CCCCCCCCCCCCCCCC -j DNAT\nCOMMIT\n'],
    ];
    for (const [label, text] of hostile) {
      const started = performance.now();
      check(text, label);
      expect(performance.now() - started, label).toBeLessThan(1500);
    }
  });

  it('keeps reading after damage: a flipped byte in one rule costs that rule, not the dump', () => {
    // calico_felix-fv_iptables-dump.txt line 73 is the kubernetes service's KUBE-SERVICES jump;
    // an unterminated quote there loses that one rule and nothing else (awk: nat has 19 rules).
    const original = readFileSync(join(corpus, 'calico_felix-fv_iptables-dump.txt'), 'utf8');
    const lines = original.split('\n');
    lines[72] = lines[72]!.replace('"default/kubernetes:https cluster IP"', '"default/kubernetes:https cluster IP');
    const { tables, warnings } = parseIptablesSave(lines.join('\n'), 'damaged.txt');
    expect(warnings.map((w) => [w.line, w.message.split(' at ')[0]])).toEqual([[73, 'unterminated quote']]);
    expect(Object.values(tables['nat']!.chains).reduce((n, c) => n + c.rules.length, 0)).toBe(18);
    expect(Object.values(tables['filter']!.chains).reduce((n, c) => n + c.rules.length, 0)).toBe(25);
  });
});
