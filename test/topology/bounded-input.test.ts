// Every text input goes through one bounded reader (issue 11, items 2 and 13): bytes actually
// read are counted (stat().size is 0 for devices and pipes; `topology /dev/zero` grew to 8.5 GB),
// a FIFO with no writer is waited for out loud, and one unreadable file of a bundle is a
// warning while the rest is read.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, openSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeNeeding } from '../helpers/requires.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

const bin = join(repoRoot, 'bin', 'podpath.js');
const dir = mkdtempSync(join(tmpdir(), 'podpath-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs podpath with stdin from a shell command (`yes …`, `< /dev/zero`), reporting peak RSS from GNU time. */
function runShell(script: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string; rssKb: number } {
  const r = spawnSync('sh', ['-c', script], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env, PODPATH: `/usr/bin/time -f rss=%M ${process.execPath} ${bin}` }, timeout: 60_000 });
  const rss = /rss=(\d+)/.exec(r.stderr ?? '');
  return { status: r.status, stderr: (r.stderr ?? '').replace(/^rss=\d+\n?/m, '').replace(/^Command exited.*\n?/m, ''), rssKb: rss ? Number(rss[1]) : NaN };
}

describe('inputs without a size: devices and pipes', () => {
  it('topology /dev/zero: one chunk tells it is binary; memory stays small', () => {
    const r = runShell('$PODPATH topology /dev/zero --node n1');
    expect(r.status).toBe(2); // unusable input
    expect(r.stderr.trim()).toBe('podpath: nothing usable in /dev/zero: /dev/zero: binary file (not a text dump), skipped');
    expect(r.rssKb).toBeLessThan(200_000);
  });

  it('topology - < /dev/zero', () => {
    const r = runShell('$PODPATH topology - --node n1 < /dev/zero');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/<stdin>: binary file/);
    expect(r.rssKb).toBeLessThan(200_000);
  });

  it('endless text on stdin stops at the 256 MB cap: one line, exit 2', () => {
    const r = runShell("yes 'default via 10.0.0.1 dev eth0' | $PODPATH topology - --node n1");
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('podpath: <stdin>: input larger than 256 MB, more than podpath reads as a dump (is it the right file? PODPATH_MAX_INPUT_MB raises the limit)');
    // The cap's bytes and no more (they are held while reading): well under twice the cap.
    expect(r.rssKb).toBeLessThan(512 * 1024);
  });

  it('a device path given to explain is read the same bounded way', () => {
    const capture = join(repoRoot, 'samples/seed-flannel/captures/pod1__eth0.pcap');
    const r = runShell(`$PODPATH explain /dev/zero ${capture}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\/dev\/zero: binary file/);
    expect(r.rssKb).toBeLessThan(200_000);
  });

  it('a top-level file of a bundle is capped like the others (it was read whole)', async () => {
    const bundle = join(dir, 'bundle');
    cpSync(join(repoRoot, 'samples/seed-flannel'), bundle, { recursive: true });
    writeFileSync(join(bundle, 'kubectl-get-pods.txt'), 'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   IP            NODE\n' + 'default     x      1/1     Running   0          1m    192.168.1.9   worker-1\n'.repeat(30_000));
    const r = await runPodpath(['topology', bundle], { env: { PODPATH_MAX_INPUT_MB: '1' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/kubectl-get-pods\.txt: input larger than 1 MB/);
  });
});

describe('a FIFO with no writer', () => {
  it('is waited for out loud, then read when something writes', async () => {
    const fifo = join(dir, 'transcript.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, [bin, 'topology', fifo, '--node', 'n1'], { cwd: repoRoot });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const said = await new Promise<boolean>((resolve) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (stderr.includes('waiting for')) {
          clearInterval(poll);
          resolve(true);
        } else if (Date.now() - started > 15_000) {
          clearInterval(poll);
          resolve(false);
        }
      }, 100);
    });
    expect(said).toBe(true);
    expect(stderr).toMatch(/^podpath: waiting for .*transcript\.fifo \(a FIFO or device: nothing has written to it yet\)\n$/);
    const fd = openSync(fifo, 'w');
    writeFileSync(fd, 'default via 10.0.0.1 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5\n');
    closeSync(fd);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(0);
    expect(stdout).toContain('n1');
  });
});

describeNeeding(['root'], 'a bundle file its reader may not open', () => {
  it('is a warning, and the rest of the bundle is read (it aborted the bundle, exit 1)', () => {
    const bundle = join(dir, 'unreadable');
    cpSync(join(repoRoot, 'samples/seed-flannel'), bundle, { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', dir]);
    chmodSync(join(bundle, 'worker-1/ip-neigh.txt'), 0o000);
    // Root reads any file: run podpath as nobody, as a user without the permission would.
    const r = spawnSync(process.execPath, [bin, 'topology', bundle], { cwd: repoRoot, uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: tmpdir() } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/unreadable\/worker-1\/ip-neigh\.txt: cannot be read \(permission denied\); skipped, the rest of the bundle is read/);
    expect(r.stdout).toMatch(/Nodes \(2\)/);
  });
});
