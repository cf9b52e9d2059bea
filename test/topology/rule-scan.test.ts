// The rule reader's fast path (iptables/rule-scan.ts) against the full one (tokenizeLine +
// walkRuleArgs): on every drawn line it reads, it tells its visitor exactly what the full walk
// tells, argument for argument; on the others it says no (and the line is read the full way).
// And it does read the lines kube-proxy writes: a fast path that gave up on them would be slow
// without being wrong.
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type RuleArgsVisitor, walkRuleArgs } from '../../src/topology/parse/iptables/rule-args.ts';
import { FactsCollector } from '../../src/topology/parse/iptables/rule-facts.ts';
import { RuleScanner } from '../../src/topology/parse/iptables/rule-scan.ts';
import { tokenizeLine, WordCache } from '../../src/topology/parse/iptables/tokenize.ts';
import { kubeProxyRestoreInput, syntheticSpec } from '../lab/kube-proxy-rules.ts';

/** Every call a walk makes, with argument indices (the two readers number arguments alike). */
class Recorder implements RuleArgsVisitor {
  readonly calls: unknown[] = [];
  option(module: string, option: string, negated: boolean, _args: readonly string[], start: number, end: number, ofTarget: boolean): void {
    this.calls.push(['option', module, option, negated, start, end, ofTarget]);
  }
  target(name: string, goto: boolean, at: number): void {
    this.calls.push(['target', name, goto, at]);
  }
  counters(packets: number, bytes: number): void {
    this.calls.push(['counters', packets, bytes]);
  }
}

/** What the full reader makes of an `-A` line: the chain and the walk's calls, or undefined (an error, or not -A). */
function fullRead(line: string): { chain: string; calls: unknown[] } | undefined {
  const tokens = tokenizeLine(line);
  if ('error' in tokens) return undefined;
  const command = tokens.args[0];
  if ((command !== '-A' && command !== '--append') || tokens.args[1] === undefined || tokens.quoted[1]) return undefined;
  const recorder = new Recorder();
  return walkRuleArgs(tokens, 2, recorder) === undefined ? { chain: tokens.args[1], calls: recorder.calls } : undefined;
}

function fastRead(line: string): { chain: string; calls: unknown[]; starts: number[]; ends: number[] } | undefined {
  const scanner = new RuleScanner(line, new WordCache());
  const chain = scanner.appendTo(0, line.length);
  if (chain === undefined) return undefined;
  const recorder = new Recorder();
  if (!scanner.walk(recorder)) return undefined;
  return { chain, calls: recorder.calls, starts: scanner.tokens.starts!.slice(), ends: scanner.tokens.ends!.slice() };
}

