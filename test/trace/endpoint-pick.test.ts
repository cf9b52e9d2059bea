// endpointPick names the endpoint a KUBE-SVC → KUBE-SEP jump picks, from the topology's services.
// When two services (or two endpoints of one) name the same pair, the last wins, as one map of
// every (svcChain, sepChain) pair filled in the services' order would have it. The list is
// scanned for its first asks and indexed by chain after (util/scan-then-index.ts); the answers
// must be the map's either way.
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { Service } from '../../src/topology/model.ts';
import { endpointPick, type EndpointPick } from '../../src/trace/endpoint-pick.ts';
import { SCANS_BEFORE_INDEX } from '../../src/util/scan-then-index.ts';
import { options } from '../fuzz/settings.ts';

const SVC = ['KUBE-SVC-A', 'KUBE-SVC-B', 'KUBE-SVC-C'];
const SEP = ['KUBE-SEP-1', 'KUBE-SEP-2', 'KUBE-SEP-3'];

const services: fc.Arbitrary<Service[]> = fc.array(
  fc.record({ svcChain: fc.option(fc.constantFrom(...SVC), { nil: undefined }), seps: fc.array(fc.constantFrom(...SEP), { maxLength: 4 }) }),
  { maxLength: 10 },
).map((list) => list.map(({ svcChain, seps }, i) => {
  const service: Service = {
    namespace: 'default', name: `s${i}`, port: 80, protocol: 'tcp', nodePorts: [], externalIPs: [], noEndpointsReject: false, seenOn: ['n1'],
    endpoints: seps.map((sepChain, e) => ({ ip: `10.244.${i}.${e + 1}`, port: 80, probability: 1 / (e + 2), sepChain })),
  };
  if (svcChain !== undefined) service.svcChain = svcChain;
  return service;
}));

/** Every pair's pick, later services and endpoints overwriting earlier ones. */
function pairMap(list: readonly Service[]): Map<string, EndpointPick> {
  const map = new Map<string, EndpointPick>();
  for (const service of list) {
    if (service.svcChain === undefined) continue;
    service.endpoints.forEach((e, i) => map.set(`${service.svcChain} ${e.sepChain}`, { position: i + 1, count: service.endpoints.length, share: e.probability }));
  }
  return map;
}

describe('endpointPick', () => {
  const pairs = SVC.flatMap((svc) => SEP.map((sep) => [svc, sep] as const));
  prop.prop([services], options('endpoint pick scan then index'))('is the last pick naming the pair, before and after the index', (list) => {
    const expected = pairMap(list);
    // Every pair asked twice over: the first SCANS_BEFORE_INDEX scan the list, the rest use its index.
    expect(2 * pairs.length).toBeGreaterThan(SCANS_BEFORE_INDEX);
    for (let round = 0; round < 2; round++) {
      for (const [svc, sep] of pairs) expect(endpointPick(list, svc, sep)).toEqual(expected.get(`${svc} ${sep}`));
    }
  });
});
