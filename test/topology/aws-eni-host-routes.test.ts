// AWS VPC CNI reaches each pod by a host route on the host side of its veth, named `eni` and 11
// hex digits, as Calico does on cali*: a node's `ip route` alone names its pods, unnamed. The
// routes are aws/amazon-vpc-cni-k8s#1712's `ip route list` (test/wild), trailing blanks kept.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { roleOfName } from '../../src/topology/roles.ts';

const ROUTES = [
  '# ip route list ',
  'default via 10.204.128.1 dev ens5 ',
  '10.204.128.0/18 dev ens5 proto kernel scope link src 10.204.191.153 ',
  '10.204.128.0/18 dev ens7 proto kernel scope link src 10.204.177.34 ',
  '10.204.128.165 dev eni9f3f751f9cd scope link ',
  '10.204.129.227 dev eni51745251c7f scope link ',
  '',
].join('\n');

describe('pods from AWS VPC CNI host routes', () => {
  it('one unnamed pod per eni device, on the node the routes are from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-eni-'));
    try {
      const file = join(dir, 't.txt');
      writeFileSync(file, ROUTES);
      const t = await loadTopology([file], { node: 'n1' });
      expect(t.pods.map((p) => `${p.ip} ${p.node} ${p.hostInterface} ${p.unnamed}`)).toEqual([
        '10.204.128.165 n1 eni9f3f751f9cd true',
        '10.204.129.227 n1 eni51745251c7f true',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('only `eni` and 11 hex digits is a pod veth: ens5/enp0s3 stay the underlay, other eni names say nothing', () => {
    expect(roleOfName('eni9f3f751f9cd')).toBe('pod-veth');
    expect(roleOfName('ens5')).toBe('underlay');
    expect(roleOfName('enp0s3')).toBe('underlay');
    expect(roleOfName('eni-1')).toBeUndefined();
    expect(roleOfName('eni9f3f751f9cdx')).toBeUndefined();
  });
});
