// A trace to a service without endpoints leads with that lesson. On the seed's Calico cluster
// the kernel's own netfilter trace (samples/seed-calico/expected.json, xtables-monitor) shows
// filter FORWARD accepting pod1's packet for default/empty before kube-proxy's REJECT: the
// trace must say the service has no endpoints and name that very rule. On Flannel the REJECT
// is reached and the ending is the rejection itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceResult } from '../../src/trace/model.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

interface Recorded {
  services: { namespace: string; name: string; portName: string; endpoints: unknown[] }[];
  connections: { id: string; netfilter: { node: string; table: string; chain: string; verdict: string; rule: string | null }[] }[];
}
const recorded = (scenario: string) => JSON.parse(readFileSync(join(repoRoot, 'samples', scenario, 'expected.json'), 'utf8')) as Recorded;

describe('a service with no endpoints', () => {
  it('seed-calico: the reason leads with it and names the FORWARD ACCEPT the kernel took', async () => {
    const lab = recorded('seed-calico');
    const empty = lab.services.find((s) => s.name === 'empty')!;
    expect(empty.endpoints).toEqual([]);
    const accept = lab.connections.find((c) => c.id === 'pod1-to-empty')!.netfilter.find((n) => n.table === 'filter' && n.verdict === 'accept')!;
    const run = await runPodpath(['trace', 'samples/seed-calico', '--from', 'pod1', '--to', `${empty.namespace}/${empty.name}`, '--json']);
    const path = (JSON.parse(run.stdout) as TraceResult).paths[0]!;
    expect(path.reason.startsWith(`${empty.namespace}/${empty.name}:${empty.portName} has no endpoints`)).toBe(true);
    expect(path.reason).toContain(`${accept.table} ${accept.chain} accepted the packet first: ${accept.rule}`);
  });
  it('seed-flannel: kube-proxy\'s REJECT is reached, and the ending is that rejection', async () => {
    const run = await runPodpath(['trace', 'samples/seed-flannel', '--from', 'pod1', '--to', 'default/empty', '--json']);
    const path = (JSON.parse(run.stdout) as TraceResult).paths[0]!;
    expect(path.disposition).toBe('rejected');
    expect(path.reason).not.toContain('was not reached');
  });
});
