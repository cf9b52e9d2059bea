// Interface roles are decided once in the build, from `ip -d link`'s kind first (the word on
// each device's second line: veth, bridge, vxlan …) and from the CNIs' naming conventions only
// when the kind was not dumped. Expected roles come from each sample's own ip-d-link.txt.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { classifyInterface, roleOf, roleOfName } from '../../src/topology/roles.ts';
import { repoRoot } from '../helpers/run.ts';

/** name → kind, read from `ip -d link` text: "N: name[@ifM]: <…>" then the kind as the first word of the details line. */
function kindsOf(text: string): Map<string, string> {
  const kinds = new Map<string, string>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^\d+: ([^:@]+)(?:@\S+)?: </.exec(line);
    if (!m) return;
    const details = lines[i + 2];
    const kind = details && /^ {4}(\w+)/.exec(details)?.[1];
    kinds.set(m[1]!, kind && !/^(?:addrgenmode|promiscuity)$/.test(kind) ? kind : 'ether');
  });
  return kinds;
}

// What each kind is to pod networking on these nodes (topology/roles.ts's header).
const ROLE_OF_KIND: Record<string, string> = { vxlan: 'vxlan', ipip: 'ipip', veth: 'pod-veth', ether: 'underlay' };

describe('interface roles from the samples\' ip -d link', () => {
  for (const sample of ['seed-flannel', 'seed-calico']) {
    it(`${sample}: every interface of worker-1 has the role its kind and name say`, async () => {
      const topology = await loadTopology([join(repoRoot, 'samples', sample)]);
      const node = topology.nodes.find((n) => n.name === 'worker-1')!;
      const kinds = kindsOf(readFileSync(join(repoRoot, 'samples', sample, 'worker-1', 'ip-d-link.txt'), 'utf8'));
      expect(kinds.size).toBeGreaterThan(3);
      for (const [name, kind] of kinds) {
        const iface = node.netns.interfaces.find((i) => i.name === name)!;
        expect(iface.role, name).toBeDefined();
        // lo is loopback; docker0 is Docker's own bridge, never the underlay; cni0 is flannel's pod bridge;
        // eth0 is a veth (the nodes are containers) whose NIC name makes it the underlay.
        const expected = name === 'lo' ? 'loopback' : name === 'docker0' ? 'docker-bridge' : kind === 'bridge' ? 'bridge' : name === 'eth0' ? 'underlay' : ROLE_OF_KIND[kind];
        expect(iface.role, `${name} (${kind})`).toBe(expected);
        expect(roleOf(node.netns, name)).toBe(expected);
      }
    });
  }
});

describe('roles when `ip -d link` was not dumped: the naming conventions', () => {
  const bare = (name: string) => classifyInterface({ name });
  it('names the CNIs\' devices by their conventions', () => {
    expect(bare('flannel.1')).toBe('vxlan'); // flannel's VXLAN device, N its VNI
    expect(bare('vxlan.calico')).toBe('vxlan');
    expect(bare('tunl0')).toBe('ipip'); // the ipip module's fallback device, Calico's IP-in-IP
    expect(bare('cni0')).toBe('bridge');
    expect(bare('cali6abd5b4bbeb')).toBe('pod-veth');
    expect(bare('veth6b3caf45')).toBe('pod-veth');
    expect(bare('docker0')).toBe('docker-bridge');
    expect(bare('br-0123456789ab')).toBe('docker-bridge');
    expect(bare('kube-ipvs0')).toBe('other');
    expect(bare('eth0')).toBe('underlay');
    expect(bare('ens3')).toBe('underlay');
  });
  it('lets the kind win over the name', () => {
    expect(classifyInterface({ name: 'eth1', kind: 'vxlan' })).toBe('vxlan');
    expect(classifyInterface({ name: 'br0', kind: 'bridge' })).toBe('underlay'); // a host bridge with the NIC in it
    expect(classifyInterface({ name: 'mytunnel', kind: 'ipip' })).toBe('ipip');
    expect(classifyInterface({ name: 'eth0', kind: 'veth' }, 'pod')).toBe('pod-veth');
  });
  it('says nothing for a name no convention covers', () => {
    expect(roleOfName('foo0')).toBeUndefined();
  });
});
