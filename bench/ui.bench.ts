// `npm run bench ui`: the terminal UI as a person meets it, in a real terminal (tmux,
// 80×24, a server of its own). Issue 17's aims:
//  6. the first frame of `npm start` (package.json's start script) on screen within 0.5 s of
//     start. Each run starts the command in a fresh tmux window at a known time and polls
//     capture-pane until the frame's text is there; median of several runs. Beside it, in the
//     same run and measured the same way: bare `node -e` printing a line, `podpath --version`
//     (podpath's own start-up with nothing to do) and `npm start` itself (npm's start-up
//     included), so the figure can be read on a noisy machine.
//  5. keys answered within 100 ms while the Explain pane reads a 1,000,000-packet capture
//     (bench/explain-capture.ts): j/k in the Trace pane, timed from send-keys to the Detail
//     pane naming the newly chosen hop, while the capture is being read (median/p95/max);
//     the read is repeated in fresh UIs until PODPATH_BENCH_KEYS samples are in. Beside them,
//     the CPU the UI's own thread used per read (Linux's per-thread times), which a busy
//     machine moves far less than the latencies. Beside it: the same keys in the same UI on the sample's own small
//     capture (nothing being read), and how long the UI took to show the explanation, beside
//     `podpath explain` on the same file.
// PODPATH_BENCH_RUNS (first-frame runs, default 7), PODPATH_BENCH_PACKETS (default 1,000,000),
// PODPATH_BENCH_KEYS (key samples, default 60) change the sizes.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { compiledIsFresh } from '../bin/dist-freshness.js';
import { writeExplainCapture } from './explain-capture.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env['PODPATH_BENCH_RUNS'] ?? 7);
const PACKETS = Number(process.env['PODPATH_BENCH_PACKETS'] ?? 1_000_000);
const KEY_SAMPLES = Number(process.env['PODPATH_BENCH_KEYS'] ?? 60);
const FIRST_FRAME_AIM_MS = 500;
const KEY_AIM_MS = 100;

// Ink prints only the last frame when it thinks it runs in CI; a person's terminal has no CI.
const TERMINAL_ENV = 'env -u CI -u CONTINUOUS_INTEGRATION -u BUILD_NUMBER -u RUN_ID TERM=xterm-256color NO_COLOR=1';
// What the first frame of the start script's trace shows (the Trace pane's title).
const FIRST_FRAME = /Trace · \d+ hops/;

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
const median = (values: number[]): number => quantile(values, 0.5);
const ms = (n: number): string => `${n.toFixed(0)} ms`;

