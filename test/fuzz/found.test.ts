// Inputs `npm run fuzz` found, kept as plain regression tests (each failed before its fix).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNftRuleset } from '../../src/topology/parse/nft/ruleset.ts';
import { runPodpath } from '../helpers/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-found-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Run 95,345 of the transcript family: a carriage return inside a set's `type` line made the
// set-line pattern (`.` stops at \r) match nothing, and the parser read a null ("m is not iterable").
const RULESET = 'table ip kube-proxy {\n\tmap no-endpoint-services {\n\t\ttype ipv4_addr . inet_proto\r. inet_service : verdict\n\t}\n}\n';

describe('found by the fuzzer', () => {
  it('an nft set line with a carriage return inside is read, not a TypeError', () => {
    expect(() => parseNftRuleset(RULESET, 'fuzz.txt')).not.toThrow();
  });

  it('through the CLI: exit 0, 1 or 2, never an internal error', async () => {
    const file = join(dir, 'transcript.txt');
    writeFileSync(file, `root@worker-1:~# nft list ruleset\n${RULESET}root@worker-1:~# ip r\ndefault via 10.0.0.1 dev eth0\n`);
    const r = await runPodpath(['topology', file]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect([0, 1, 2]).toContain(r.status);
  });
});
