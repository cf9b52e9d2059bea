// The exit statuses scripts may rely on (README, `podpath --help`), each proved through the
// real command: 0 ok, 1 a path that fails, 2 bad usage or an unusable input, 70 an internal
// error (a bug), 130 Ctrl-C, and a reader that closes the pipe early ends the run quietly.
// What "fails" means comes from the lab's recording: samples/seed-flannel/expected.json says
// pod1 → 10.96.0.30:80 (default/empty, no endpoints) was rejected by the kernel.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const flannel = join(repoRoot, 'samples', 'seed-flannel');
const capture = join(flannel, 'captures', 'worker-2__eth0.pcap');
const scratch = mkdtempSync(join(tmpdir(), 'podpath-exit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const NO_STACK = /\n\s+at /;

/** A command line run by bash with pipefail, so the status is podpath's even behind `| head`. */
function piped(podpathArgs: string, after: string): { status: number | null; stderr: string } {
  const run = spawnSync('bash', ['-c', `set -o pipefail; node bin/podpath.js ${podpathArgs} | ${after}`], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 << 20,
  });
  return { status: run.status, stderr: run.stderr };
}

describe('exit status 0, 1, 2', () => {
  it('0: a path that delivers', async () => {
    const run = await runPodpath(['trace', flannel, '--from', 'pod1', '--to', 'default/web:http']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('1: a path the kernel rejected (the lab recorded pod1-to-empty as rejected)', async () => {
    const expected = JSON.parse(readFileSync(join(flannel, 'expected.json'), 'utf8')) as { connections: { id: string; outcome: string }[] };
    expect(expected.connections.find((c) => c.id === 'pod1-to-empty')?.outcome).not.toBe('delivered');
    const run = await runPodpath(['trace', flannel, '--from', 'pod1', '--to', '10.96.0.30:80']);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('');
  });

  it('2: an unknown command, a missing option, a bad value', async () => {
    for (const args of [['no-such-command'], ['trace', flannel, '--from', 'pod1'], ['decode', capture, '-c', 'many']]) {
      const run = await runPodpath(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).not.toMatch(NO_STACK);
    }
  });

  it('2: a missing input, in one line', async () => {
    const missing = join(scratch, 'missing.pcap');
    for (const args of [['decode', missing], ['topology', missing], ['explain', missing]]) {
      const run = await runPodpath(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('2: a directory where a file is expected says "is a directory", not an internal error', async () => {
    const decode = await runPodpath(['decode', scratch]);
    expect(decode.status).toBe(2);
    expect(decode.stderr).toBe(`podpath: ${scratch}: is a directory, expected a capture file (pcap or pcapng)\n`);
    const ui = await runPodpath(['ui', flannel, '--from', 'pod1', '--to', 'default/web:http', '--capture', scratch]);
    expect(ui.status).toBe(2);
    expect(ui.stderr).toBe(`podpath: --capture ${scratch}: not a file\n`);
  });

  it('2: a file that is not a capture at all', async () => {
    const text = join(scratch, 'notes.pcap');
    writeFileSync(text, 'these are notes, not packets\n');
    const run = await runPodpath(['decode', text]);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('exit status 70: an internal error is a bug', () => {
  it('says "please report" in two lines and shows the stack only under PODPATH_DEBUG=1', async () => {
    const run = await runPodpath(['topology', flannel], { env: { PODPATH_CRASH_FOR_TEST: '1' } });
    expect(run.status).toBe(70);
    expect(run.stderr).toMatch(/^podpath: internal error: crash requested by PODPATH_CRASH_FOR_TEST\npodpath: .*please report/);
    expect(run.stderr).not.toMatch(NO_STACK);
    const debug = await runPodpath(['topology', flannel], { env: { PODPATH_CRASH_FOR_TEST: '1', PODPATH_DEBUG: '1' } });
    expect(debug.status).toBe(70);
    expect(debug.stderr).toMatch(/\n\s+at main \(/);
  });
});

describe('a reader that closes the pipe early', () => {
  it.each([
    ['topology --json', `topology ${flannel} --json`],
    ['topology', `topology ${flannel}`],
    ['trace --json', `trace ${flannel} --from pod1 --to default/web:http --json`],
    ['explain --json', `explain ${flannel}/captures/*.pcap ${flannel} --json`],
    ['decode -V', `decode -V ${capture}`],
  ])('%s | head -1: no EPIPE, no stack, the status it has without the pipe', (_name, args) => {
    const whole = piped(args, 'cat >/dev/null');
    const run = piped(args, 'head -1 >/dev/null');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(whole.status);
  });

  it('keeps the status so far: a failing trace | head -1 still exits 1', () => {
    const run = piped(`trace ${flannel} --from pod1 --to 10.96.0.30:80`, 'head -1 >/dev/null');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
  });

  it('decode --json of a large capture into a slow reader: no MaxListenersExceededWarning', () => {
    // 300,000 packets, the capture's records (real bytes) over and over: hundreds of waits for
    // the pipe to drain (one listener left behind per wait warned after 60,000 did not).
    const bytes = readFileSync(capture);
    const records: Buffer[] = [];
    for (let at = 24; at + 16 <= bytes.length; ) {
      const length = 16 + bytes.readUInt32LE(at + 8);
      records.push(bytes.subarray(at, at + length));
      at += length;
    }
    const parts: Buffer[] = [bytes.subarray(0, 24)];
    for (let n = 0; n < 300_000; n += records.length) parts.push(...records);
    const big = join(scratch, 'big.pcap');
    writeFileSync(big, Buffer.concat(parts));
    const run = piped(`decode --json ${big}`, '(sleep 1; cat >/dev/null)');
    expect(run.stderr).not.toMatch(/MaxListenersExceededWarning/);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 120_000);
});

describe('exit status 130: Ctrl-C', () => {
  /**
   * Whether the process's event loop watches its stdin (fd 0 registered in an epoll set:
   * a `tfd: 0` line in /proc/PID/fdinfo), i.e. podpath's main is running and reading.
   * (Node catches SIGINT from the start to reset the terminal, so the signal mask cannot say
   * when podpath's own handler is in place.)
   */
  const readsStdin = (pid: number): boolean => {
    try {
      return readdirSync(`/proc/${pid}/fdinfo`).some((fd) => {
        try {
          return /^tfd:\s+0\s/m.test(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  };

  it('SIGINT while podpath waits on its input exits 130, quietly', async () => {
    const child = spawn(process.execPath, ['bin/podpath.js', 'decode', '-'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const until = Date.now() + 30_000;
    while (!readsStdin(child.pid!) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(readsStdin(child.pid!)).toBe(true);
    child.kill('SIGINT');
    expect(await status).toBe(130);
    expect(stderr).toBe('');
  });
});