/** A tmux server of the bench's own, kept up by an idle session so no run pays for its start. */
class Terminal {
  private readonly socket = `podpath-bench-ui-${process.pid}`;
  private window = 0;
  constructor() {
    this.tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', 'bench', 'sleep 100000');
  }
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }
  /** Starts `command` in a new 80×24 window; returns its target and the time just before. */
  start(command: string): { target: string; startedAt: number } {
    const name = `w${++this.window}`;
    const startedAt = performance.now();
    // The window stays after the command ends (a `sleep` after it) so its last screen can be read.
    this.tmux('new-window', '-d', '-t', 'bench', '-n', name, '-c', repoRoot, `${TERMINAL_ENV} ${command}; sleep 100000`);
    return { target: `bench:${name}`, startedAt };
  }
  screen(target: string): string {
    return this.tmux('capture-pane', '-p', '-t', target);
  }
  /** Polls the screen as fast as tmux answers until `check` holds; the time it first held. */
  async waitFor(target: string, check: (text: string) => boolean, timeoutMs: number): Promise<{ at: number; text: string } | undefined> {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const text = this.screen(target);
      const at = performance.now();
      if (check(text)) return { at, text };
      if (at > until) return undefined;
      await sleep(1);
    }
  }
  /**
   * CPU milliseconds the UI's own thread (its main thread, whose id is the process's) has used
   * so far, from Linux's per-thread /proc times: what a key competes with inside podpath, which
   * the machine's load moves far less than it moves the latencies. undefined elsewhere.
   */
  uiThreadCpuMs(target: string): number | undefined {
    try {
      const shell = this.tmux('display-message', '-p', '-t', target, '#{pane_pid}').trim();
      const child = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/)[0];
      if (!child) return undefined;
      const fields = readFileSync(`/proc/${child}/task/${child}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime and stime (fields 14 and 15 of stat, 12 and 13 after the name), in clock ticks (100 a second on Linux).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return undefined;
    }
  }
  close(target: string): void {
    this.tmux('kill-window', '-t', target);
  }
  quit(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

function startScript(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return pkg.scripts['start']!;
}

/** Median time from starting `command` to `check` holding on its screen. */
async function timeToScreen(term: Terminal, command: string, check: (text: string) => boolean): Promise<{ median: number; all: number[]; failed: string | undefined }> {
  const all: number[] = [];
  let failed: string | undefined;
  for (let run = 0; run < RUNS; run++) {
    const { target, startedAt } = term.start(command);
    const seen = await term.waitFor(target, check, 20_000);
    if (seen) all.push(seen.at - startedAt);
    else failed = term.screen(target).trim().split('\n').slice(0, 3).join(' / ');
    term.close(target);
  }
  return { median: median(all), all, failed };
}

async function firstFrame(term: Terminal): Promise<void> {
  const start = startScript();
  const rows: { name: string; command: string; check: (t: string) => boolean }[] = [
    { name: "node -e 'console.log(…)' (bare Node)", command: `node -e 'console.log("bench-ready")'`, check: (t) => t.includes('bench-ready') },
    { name: 'podpath --version', command: 'node bin/podpath.js --version', check: (t) => /^\d+\.\d+\.\d+/m.test(t) },
    { name: 'start script (the UI, first frame)', command: start, check: (t) => FIRST_FRAME.test(t) },
    { name: 'npm start (npm included)', command: 'npm start', check: (t) => FIRST_FRAME.test(t) },
  ];
  console.log(`first frame: ${RUNS} runs each, from tmux new-window to the text on screen (tmux polled as fast as it answers)`);
  console.log(`start script: ${start}`);
  const results: number[] = [];
  for (const row of rows) {
    const r = await timeToScreen(term, row.command, row.check);
    results.push(r.median);
    console.log(`  ${row.name.padEnd(40)} median ${ms(r.median).padStart(8)}  (${r.all.map((n) => n.toFixed(0)).join(' ')})${r.failed ? `  did not appear once: ${r.failed}` : ''}`);
  }
  const [bare, version, ui] = results as [number, number, number];
  console.log(`UI first frame ${ms(ui)} from start: ${(ui / bare).toFixed(1)}x bare Node, ${ms(ui - bare)} over it, ${ms(ui - version)} over podpath --version (aim <= ${FIRST_FRAME_AIM_MS} ms: ${ui <= FIRST_FRAME_AIM_MS ? 'met' : 'NOT met'})`);
}

const HOP = /Detail · hop (\d+)\//;

/**
 * j/k in the Trace pane between hops 1 and 2, timed from send-keys to the Detail pane's
 * title naming the new hop. `while` says whether a sample counts (the capture still being read).
 */
async function keyLatencies(term: Terminal, target: string, samples: number, busy: (screen: string) => boolean): Promise<{ times: number[]; lost: number }> {
  const times: number[] = [];
  let lost = 0;
  let hop = Number(HOP.exec(term.screen(target))?.[1] ?? 1);
  for (let n = 0; n < samples * 3 && times.length < samples; n++) {
    const key = hop === 1 ? 'j' : 'k';
    const want = hop === 1 ? 2 : 1;
    const sentAt = performance.now();
    term.tmux('send-keys', '-t', target, key);
    const seen = await term.waitFor(target, (t) => Number(HOP.exec(t)?.[1]) === want, 5000);
    if (!seen) {
      lost++;
      hop = Number(HOP.exec(term.screen(target))?.[1] ?? hop);
      continue;
    }
    hop = want;
    if (!busy(seen.text)) break;
    times.push(seen.at - sentAt);
    // Not in step with the UI's own batches.
    await sleep(20 + Math.random() * 30);
  }
  return { times, lost };
}

const stillReading = (screen: string): boolean => /explaining…|reading…/.test(screen);
/**
 * Until the status line says the explanation is done. Not "while it says reading": tmux can
 * copy the screen while Ink is still writing a frame, and a half-drawn status line would end the read early.
 */
const EXPLAINED = /· e: (no trouble|trouble found)|explainer stopped/;
const notExplainedYet = (screen: string): boolean => !EXPLAINED.test(screen);

function summary(times: number[]): string {
  return `median ${ms(median(times))}, p95 ${ms(quantile(times, 0.95))}, max ${ms(Math.max(...times))} over ${times.length} keys`;
}

/**
 * Reads the capture in fresh UIs, one after another, until KEY_SAMPLES keys were timed while it
 * was being read (at most MAX_ROUNDS): one read of 1,000,000 packets lasts a second or two, room
 * for a dozen or two keys, and a p95 of those is their maximum.
 */
const MAX_ROUNDS = 12;

async function keysWhileReading(term: Terminal): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-ui-'));
  try {
    const file = join(dir, 'explain-bench.pcap');
    const { bytes } = writeExplainCapture(file, PACKETS);
    console.log(`\nkeys while the Explain pane reads ${PACKETS.toLocaleString('en')} packets (${(bytes / 1e6).toFixed(0)} MB, bench/explain-capture.ts) beside samples/seed-flannel`);
    // By its shebang, as an installed `podpath ui` runs (and the decode and explain benches):
    // its small nursery is what the UI's garbage meets.
    const ui = (capture: string): string => `bin/podpath.js ui samples/seed-flannel --from pod1 --to default/web --sport 50060 --capture ${quote(capture)}`;

    // The peer: the same UI and keys with nothing being read (the sample's 52-packet capture, read at once).
    const idle = term.start(ui('samples/seed-flannel/captures/worker-2__eth0.pcap'));
    const idleReady = await term.waitFor(idle.target, (t) => FIRST_FRAME.test(t) && !stillReading(t), 30_000);
    const idleKeys = idleReady ? await keyLatencies(term, idle.target, Math.min(KEY_SAMPLES, 30), () => true) : { times: [], lost: 0 };
    term.close(idle.target);

    const busy: number[] = [];
    let lost = 0;
    const explained: number[] = [];
    const uiThreadCpu: number[] = [];
    let rounds = 0;
    while (busy.length < KEY_SAMPLES && rounds < MAX_ROUNDS) {
      rounds++;
      const big = term.start(ui(file));
      const ready = await term.waitFor(big.target, (t) => FIRST_FRAME.test(t), 30_000);
      if (!ready) {
        console.log(`  the UI did not start: ${term.screen(big.target).trim().split('\n')[0]}`);
        return;
      }
      const keys = await keyLatencies(term, big.target, KEY_SAMPLES - busy.length, notExplainedYet);
      for (const t of keys.times) busy.push(t);
      lost += keys.lost;
      const done = await term.waitFor(big.target, (t) => EXPLAINED.test(t), 600_000);
      explained.push(done ? (done.at - big.startedAt) / 1000 : NaN);
      const cpu = term.uiThreadCpuMs(big.target);
      if (cpu !== undefined) uiThreadCpu.push(cpu);
      term.close(big.target);
    }
    const uiSeconds = median(explained);

    const started = performance.now();
    const cli = spawnSync(join(repoRoot, 'bin', 'podpath.js'), ['explain', file, 'samples/seed-flannel'], { cwd: repoRoot, stdio: 'ignore' });
    const cliSeconds = (performance.now() - started) / 1000;
    console.log(`  ${'keys, nothing being read (peer)'.padEnd(40)} ${idleKeys.times.length ? summary(idleKeys.times) : 'no samples'}${idleKeys.lost ? `, ${idleKeys.lost} not answered in 5 s` : ''}`);
    console.log(`  ${'keys while the capture is read'.padEnd(40)} ${busy.length ? summary(busy) : 'no samples'} in ${rounds} reads${lost ? `, ${lost} not answered in 5 s` : ''}`);
    console.log(`  explanation on screen after ${uiSeconds.toFixed(1)} s (median of the ${rounds} reads: ${explained.map((n) => n.toFixed(1)).join(' ')}); podpath explain on the same file ${cliSeconds.toFixed(1)} s (exit ${cli.status}): ${(uiSeconds / cliSeconds).toFixed(1)}x`);
    if (uiThreadCpu.length > 0) console.log(`  ${'UI thread CPU per read'.padEnd(40)} median ${ms(median(uiThreadCpu))} over the ${uiThreadCpu.length} reads (${uiThreadCpu.join(' ')}), keys included`);
    const p95 = quantile(busy, 0.95);
    const met = busy.length >= KEY_SAMPLES && p95 <= KEY_AIM_MS && lost === 0;
    const few = busy.length < KEY_SAMPLES ? `, only ${busy.length} of ${KEY_SAMPLES} samples` : '';
    console.log(`keys while reading: p95 ${ms(p95)} over ${busy.length} keys (median ${ms(median(busy))}; idle peer median ${ms(median(idleKeys.times))}) (aim: answered within ${KEY_AIM_MS} ms: ${met ? 'met' : 'NOT met'}${few})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(_args: string[]): Promise<void> {
  if (spawnSync('tmux', ['-V']).status !== 0) {
    console.log('tmux not found (apt-get install tmux): the UI rows are skipped');
    return;
  }
  // The UI as users run it: on dist/, built first when stale (bin/podpath.js would otherwise run src/ through tsx).
  if (!compiledIsFresh(repoRoot)) spawnSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  console.log(`running ${compiledIsFresh(repoRoot) ? 'compiled dist/' : 'src/ through tsx (npm run build failed)'}`);
  const term = new Terminal();
  try {
    await firstFrame(term);
    await keysWhileReading(term);
    // bin/podpath.js runs src/ through tsx once dist/ is older than a source file: say so if
    // that happened partway (a rebase or an edit during the run), since the figures then mix both.
    if (!compiledIsFresh(repoRoot)) console.log('note: src/ changed during the run, so later runs went through tsx, not dist/: rerun for figures of one kind');
  } finally {
    term.quit();
  }
}
