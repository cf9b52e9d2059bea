// The user chain's declaration `:NAME - [0:0]` is read from the text without cutting the line
// (iptables-save.ts declareUserChain); any other spelling goes the full way (tokenizeLine). The
// same declarations written both ways give the same chains, counters, policies and warnings.
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/topology/parse/iptables-save.ts';

// Names from the characters that matter to the two readers: quotes, backslashes, dashes, tabs.
const name = fc.stringMatching(/^[A-Za-z0-9_\-"'\\.:[\]!]{1,12}$/);
const declaration = fc.record({
  name,
  policy: fc.constantFrom('-', '-', '-', 'ACCEPT', 'DROP'),
  counters: fc.constantFrom('[0:0]', '[0:0]', '[3:180]', '[x:1]', ''),
});

/** A dump of `decls` in table nat, each written with `gap` between its words. */
function dump(decls: { name: string; policy: string; counters: string }[], gap: string): string {
  const lines = decls.map((d) => `:${d.name}${gap}${d.policy}${d.counters === '' ? '' : `${gap}${d.counters}`}`);
  return ['*nat', ...lines, '-A PREROUTING -j ACCEPT', 'COMMIT', ''].join('\n');
}

function reading(text: string): unknown {
  const { tables, warnings } = parseIptablesSave(text, 'f');
  const chains = Object.values(tables['nat']?.chains ?? {}).map((c) => ({ name: c.name, builtin: c.builtin, policy: c.policy, counters: c.counters }));
  return { chains, warnings: warnings.map((w) => [w.line, w.message]) };
}

describe('chain declarations, read from the text and the full way', () => {
  prop.prop([fc.array(declaration, { minLength: 1, maxLength: 8 })])('agree on every chain and warning', (decls) => {
    // A tab between the words is never the fast path's spelling: that dump is read the full way.
    expect(reading(dump(decls, ' '))).toEqual(reading(dump(decls, '\t')));
  });

  it("reads kube-proxy's declarations as user chains with no counts", () => {
    const { tables, warnings } = parseIptablesSave(['*nat', ':KUBE-SVC-ABCDEFGHIJKLMNOP - [0:0]', ':PREROUTING ACCEPT [7:420]', 'COMMIT', ''].join('\n'), 'f');
    expect(warnings).toEqual([]);
    const svc = tables['nat']!.chains['KUBE-SVC-ABCDEFGHIJKLMNOP']!;
    expect([svc.builtin, svc.policy, svc.counters]).toEqual([false, undefined, { packets: 0, bytes: 0 }]);
    const pre = tables['nat']!.chains['PREROUTING']!;
    expect([pre.builtin, pre.policy, pre.counters]).toEqual([true, 'ACCEPT', { packets: 7, bytes: 420 }]);
  });
});
