// `podpath topology` prints its summary in chunks as it makes it (summary.ts writeSummary), so a
// 10,000-service node's 40,000 lines are never one string: each chunk is whole lines, and a big
// cluster's summary comes in several.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { writeSummary } from '../../src/topology/summary.ts';
import { repoRoot } from '../helpers/run.ts';
import { kubeProxyRestoreInput, syntheticSpec } from '../lab/kube-proxy-rules.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeSummary', () => {
  it('hands on whole lines, several chunks for 2,000 services, every service listed once', async () => {
    const bundle = join(dir, 'bundle');
    cpSync(join(repoRoot, 'samples', 'seed-flannel'), bundle, { recursive: true, filter: (src) => !src.includes('captures') && !src.endsWith('transcript.txt') });
    const spec = syntheticSpec(2000, 2);
    writeFileSync(join(bundle, 'worker-1', 'iptables-save.txt'), kubeProxyRestoreInput(spec));
    const topology = await loadTopology([bundle]);
    const chunks: string[] = [];
    writeSummary(topology, (chunk) => chunks.push(chunk));
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.endsWith('\n')).toBe(true);
    const text = chunks.join('');
    // Each generated service's cluster IP:port, from the generator's spec, on exactly one line.
    for (const svc of [spec.services[500]!, spec.services[999]!, spec.services[1999]!]) {
      expect(text.split('\n').filter((line) => line.includes(` ${svc.clusterIP}:${svc.port}/`))).toHaveLength(1);
    }
  });
});
