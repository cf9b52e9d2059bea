// servicesAt answers "which services does this address belong to" from an index built once per
// service list: the services whose cluster IP, external IP or load-balancer IP it is, each once,
// in the topology's order (the order explain's names list them in).
import { describe, expect, it } from 'vitest';
import type { Service } from '../../src/topology/model.ts';
import { isServiceAddress, servicesAt } from '../../src/topology/service-addresses.ts';

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
