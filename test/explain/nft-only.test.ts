// `explain --no-trace` on dumps that hold an nft ruleset but no iptables-save: the explainer's
// cause comes from the tracer's hook evaluation, which walks nf_tables whether or not iptables
// rules were dumped. The lab recorded kube-proxy's nftables mode rejecting the connection to a
// service without endpoints (samples/kube-proxy-nftables/expected.json: verdict drop by `reject`
// in kube-proxy reject-chain on worker-1); the copy here drops every iptables-save.txt.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/explain/model.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const scenario = join(repoRoot, 'samples', 'kube-proxy-nftables');

interface Recorded {
  connections: {
    id: string;
    outcome: string;
    sightings: { at: string; interface: string; src: string; sport: number; dst: string; dport: number }[];
    netfilter: { node: string; table: string; chain: string; rule: string | null; verdict: string }[];
  }[];
}

function withoutIptablesSave(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) withoutIptablesSave(path);
    else if (entry.name === 'iptables-save.txt') rmSync(path);
  }
}

describe('podpath explain --no-trace with an nft ruleset and no iptables-save', () => {
  it("names kube-proxy's nft reject as the cause of the rejected connection", async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'podpath-nft-only-')), 'kube-proxy-nftables');
    cpSync(scenario, copy, { recursive: true });
    withoutIptablesSave(copy);
    const recorded = JSON.parse(readFileSync(join(copy, 'expected.json'), 'utf8')) as Recorded;
    const rejected = recorded.connections.filter((c) => c.outcome === 'rejected');
    expect(rejected.length, 'the lab recorded a rejected connection').toBeGreaterThan(0);

    const captures = readdirSync(join(copy, 'captures')).filter((f) => f.endsWith('.pcap')).map((f) => join(copy, 'captures', f));
    const result = await runPodpath(['explain', '--json', '--no-trace', ...captures, copy]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    const json = JSON.parse(result.stdout) as Explanation;
    for (const c of rejected) {
      const first = c.sightings[0]!;
      const connection = json.connections.find((x) => x.client.ip === first.src && x.client.port === first.sport && x.proto === 'tcp');
      expect(connection, c.id).toBeDefined();
      const journey = json.journeys.find((j) => j.connection === connection!.id)!;
      const stop = c.netfilter[c.netfilter.length - 1]!;
      expect(journey.verdict, c.id).toBe('rejected');
      expect(journey.cause?.kind, `${c.id}: ${journey.cause?.text}`).toBe('rejected');
      expect(journey.cause?.node, c.id).toBe(stop.node);
      expect(journey.cause?.text, c.id).toContain(`${stop.table} ${stop.chain}`);
      expect(journey.cause?.text, c.id).toContain(stop.rule!);
    }
  });
});
