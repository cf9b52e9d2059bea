// The default trace text is brief: a line per hop where tcpdump would see the packet (the
// lab's recorded sightings, in order), the DNAT the kernel did with the endpoint it chose, and
// it fits the terminal's width; -v keeps every step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { wrapLine } from '../../src/trace/render-brief.ts';

const lab = JSON.parse(readFileSync(join(repoRoot, 'samples/seed-flannel/expected.json'), 'utf8')) as {
  connections: { id: string; from: string; to: string; endpoint: string; sightings: { at: string; interface: string; sport: number; dst: string }[] }[];
};
const web = lab.connections.find((c) => c.id === 'pod1-to-web')!;

describe('trace, brief by default', () => {
  it('one line per hop where the kernel saw the SYN, the DNAT to the endpoint it chose, within 80 columns', async () => {
    const args = ['trace', 'samples/seed-flannel', '--from', web.from, '--to', web.to, '--sport', String(web.sightings[0]!.sport)];
    const brief = await runPodpath(args, { env: { COLUMNS: '80' } });
    expect(brief.status).toBe(0);
    const lines = brief.stdout.split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    const hops = lines.filter((l) => /^ {0,2}\d+\. /.test(l)).map((l) => l.trim().split(/\s+/).slice(1, 3).join(' '));
    expect(hops).toEqual(web.sightings.filter((s) => s.interface !== 'any').map((s) => `${s.at} ${s.interface}`));
    const vip = web.to.split(':')[0];
    expect(brief.stdout).toContain(`DNAT dst ${vip} → ${web.endpoint.split(':')[0]}`);
    const verbose = await runPodpath([...args, '-v'], { env: { COLUMNS: '80' } });
    expect(verbose.stdout.split('\n').length).toBeGreaterThan(3 * lines.length);
    expect((await runPodpath([...args, '--explain'])).stdout).toBe(verbose.stdout);
  });
  it('wraps at spaces and indents what follows', () => {
    expect(wrapLine('aaaaaaa bbbbbbb ccccccc ddddddd eeeeeee', 20, '  ')).toEqual(['aaaaaaa bbbbbbb', '  ccccccc ddddddd', '  eeeeeee']);
    expect(wrapLine('short', 80, '  ')).toEqual(['short']);
  });
});
