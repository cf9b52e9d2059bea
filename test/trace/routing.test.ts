// Routing (fib_lookup as ip-rule(8) and ip-route(8) document it), source selection
// (inet_select_addr) and the chain index.
import { describe, expect, it } from 'vitest';
import { lookupRoute, selectSource } from '../../src/trace/routing.ts';
import { candidateRules } from '../../src/trace/chain-index.ts';
import { addr, iface, netfilter, ns, route } from './fixtures.ts';
import type { RoutingRule } from '../../src/topology/model.ts';

const src = { file: 'f', line: 1 };
const namespace = (routes = [route('default', { via: '10.0.0.254', dev: 'eth0' })], rules: RoutingRule[] = []) =>
  ns('n1', 'node', {
    interfaces: [
      iface(2, 'eth0', { addresses: [addr('10.0.0.1', 24), { ...addr('10.0.9.1', 24), scope: 'link' }] }),
      iface(3, 'eth1', { addresses: [addr('172.16.0.1', 16)] }),
      iface(4, 'flannel.1', { addresses: [addr('192.168.1.0', 32)] }),
    ],
    routes: [route('10.0.0.0/24', { dev: 'eth0', scope: 'link', src: '10.0.0.1' }), ...routes],
    rules,
  });

describe('lookupRoute', () => {
  it('takes the longest prefix, then the lower metric', () => {
    const n = namespace([
      route('default', { via: '10.0.0.254', dev: 'eth0' }),
      route('192.168.0.0/16', { via: '10.0.0.2', dev: 'eth0', metric: 100 }),
      route('192.168.2.0/24', { via: '10.0.0.3', dev: 'eth0', metric: 200 }),
      route('192.168.2.0/24', { via: '10.0.0.4', dev: 'eth0', metric: 50 }),
    ]);
    const decision = lookupRoute({ ns: n, dst: '192.168.2.7', mark: 0 });
    expect(decision).toMatchObject({ result: 'forward', nextHop: '10.0.0.4', outIface: 'eth0', table: 'main' });
    expect(decision.step.chosen).toBe('192.168.2.0/24 via 10.0.0.4 dev eth0 metric 50');
    expect(decision.step.losers).toEqual(['192.168.2.0/24 via 10.0.0.3 dev eth0 metric 200', '192.168.0.0/16 via 10.0.0.2 dev eth0 metric 100', 'default via 10.0.0.254 dev eth0']);
  });

  it('delivers locally to the namespace\'s own addresses (local table rebuilt from ip addr)', () => {
    expect(lookupRoute({ ns: namespace(), dst: '172.16.0.1', mark: 0 })).toMatchObject({ result: 'local', table: 'local' });
  });

  it('reports blackhole, unreachable and prohibit routes, and no route', () => {
    const n = namespace([route('192.168.226.64/26', { type: 'blackhole', proto: 'bird' }), route('10.9.0.0/16', { type: 'unreachable' }), route('10.8.0.0/16', { type: 'prohibit' })]);
    expect(lookupRoute({ ns: n, dst: '192.168.226.70', mark: 0 }).result).toBe('blackhole');
    expect(lookupRoute({ ns: n, dst: '10.9.1.1', mark: 0 }).result).toBe('unreachable');
    expect(lookupRoute({ ns: n, dst: '10.8.1.1', mark: 0 }).result).toBe('prohibit');
    expect(lookupRoute({ ns: n, dst: '8.8.8.8', mark: 0 }).result).toBe('none');
  });

  it('follows ip rules: a fwmark selects another table, and a table without a match falls through', () => {
    const rules: RoutingRule[] = [
      { priority: 0, table: 'local', source: src },
      { priority: 100, table: '100', fwmark: '0x10/0x10', source: src },
      { priority: 32766, table: 'main', source: src },
    ];
    const n = namespace([route('default', { via: '10.0.0.254', dev: 'eth0' }), route('default', { table: '100', via: '172.16.0.254', dev: 'eth1' }), route('8.8.0.0/16', { table: '100', type: 'throw' })], rules);
    expect(lookupRoute({ ns: n, dst: '1.1.1.1', mark: 0x10 })).toMatchObject({ table: '100', nextHop: '172.16.0.254' });
    expect(lookupRoute({ ns: n, dst: '1.1.1.1', mark: 0 })).toMatchObject({ table: 'main', nextHop: '10.0.0.254' });
    // `throw` ends the lookup in table 100 and the next rule (main) decides.
    expect(lookupRoute({ ns: n, dst: '8.8.8.8', mark: 0x10 })).toMatchObject({ table: 'main', nextHop: '10.0.0.254' });
  });

  it('says which dump is missing when a namespace has no routes', () => {
    const n = ns('worker-9', 'node', { dumps: ['addr'] });
    expect(lookupRoute({ ns: n, dst: '1.1.1.1', mark: 0 })).toMatchObject({ result: 'unknown' });
  });
});

describe('selectSource (inet_select_addr)', () => {
  it('prefers the device\'s global address in the next hop\'s subnet, skips link scope, falls back to other devices', () => {
    const n = namespace();
    expect(selectSource(n, 'eth0', '10.0.0.254')).toBe('10.0.0.1');
    expect(selectSource(n, 'eth0', '10.0.9.9')).toBe('10.0.0.1');
    expect(selectSource(n, 'flannel.1', '192.168.2.0')).toBe('192.168.1.0');
    const bare = ns('n2', 'node', { interfaces: [iface(1, 'lo', { addresses: [{ family: 4, address: '127.0.0.1', prefixLength: 8, scope: 'host' }] }), iface(5, 'cali1'), iface(2, 'eth0', { addresses: [addr('10.74.107.73', 24)] })] });
    expect(selectSource(bare, 'cali1', '192.168.133.200')).toBe('10.74.107.73');
  });
});

describe('chain index', () => {
  it('returns, in chain order, the rules for this destination or port plus those with neither', () => {
    const lines = ['*nat', ':KUBE-SERVICES - [0:0]'];
    for (let i = 0; i < 200; i++) lines.push(`-A KUBE-SERVICES -d 10.96.${i >> 8}.${i & 255}/32 -p tcp -m tcp --dport 80 -j ACCEPT`);
    lines.push('-A KUBE-SERVICES -p tcp -m tcp --dport 30080 -j ACCEPT');
    lines.push('-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j ACCEPT', 'COMMIT', '');
    const chain = netfilter(lines.join('\n')).tables['nat']!.chains['KUBE-SERVICES']!;
    expect(candidateRules(chain, { src: '1.1.1.1', dst: '10.96.0.7', dport: 80, proto: 'tcp' })).toEqual([7, 201]);
    expect(candidateRules(chain, { src: '1.1.1.1', dst: '10.96.0.199', dport: 30080, proto: 'tcp' })).toEqual([199, 200, 201]);
    const small = netfilter('*nat\n:X - [0:0]\n-A X -d 1.1.1.1/32 -j ACCEPT\nCOMMIT\n').tables['nat']!.chains['X']!;
    expect(candidateRules(small, { src: '1.1.1.1', dst: '2.2.2.2', proto: 'tcp' })).toBeUndefined();
  });
});
