// End to end: a real iptables-save of the generator's rules, given to
// `podpath topology --json` as a loose file, comes out as the spec's services.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service, Topology } from '../../src/topology/model.ts';
import { describeNeeding } from '../helpers/requires.ts';
import { runPodpath } from '../helpers/run.ts';
import { kubeProxyRestoreInput, type KubeProxySpec } from '../lab/kube-proxy-rules.ts';

const spec: KubeProxySpec = {
  clusterCIDR: '192.168.0.0/16',
  services: [
    {
      namespace: 'default', name: 'web', portName: 'http', clusterIP: '10.96.0.10', port: 80, protocol: 'tcp', nodePort: 30080,
      endpoints: [{ ip: '192.168.2.12', port: 80 }],
    },
    {
      namespace: 'default', name: 'spread', portName: 'http', clusterIP: '10.96.0.13', port: 80, protocol: 'tcp',
      endpoints: [{ ip: '192.168.1.7', port: 8080 }, { ip: '192.168.2.12', port: 8080 }, { ip: '192.168.2.13', port: 8080 }],
    },
    { namespace: 'default', name: 'empty', portName: 'http', clusterIP: '10.96.0.11', port: 80, protocol: 'tcp', endpoints: [] },
  ],
};

const namespace = `pk-cli-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'pk-cli-'));
const file = join(dir, 'iptables-save.txt');
let saved = '';

const byName = (services: Service[], name: string): Service | undefined => services.find((s) => s.name === name);

describeNeeding(['netns', 'iptables'], 'podpath topology on a kube-proxy iptables-save', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', namespace]);
    execFileSync('ip', ['netns', 'exec', namespace, 'iptables-restore'], { input: kubeProxyRestoreInput(spec) });
    saved = execFileSync('ip', ['netns', 'exec', namespace, 'iptables-save', '-c'], { encoding: 'utf8' });
    writeFileSync(file, saved);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', namespace]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the services of the spec with their endpoints and real shares', async () => {
    const result = await runPodpath(['topology', '--node', 'worker-1', file, '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const topology = JSON.parse(result.stdout) as Topology;
    expect(topology.services.map((s) => `${s.namespace}/${s.name}:${s.portName}`).sort()).toEqual(['default/empty:http', 'default/spread:http', 'default/web:http']);
    expect(byName(topology.services, 'web')).toMatchObject({ clusterIP: '10.96.0.10', port: 80, protocol: 'tcp', nodePorts: [30080], seenOn: ['worker-1'] });
    expect(byName(topology.services, 'web')!.endpoints).toMatchObject([{ ip: '192.168.2.12', port: 80, probability: 1 }]);
    const spread = byName(topology.services, 'spread')!;
    expect(spread.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(['192.168.1.7:8080', '192.168.2.12:8080', '192.168.2.13:8080']);
    for (const endpoint of spread.endpoints) expect(endpoint.probability).toBeCloseTo(1 / 3, 8);
    expect(byName(topology.services, 'empty')).toMatchObject({ clusterIP: '10.96.0.11', endpoints: [], noEndpointsReject: true });
    // Without --rules each chain gives its count: kube-proxy's masquerade rule and one per endpoint.
    expect((topology.nodes[0]!.netns.netfilter!.tables['nat']!.chains[spread.svcChain!] as unknown as { ruleCount: number }).ruleCount).toBe(4);
  });

  it('reports a damaged rule with file and line and keeps the other services', async () => {
    const lines = saved.split('\n');
    const broken = lines.findIndex((l) => l.includes('"default/web:http cluster IP"') && l.includes('-A KUBE-SERVICES'));
    lines[broken] = lines[broken]!.replace('"default/web:http cluster IP"', '"default/web:http cluster IP');
    const damaged = join(dir, 'damaged.txt');
    writeFileSync(damaged, lines.join('\n'));
    const result = await runPodpath(['topology', '--node', 'worker-1', damaged, '--json']);
    expect(result.status).toBe(0);
    const topology = JSON.parse(result.stdout) as Topology;
    expect(topology.warnings).toContainEqual(expect.objectContaining({ file: damaged, line: broken + 1, message: expect.stringMatching(/^unterminated quote at column \d+$/) }));
    expect(byName(topology.services, 'spread')!.endpoints).toHaveLength(3);
    // The web service's KUBE-SERVICES jump is gone, but its NodePort jump and its SVC chain's
    // masquerade rule (-d 10.96.0.10/32 … --dport 80, "cluster IP") still tell the service.
    expect(byName(topology.services, 'web')).toMatchObject({
      clusterIP: '10.96.0.10',
      port: 80,
      nodePorts: [30080],
      endpoints: [{ ip: '192.168.2.12', port: 80 }],
    });
  });
});
