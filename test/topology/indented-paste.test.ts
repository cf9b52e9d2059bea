// A paste indented as a whole (a markdown code block inside a list item) is read as if it were
// not: calico #9010's `ip route` (4 blanks, with ECMP nexthop lines 8 deep) and projectcalico/bird
// #6's session (6 blanks, prompt included), both in test/wild/ (SOURCES.md).
import { describe, expect, it } from 'vitest';
import { withoutCommonIndent } from '../../src/topology/inputs/read.ts';
import { loadTopology } from '../../src/topology/load.ts';

describe('withoutCommonIndent', () => {
  it('drops only the indent every line shares, blank lines aside', () => {
    expect(withoutCommonIndent('    a\n\n        nexthop x\n    b\n')).toBe('a\n\n    nexthop x\nb\n');
  });

  it('leaves a dump alone when one line starts at the margin (ip addr\'s headers)', () => {
    const addr = '2: eth0: <UP>\n    inet 10.0.0.1/24 scope global eth0\n';
    expect(withoutCommonIndent(addr)).toBe(addr);
  });

  it('keeps tabs and blanks apart: only a shared prefix is common', () => {
    expect(withoutCommonIndent('\t  a\n\t b\n')).toBe(' a\nb\n');
    expect(withoutCommonIndent('\ta\n  b\n')).toBe('\ta\n  b\n');
  });
});

describe('indented pastes from the wild', () => {
  it('calico #9010: 18 routes, ECMP nexthops included, IP-in-IP', async () => {
    const t = await loadTopology(['test/wild/calico-9010-indented-multipath.txt'], { node: 'node' });
    const routes = t.nodes[0]!.netns.routes;
    expect(routes).toHaveLength(18);
    expect(routes.find((r) => r.dst === '172.27.5.128/26')?.nexthops?.map((h) => h.via)).toEqual(['10.77.7.160', '10.83.147.123']);
    expect(t.cni).toMatchObject({ plugin: 'calico', mode: 'ipip' });
    expect(t.warnings).toEqual([]);
  });
});
