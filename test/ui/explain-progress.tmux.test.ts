// The Explain pane on a capture big enough to take a while, in a real terminal (tmux 160×24, wide enough for the
// status line's progress not to be cut):
// while the capture is read the status line says how far the explainer got, keys are
// answered meanwhile, and when it is done the pane's counts are those `podpath explain --json`
// gives for the same file and dumps. The capture is made of real bytes: every record of
// samples/seed-flannel's worker-2 eth0 capture, 2,000 times over (104,000 packets), under the
// same file name so it is placed as the original is. Not timed: how fast is the benchmark's
// (npm run bench ui).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeNeeding } from '../helpers/requires.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const sample = join(repoRoot, 'samples', 'seed-flannel');
const socket = `pe-${process.pid}-${Date.now()}`;
const session = 'explain-progress';
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
// Ink prints only the last frame when it thinks it runs in CI; a person's terminal has no CI.
const TERMINAL_ENV = 'env -u CI -u CONTINUOUS_INTEGRATION -u BUILD_NUMBER -u RUN_ID TERM=xterm-256color NO_COLOR=1';

async function waitFor(what: string, check: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < until) {
    text = tmux('capture-pane', '-p', '-t', session);
    if (check(text)) return text;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what}: not on screen after ${timeoutMs} ms; the screen was:\n${text}`);
}

function bigCapture(dir: string, copies: number): { file: string; packets: number } {
  const bytes = readFileSync(join(sample, 'captures', 'worker-2__eth0.pcap'));
  const records: Buffer[] = [];
  for (let at = 24; at + 16 <= bytes.length; ) {
    const length = 16 + bytes.readUInt32LE(at + 8);
    records.push(bytes.subarray(at, at + length));
    at += length;
  }
  const file = join(dir, 'worker-2__eth0.pcap');
  writeFileSync(file, Buffer.concat([bytes.subarray(0, 24), ...Array.from({ length: copies }, () => records).flat()]));
  return { file, packets: records.length * copies };
}

describeNeeding(['tmux'], 'the Explain pane reading a large capture in a real terminal', () => {
  it('shows its progress, answers keys meanwhile, then the counts podpath explain --json gives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pu-explain-progress-'));
    try {
      const { file, packets } = bigCapture(dir, 2000);
      const cli = await runPodpath(['explain', '--json', file, sample], { timeoutMs: 300_000 });
      const json = JSON.parse(cli.stdout) as { connections: unknown[]; tunnels: unknown[]; troubles: unknown[]; faultFound: boolean };
      const command = [TERMINAL_ENV, quote(process.execPath), quote(join(repoRoot, 'bin', 'podpath.js')), 'ui', quote(sample), '--from', 'pod1', '--to', 'default/web', '--sport', '50060', '--capture', quote(file)].join(' ');
      tmux('new-session', '-d', '-x', '160', '-y', '24', '-s', session, '-c', repoRoot, `${command}; sleep 600`);

      // Progress: a count of packets read so far, below the file's total.
      const reading = await waitFor('the explainer counting packets', (t) => /explaining… reading worker-2__eth0\.pcap: [\d,]+ packets/.test(t), 120_000);
      const count = Number(/reading worker-2__eth0\.pcap: ([\d,]+) packets/.exec(reading)![1]!.replace(/,/g, ''));
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThan(packets);
      // A key while it reads: the Detail pane follows the Trace pane's selection to hop 2.
      tmux('send-keys', '-t', session, 'j');
      const moved = await waitFor('hop 2 chosen', (t) => /Detail · hop 2\//.test(t), 60_000);
      expect(moved).toMatch(/explaining…|e: (no trouble|trouble found)/);

      tmux('send-keys', '-t', session, 'e');
      const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
      const summary = [plural(json.connections.length, 'connection'), plural(json.tunnels.length, 'tunnel'), `${plural(json.troubles.length, 'sign')} of trouble`].join(' · ');
      const done = await waitFor('the explanation', (t) => /· e: (no trouble|trouble found)/.test(t) && t.includes('║Explain'), 300_000);
      expect(done.replace(/[║│]/g, ' ')).toContain(summary);
      expect(done).toContain(json.faultFound ? 'e: trouble found' : 'e: no trouble');
      expect(cli.status).toBe(json.faultFound ? 1 : 0);
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  // The explainer runs on a worker thread (src/ui/explain/worker.ts): quitting while it reads
  // stops the worker mid-file, and that is no error: the program ends with status 0. (That the
  // worker never keeps the process alive is worker.ts's unref; a file read ends too soon here
  // to tell the two apart by time.)
  it('q while the explainer reads ends the UI at once, with status 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pu-explain-quit-'));
    try {
      const { file } = bigCapture(dir, 2000);
      const command = [TERMINAL_ENV, quote(process.execPath), quote(join(repoRoot, 'bin', 'podpath.js')), 'ui', quote(sample), '--from', 'pod1', '--to', 'default/web', '--capture', quote(file)].join(' ');
      tmux('new-session', '-d', '-x', '160', '-y', '24', '-s', session, '-c', repoRoot, `${command}; echo "exited with $?"; sleep 600`);
      const reading = await waitFor('the explainer reading', (t) => /explaining… reading worker-2__eth0\.pcap/.test(t), 120_000);
      expect(reading).not.toMatch(/e: (no trouble|trouble found)/);
      tmux('send-keys', '-t', session, 'q');
      const ended = await waitFor('the program ended', (t) => /exited with \d+/.test(t), 10_000);
      expect(ended).toContain('exited with 0');
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
