// Bundle directories in the shapes users make them: file names are free
// (content decides), a node's own folder given directly, a pod folder put at
// the top, stray files. Expected values: the lab's expected.json for seed-flannel.
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/load.ts';
import { repoRoot } from '../helpers/run.ts';

const work = mkdtempSync(join(tmpdir(), 'podpath-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sample = join(repoRoot, 'samples', 'seed-flannel');

function copy(name: string): string {
  const dir = join(work, name);
  cpSync(sample, dir, { recursive: true, filter: (p) => !p.includes('captures') });
  return dir;
}

describe('bundle layouts', () => {
  it('file names are free: every dump renamed to a meaningless name reads the same', async () => {
    const dir = copy('renamed');
    for (const node of ['worker-1', 'worker-2']) {
      readdirSync(join(dir, node)).filter((f) => f.includes('.')).forEach((f, i) => renameSync(join(dir, node, f), join(dir, node, `dump${i}`)));
    }
    const t = await loadTopology([dir]);
    expect(t.nodes.map((n) => [n.name, n.addresses[0]])).toEqual([['worker-1', '10.74.107.63'], ['worker-2', '10.74.107.62']]);
    expect(t.cni).toMatchObject({ plugin: 'flannel', mode: 'vxlan' });
    expect(t.services.map((s) => s.name).sort()).toEqual(['empty', 'spread', 'web']);
  });

  it("one node's folder given directly is that node", async () => {
    const t = await loadTopology([join(sample, 'worker-2')]);
    expect(t.nodes.map((n) => n.name)).toEqual(['worker-2']);
    expect(t.pods.filter((p) => !p.unnamed).map((p) => [p.name, p.hostInterface])).toEqual([['pod2', 'veth3a9c2e71'], ['web-b', 'vethc51f08d4']]);
  });

  it('a pod folder put at the top of the bundle is still a pod, with a warning that says it was guessed', async () => {
    const dir = copy('misplaced');
    renameSync(join(dir, 'worker-1', 'pods', 'pod1'), join(dir, 'pod1'));
    const t = await loadTopology([dir]);
    expect(t.nodes.map((n) => n.name)).toEqual(['worker-1', 'worker-2']);
    expect(t.pods.find((p) => p.name === 'pod1')).toMatchObject({ node: 'worker-1', ip: '192.168.1.7', hostInterface: 'veth6b3caf45' });
    expect(t.warnings.some((w) => /guessed from the dumps: pod1 is a pod/.test(w.message))).toBe(true);
  });

  it('a stray text file in a node folder is named in a warning; the rest still counts', async () => {
    const dir = copy('stray');
    writeFileSync(join(dir, 'worker-1', 'notes.md'), 'remember to check the MTU\n');
    const t = await loadTopology([dir]);
    expect(t.nodes).toHaveLength(2);
    expect(t.warnings).toContainEqual(expect.objectContaining({ file: expect.stringMatching(/worker-1\/notes\.md$/), line: 1, message: expect.stringMatching(/^not recognised/) }));
  });
});
