// A set's or map's element that is not of its declared type is skipped with a warning, not kept.
// The Kubernetes blog's nftables post (2025-02-28) quotes kube-proxy's `map service-ips` with the
// author's `...` closing the element list: it was read as a fourth element mapping nothing, and
// counted in the kube-proxy evidence ("4 elements"). The lines after the blog's map are made up to
// show the rule's edges: networks and ranges kept, a map element with no value dropped.
import { describe, expect, it } from 'vitest';
import { parseNftRuleset } from '../../src/topology/parse/nft/ruleset.ts';

const excerpt = [
  'table ip kube-proxy {',
  '\tmap service-ips {',
  '\t\ttype ipv4_addr . inet_proto . inet_service : verdict',
  '\t\telements = { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-namespace1/service1/tcp/p80,',
  '                             172.30.0.42 . tcp . 443 : goto service-42NFTM6N-namespace2/service2/tcp/p443,',
  '                             ... }',
  '        }',
  '\tset cluster-ips {',
  '\t\ttype ipv4_addr',
  '\t\telements = { 10.96.0.1, 10.96.0.10,',
  '\t\t\t     ... }',
  '\t}',
  '\tset nodeport-ips {',
  '\t\ttype ipv4_addr',
  '\t\telements = { 192.168.0.231, 10.0.0.0/8, 10.1.1.1-10.1.1.5 }',
  '\t}',
  '\tmap service-nodeports {',
  '\t\ttype inet_proto . inet_service : verdict',
  '\t\telements = { tcp . 30000 : goto external-ULMVA6XW-namespace1/service1/tcp/p80, tcp . 30001 }',
  '\t}',
  '}',
].join('\n');

describe('set and map elements of the wrong shape', () => {
  const { tables, warnings } = parseNftRuleset(excerpt, 'f');
  const sets = tables[0]!.sets;
  const keys = (name: string) => sets[name]!.elements.map((e) => e.key.join(' . '));

  it('keeps the elements of the declared type and drops an elision, one warning per list on its first line', () => {
    expect(keys('service-ips')).toEqual(['172.30.0.41 . tcp . 80', '172.30.0.42 . tcp . 443']);
    expect(keys('cluster-ips')).toEqual(['10.96.0.1', '10.96.0.10']);
    expect(warnings.map((w) => [w.line, w.message])).toEqual([
      [4, 'map service-ips: element `...` not of its type (ipv4_addr . inet_proto . inet_service : value), skipped'],
      [10, 'set cluster-ips: element `...` not of its type (ipv4_addr), skipped'],
      [19, 'map service-nodeports: element `tcp . 30001` not of its type (inet_proto . inet_service : value), skipped'],
    ]);
  });

  it('networks and ranges are addresses; a map element without a value is not an element', () => {
    expect(keys('nodeport-ips')).toEqual(['192.168.0.231', '10.0.0.0/8', '10.1.1.1-10.1.1.5']);
    expect(keys('service-nodeports')).toEqual(['tcp . 30000']);
  });
});
