// The real command on bad input (issue 11): whatever the file holds, podpath exits 0, 1 or 2 —
// never 70, its internal-error status — and prints nothing raw. Fewer runs than the in-process
// families (each is a process start): PODPATH_FUZZ_RUNS / 5000, at least 2 per command.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, it } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import { runPodpath } from '../helpers/run.ts';
import { capture, iptablesSoup, mutatedText, routeSoup, transcript } from './inputs.ts';
import { printable } from './properties.ts';
import { options, RUNS } from './settings.ts';

const CLI_RUNS = Math.max(2, Math.round(RUNS / 5000));
const dir = mkdtempSync(join(tmpdir(), 'podpath-cli-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const text = fc.oneof(mutatedText, iptablesSoup, routeSoup, transcript);

async function expectClean(args: string[]): Promise<void> {
  const r = await runPodpath(args, { timeoutMs: 60_000 });
  expect([0, 1, 2], `podpath ${args.join(' ')}: exit ${r.status}\n${r.stderr}`).toContain(r.status);
  expect(r.stderr).not.toMatch(/internal error/);
  printable(r.stdout.replace(/\u001b\[[0-9;]*m/g, ''));
  printable(r.stderr);
}

describe('property: podpath itself never ends in an internal error', () => {
  it.prop([text], { ...options('cli text'), numRuns: CLI_RUNS })(
    'topology, topology --json and trace on a bad dump',
    async (content) => {
      const file = join(dir, `dump-${n++}.txt`);
      writeFileSync(file, content);
      await expectClean(['topology', file, '--node', 'n1']);
      await expectClean(['topology', file, '--node', 'n1', '--json']);
      await expectClean(['trace', file, '--node', 'n1', '--from', 'n1', '--to', '10.0.0.7:80']);
    },
    600_000,
  );

  it.prop([capture], { ...options('cli capture'), numRuns: CLI_RUNS })(
    'decode, decode -V, decode --json and explain on a bad capture',
    async (bytes) => {
      const file = join(dir, `capture-${n++}.pcap`);
      writeFileSync(file, bytes);
      for (const args of [[file], [file, '-V'], [file, '--json'], [file, '--summary']]) await expectClean(['decode', ...args]);
      await expectClean(['explain', file]);
    },
    600_000,
  );
});
