// The UI's trace view on the lab's NetworkPolicy samples: the trace pane names what the
// policies decide for each direction and whether felix's chains agree (Calico), or that
// nothing enforces them (Flannel). Expected words from the kernel's record (expected.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { loadTopology } from '../../src/topology/load.ts';
import { traceQuery } from '../../src/trace/trace.ts';
import { App } from '../../src/ui/App.tsx';
import { makeTheme } from '../../src/ui/theme.ts';
import { inputWarnings } from '../../src/ui/warnings.ts';
import { repoRoot } from '../helpers/run.ts';

afterEach(() => cleanup());

interface Connection { id: string; from: string; to: string; outcome: string; sightings: { sport: number }[]; netfilter: { node: string; chain: string; rule: string | null; verdict: string }[] }
const connectionOf = (scenario: string, id: string): Connection =>
  (JSON.parse(readFileSync(join(repoRoot, 'samples', scenario, 'expected.json'), 'utf8')) as { connections: Connection[] }).connections.find((c) => c.id === id)!;

async function frame(scenario: string, c: Connection): Promise<string> {
  const topology = await loadTopology([join(repoRoot, 'samples', scenario)]);
  const trace = traceQuery(topology, { from: c.from, to: c.to, sport: c.sightings[0]!.sport });
  const ui = render(<App trace={trace} topology={topology} warnings={inputWarnings(topology, trace)} theme={makeTheme({ NO_COLOR: '1' })} />);
  await new Promise((r) => setTimeout(r, 50));
  return ui.lastFrame() ?? '';
}

describe('NetworkPolicy in the UI\'s trace view', () => {
  it('calico-policy: the ingress the kernel dropped at the end of the tier reads DENIED, felix agreeing', async () => {
    const c = connectionOf('calico-policy', 'pod1-to-pod2-ingress-denied');
    // The kernel's record: the SYN ended in pod2's cali-tw- chain at felix's end-of-tier DROP.
    expect(c.netfilter.some((n) => n.node === 'worker-2' && n.chain.startsWith('cali-tw-') && n.verdict === 'drop' && /End of tier default/.test(n.rule ?? ''))).toBe(true);
    const text = await frame('calico-policy', c);
    expect(text).toContain('policy ingress pod2: DENIED (felix ✓)');
    expect(text).toContain('policy egress pod1: open (felix ✓)');
  });

  it('flannel-policy: the kernel delivered, and the view says the policy is not enforced', async () => {
    const c = connectionOf('flannel-policy', 'pod1-to-pod2-not-enforced');
    expect(c.outcome).toBe('delivered');
    const text = await frame('flannel-policy', c);
    expect(text).toContain('policy ingress pod2: denied, unenforced');
  });
});