const PIECES = [
  '-A', '--append', '-I', 'KUBE-SVC-ABC', 'KUBE-SEP-X', '-d', '--dst', '10.96.0.10/32', '-s', '!', '-p', 'tcp', 'TCP', 'udp', '6', '-m', '--match', 'comment', '--comment',
  '"ns/svc:port cluster IP"', '"a\\"b"', '"open', 'x"y z"', 'tcp', '--dport', '80', '8o', '1000:2000', 'statistic', '--mode', 'random', '--probability', '0.5', '1.5',
  '0.33333333349', 'recent', '--rcheck', '--seconds', '10800', '--reap', '--name', 'KUBE-SEP-X', '--mask', '255.255.255.255', '--rsource', 'addrtype', '--dst-type', 'LOCAL',
  '-j', '--jump', '-g', 'DNAT', '--to-destination', '10.244.1.5:80', 'KUBE-MARK-MASQ', 'MARK', '--set-xmark', '0x4000/0x4000', '0x4000/zz', 'set', '--match-set', 'KUBE-CLUSTER-IP',
  'dst', '-c', '1', '2', '-f', '-4', '--fragment', '--unknown-opt', '-x', '-', '--', 'multiport', '--dports', '80,443', 'mark', '--mark', '-i', 'eth0', '-o', '--protocol', '--src',
];
const line = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 24 }).chain((parts) =>
  fc.array(fc.constantFrom(' ', ' ', ' ', '  ', '\t'), { minLength: parts.length, maxLength: parts.length }).map((gaps) => parts.map((p, i) => `${p}${gaps[i]}`).join('')),
);
const appendLine = line.map((rest) => `-A KUBE-SVC-ABC ${rest}`);
// Lines of well-formed clauses (what the fast path reads), with now and then a wrong value.
const clause = fc.oneof(
  fc.tuple(fc.constantFrom('-p', '--protocol'), fc.constantFrom('tcp', 'TCP', 'Udp', 'sctp', 'icmp', 'all', '6')).map((c) => c.join(' ')),
  fc.tuple(fc.constantFrom('-d', '-s', '--dst', '-i', '-o'), fc.constantFrom('10.96.0.10/32', 'eth0', '"quoted value"')).map((c) => c.join(' ')),
  fc.tuple(fc.constantFrom('-m', '--match'), fc.constantFrom('comment', 'tcp', 'udp', 'statistic', 'recent', 'addrtype', 'multiport', 'mark', 'foo', 'basic')).map((c) => c.join(' ')),
  fc.tuple(
    fc.constantFrom('--comment', '--dport', '--sport', '--dports', '--probability', '--mode', '--seconds', '--rcheck', '--dst-type', '--mark', '--to-destination', '--weird', '--every'),
    fc.constantFrom('', '80', '80,443', '1000:2000', '0.25', '2', 'random', 'LOCAL', '0x4000/0x4000', '"ns/svc:p cluster IP"', '10.244.1.5:80', 'x1'),
  ).map((c) => c.join(' ')),
  fc.tuple(fc.constantFrom('-j', '-g'), fc.constantFrom('DNAT', 'KUBE-SEP-X', 'MARK', 'statistic')).map((c) => c.join(' ')),
  fc.constantFrom('!', '-f', '-4'),
);
const clauseLine = fc.array(clause, { minLength: 0, maxLength: 8 }).map((parts) => `-A KUBE-SEP-X ${parts.join(' ')}`);

describe('RuleScanner', () => {
  prop.prop([fc.oneof(line, appendLine, clauseLine, clauseLine)], { numRuns: 4000 })('reads a line as the full reader does, or leaves it to it', (text) => {
    const fast = fastRead(text);
    if (fast === undefined) return;
    const full = fullRead(text);
    expect(full).toBeDefined();
    expect(fast.chain).toBe(full!.chain);
    expect(fast.calls).toEqual(full!.calls);
    const tokens = tokenizeLine(text, 0, text.length, { args: [], quoted: [], starts: [], ends: [] });
    if ('error' in tokens) throw new Error('the full reader tokenized it above');
    expect(fast.starts.slice(0, tokens.starts!.length)).toEqual(tokens.starts);
    expect(fast.ends.slice(0, tokens.ends!.length)).toEqual(tokens.ends);
    // kube-proxy's facts as the scan keeps them (which argument gave each value, the flags).
    const facts = (walk: (c: FactsCollector) => void) => {
      const collector = new FactsCollector();
      collector.begin();
      walk(collector);
      return { picked: [...collector.picked], flags: collector.flags, comments: [...collector.comments], target: collector.targetName };
    };
    const scanner = new RuleScanner(text, new WordCache());
    scanner.appendTo(0, text.length);
    expect(facts((c) => scanner.walk(c))).toEqual(facts((c) => walkRuleArgs(tokens, 2, c)));
  });

  it("reads every rule line kube-proxy's generator writes", () => {
    const text = kubeProxyRestoreInput(syntheticSpec(40, 3));
    const rules = text.split('\n').filter((l) => l.startsWith('-A '));
    expect(rules.length).toBeGreaterThan(200);
    const left = rules.filter((l) => fastRead(l) === undefined);
    expect(left).toEqual([]);
  });
});
