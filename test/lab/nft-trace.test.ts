// The lab's reader of `nft monitor trace` output, on the kube-proxy-nftables recording
// (samples/kube-proxy-nftables/netfilter-trace.txt, nftables 1.0.6): the counts come from the
// text by grep, so the reader and xtables-trace.ts's share of the block reading are both held.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNftTrace } from './lib/nft-trace.ts';
import { repoRoot } from '../helpers/run.ts';

const text = readFileSync(join(repoRoot, 'samples', 'kube-proxy-nftables', 'netfilter-trace.txt'), 'utf8');
const lines = text.split('\n');
const asNft = () => undefined;

describe('parseNftTrace', () => {
  const blocks = parseNftTrace(text, asNft);

  it('opens one block per `packet:` line, under the node header above it', () => {
    const expected: string[] = [];
    let node = '';
    for (const line of lines) {
      const header = /^# node: (\S+)/.exec(line);
      if (header) node = header[1]!;
      const packet = /^trace id (\S+) \S+ \S+ \S+ packet: .* ip id (\d+) /.exec(line);
      if (packet) expected.push(`${node} ${packet[1]} ${packet[2]}`);
    }
    expect(expected.length).toBeGreaterThan(0);
    expect(blocks.map((b) => `${b.node} ${b.packet.traceId} ${b.packet.ipId}`)).toEqual(expected);
  });

  it("reads every rule and policy line but the lab's own TRACE rule and the handles it removed", () => {
    const ruleOrPolicy = lines.filter((l) => /^trace id \S+ (ip|inet) \S+ \S+ (rule .* \(verdict [^)]*\)|policy (accept|drop)\b)/.test(l));
    const labOwn = ruleOrPolicy.filter((l) => /^trace id \S+ ip raw \S+ rule .*nftrace set 1/.test(l));
    const entries = blocks.flatMap((b) => b.entries);
    expect(entries).toHaveLength(ruleOrPolicy.length - labOwn.length);
    expect(entries.filter((e) => e.verdict === 'other')).toEqual([]);
    expect(entries.filter((e) => e.verdict === 'policy').length).toBe(lines.filter((l) => / policy (accept|drop)\b/.test(l) && /^trace id /.test(l)).length);
  });
});
