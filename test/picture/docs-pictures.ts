// The pictures docs/ and the README show, each made by the podpath command written beside it.
// `npm run pictures` writes them; test/picture/docs-pictures.test.ts fails when one is stale.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/run.ts';

/** `samples/X/captures/*.pcap`, as a shell glob would list them. */
const captures = (scenario: string): string[] =>
  readdirSync(join(repoRoot, 'samples', scenario, 'captures')).filter((f) => f.endsWith('.pcap')).sort().map((f) => `samples/${scenario}/captures/${f}`);

export const SEED = ['--from', 'pod1', '--to', 'default/web', '--sport', '50060'];

export const DOCS_PICTURES: { file: string; args: string[]; env?: Record<string, string> }[] = [
  { file: 'docs/pictures/seed-flannel-journey.svg', args: ['trace', 'samples/seed-flannel', ...SEED, '--format', 'svg'] },
  { file: 'docs/pictures/seed-calico-journey.svg', args: ['trace', 'samples/seed-calico', ...SEED, '--format', 'svg'] },
  { file: 'docs/pictures/seed-flannel-spread.svg', args: ['trace', 'samples/seed-flannel', '--from', 'pod1', '--to', 'default/spread', '--sport', '50062', '--format', 'svg'] },
  { file: 'docs/pictures/seed-flannel-journey.mmd', args: ['trace', 'samples/seed-flannel', ...SEED, '--format', 'mermaid'] },
  {
    file: 'docs/pictures/fault-fdb-missing-explained.svg',
    args: ['explain', ...captures('fault-fdb-missing'), 'samples/fault-fdb-missing', '--format', 'svg', '--connection', 'c1'],
  },
  {
    file: 'docs/pictures/seed-flannel-report.html',
    args: ['report', 'samples/seed-flannel', ...SEED, '--capture', 'samples/seed-flannel/captures/worker-2__eth0.pcap'],
    env: { SOURCE_DATE_EPOCH: '1795441261' },
  },
];
