// servicesAt answers "which services does this address belong to": the services whose cluster IP,
// external IP or load-balancer IP it is, each once, in the topology's order (the order explain's
// names list them in); by scanning the list for its first questions, then from an index.
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Service } from '../../src/topology/model.ts';
import { isServiceAddress, servicesAt } from '../../src/topology/service-addresses.ts';
import { SCANS_BEFORE_INDEX } from '../../src/util/scan-then-index.ts';
import { options } from '../fuzz/settings.ts';

const service = (name: string, port: number, parts: Partial<Service>): Service => ({
  namespace: 'default', name, port, protocol: 'tcp', nodePorts: [], externalIPs: [], endpoints: [], noEndpointsReject: false, seenOn: ['worker-1'], ...parts,
});

describe('servicesAt', () => {
  const web80 = service('web', 80, { clusterIP: '10.96.0.10', externalIPs: ['192.0.2.10'] });
  const web443 = service('web', 443, { clusterIP: '10.96.0.10' });
  const lb = service('lb', 80, { clusterIP: '10.96.0.20', loadBalancerIPs: ['203.0.113.5'] });
  const selfExternal = service('odd', 80, { clusterIP: '10.96.0.30', externalIPs: ['10.96.0.30'] });
  const headless = service('headless', 80, {});
  const services = [web80, lb, web443, selfExternal, headless];

  it('finds a cluster IP\'s every service port, in order', () => {
    expect(servicesAt(services, '10.96.0.10')).toEqual([web80, web443]);
  });

  it('finds external and load-balancer IPs', () => {
    expect(servicesAt(services, '192.0.2.10')).toEqual([web80]);
    expect(servicesAt(services, '203.0.113.5')).toEqual([lb]);
  });

  it('names a service once when its cluster IP is also its external IP', () => {
    expect(servicesAt(services, '10.96.0.30')).toEqual([selfExternal]);
  });

  it('finds nothing for an address no service holds', () => {
    expect(servicesAt(services, '10.244.1.7')).toEqual([]);
    expect(servicesAt([], '10.96.0.10')).toEqual([]);
  });

  it('tells whether an address is a service\'s', () => {
    expect(['10.96.0.10', '192.0.2.10', '203.0.113.5', '10.96.0.30', '10.244.1.7'].map((ip) => isServiceAddress(services, ip))).toEqual([true, true, true, true, false]);
  });
});

describe('servicesAt before and after its index', () => {
  // A list is scanned for its first SCANS_BEFORE_INDEX questions, then indexed: the answers must
  // not change when the index takes over, for any list (shared addresses, a cluster IP that is also
  // another's external IP, headless services) and any address asked.
  const ADDRESSES = ['10.96.0.1', '10.96.0.2', '10.96.0.3', '192.0.2.1', '203.0.113.1'];
  const address = fc.constantFrom(...ADDRESSES);
  const services = fc.array(
    fc.record({
      clusterIP: fc.option(address, { nil: undefined }),
      externalIPs: fc.array(address, { maxLength: 2 }),
      loadBalancerIPs: fc.option(fc.array(address, { maxLength: 2 }), { nil: undefined }),
    }),
    { maxLength: 12 },
  ).map((list) => list.map((parts, i) => {
    const s = service(`s${i}`, 80, { externalIPs: parts.externalIPs });
    if (parts.clusterIP !== undefined) s.clusterIP = parts.clusterIP;
    if (parts.loadBalancerIPs !== undefined) s.loadBalancerIPs = parts.loadBalancerIPs;
    return s;
  }));
  const asked = fc.array(fc.constantFrom(...ADDRESSES, '10.244.1.7'), { minLength: 1, maxLength: 6 });

  prop.prop([services, asked], options('service addresses scan then index'))('answers the same questions the same way', (list, ips) => {
    const holders = (ip: string) => list.filter((s) => s.clusterIP === ip || s.externalIPs.includes(ip) || (s.loadBalancerIPs ?? []).includes(ip));
    const ask = () => ips.map((ip) => ({ at: servicesAt(list, ip), is: isServiceAddress(list, ip) }));
    const expected = ips.map((ip) => ({ at: holders(ip), is: holders(ip).length > 0 }));
    // Asked until the index is surely built (2 lookups per address each round), then again.
    const rounds: ReturnType<typeof ask>[] = [];
    for (let asks = 0; asks <= SCANS_BEFORE_INDEX + 2 * ips.length; asks += 2 * ips.length) rounds.push(ask());
    rounds.push(ask());
    for (const round of rounds) expect(round).toEqual(expected);
  });
});
