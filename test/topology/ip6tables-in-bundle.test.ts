// A bundle made by `podpath collect` carries ip6tables-save.txt beside iptables-save.txt. Its text
// looks like iptables-save; read as the node's IPv4 rules it once replaced them. The file here is
// real ip6tables-save output (test/corpus/formats/record.sh); the expected counts come from grep
// over the sample's own iptables-save.txt.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const sample = join(repoRoot, 'samples', 'seed-flannel');
const ip6tablesSave = join(repoRoot, 'test', 'corpus', 'formats', 'ip6tables-save.txt');
const work = mkdtempSync(join(tmpdir(), 'podpath-ip6-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `grep -c '^-A CHAIN ' iptables-save.txt` within the table's section. */
function appendLines(file: string, table: string, chain: string): number {
  let current = '';
  let n = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('*')) current = line.slice(1);
    else if (current === table && line.startsWith(`-A ${chain} `)) n++;
  }
  return n;
}

describe('ip6tables-save in a bundle', () => {
  const bundle = join(work, 'seed-flannel');
  cpSync(sample, bundle, { recursive: true });
  cpSync(ip6tablesSave, join(bundle, 'worker-1', 'ip6tables-save.txt'));

  it("keeps the node's IPv4 rules and says the IPv6 file is carried, not modelled", async () => {
    const run = await runPodpath(['topology', bundle, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const topology = JSON.parse(run.stdout);
    const worker1 = topology.nodes.find((n: { name: string }) => n.name === 'worker-1');
    const tables = worker1.netns.netfilter.tables;
    const ipv4 = join(sample, 'worker-1', 'iptables-save.txt');
    expect(tables.filter.chains.FORWARD.ruleCount).toBe(appendLines(ipv4, 'filter', 'FORWARD'));
    expect(tables.nat.chains.PREROUTING.ruleCount).toBe(appendLines(ipv4, 'nat', 'PREROUTING'));
    // The IPv6 file's own chain must not have entered the IPv4 tables unless the IPv4 dump has it.
    expect(tables.filter.chains['KUBE-FORWARD']?.ruleCount ?? 0).toBe(appendLines(ipv4, 'filter', 'KUBE-FORWARD'));
    expect(topology.warnings).toContainEqual(
      expect.objectContaining({ file: expect.stringMatching(/worker-1\/ip6tables-save\.txt$/), message: expect.stringMatching(/ip6tables-save.*not modelled/) }),
    );
  });
});
