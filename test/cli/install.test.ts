// podpath installed as a command, from the package `npm pack` makes (dist/ built by prepack),
// on a machine without the repository: installed under a temporary prefix, run from a
// directory outside the checkout, with nothing but the package's own runtime dependencies
// (no tsx, no src/). Then the README's examples, run as written by the installed command.
//
// `npm install -g ./podpath-*.tgz --offline` needs the registry's metadata of every dependency
// in the npm cache, which `npm ci` does not leave there; the lockfile's tarballs it does leave.
// So the package is placed as `npm install -g` places it (PREFIX/lib/node_modules/podpath, the
// bin linked into PREFIX/bin) and its dependencies come from `npm ci --omit=dev --offline`
// with the repository's lockfile: the same versions, from the cache, no network.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/run.ts';
import { oracle } from '../helpers/oracle.ts';

const work = mkdtempSync(join(tmpdir(), 'podpath-install-'));
const prefix = join(work, 'prefix');
const installed = join(prefix, 'lib', 'node_modules', 'podpath');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
// Only node and the system's tools: not the checkout's node_modules/.bin, not tsx.
const PATH = [join(prefix, 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(':');
const env = { PATH, HOME: work, NO_COLOR: '1', LANG: 'C.UTF-8' };

const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '' } });

const podpath = (args: string[], cwd: string) => spawnSync(join(prefix, 'bin', 'podpath'), args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });

beforeAll(() => {
  const tarball = npm(['pack', '--pack-destination', work], repoRoot).trim().split('\n').pop()!;
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['xzf', join(work, tarball), '-C', installed, '--strip-components=1']);
  copyFileSync(join(repoRoot, 'package-lock.json'), join(installed, 'package-lock.json'));
  npm(['ci', '--omit=dev', '--offline', '--ignore-scripts'], installed);
  mkdirSync(join(prefix, 'bin'));
  symlinkSync(join('..', 'lib', 'node_modules', 'podpath', 'bin', 'podpath.js'), join(prefix, 'bin', 'podpath'));
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed podpath, installed', () => {
  it('carries the compiled dist/ and no sources, and runs without tsx', () => {
    expect(existsSync(join(installed, 'dist', 'cli.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'test'))).toBe(false);
    expect(existsSync(join(installed, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(installed, 'node_modules', 'typescript'))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
  });

  it('podpath --version, from outside the checkout', () => {
    const run = podpath(['--version'], work);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it('podpath --help lists the commands and the exit statuses', () => {
    const run = podpath(['--help'], work);
    expect(run.status).toBe(0);
    for (const command of ['collect', 'decode', 'explain', 'topology', 'trace', 'ui']) expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(run.stdout).toMatch(/Exit status:\n {2}0 [^]*\n {2}1 [^]*\n {2}2 [^]*\n {2}70 [^]*\n {2}130 /);
  });

  // The Explain and Capture panes read on worker threads started from their own files
  // (src/ui/thread.ts): from the package those are dist/'s bundle entries, with no tsx to fall
  // back on. Asked as the UI asks them, the explainer lists the connections the lab recorded on
  // the capture, and the streamer counts its packets as tshark does.
  it("the UI's worker threads start from the installed dist/ and read a capture", () => {
    const sample = join(repoRoot, 'samples', 'seed-flannel');
    const capture = join(sample, 'captures', 'worker-2__eth0.pcap');
    const expected = JSON.parse(readFileSync(join(sample, 'expected.json'), 'utf8')) as { connections: { sightings: { at: string; interface: string }[] }[] };
    const seen = expected.connections.filter((c) => c.sightings.some((x) => x.at === 'worker-2' && x.interface === 'eth0')).length;
    const packets = oracle('tshark', ['-r', capture, '-T', 'fields', '-e', 'frame.number']).trim().split('\n').length;
    const module = (path: string): string => JSON.stringify(pathToFileURL(join(installed, 'dist', 'ui', path)).href);
    // The workers never keep a process alive (the UI's terminal does): the script waits with a timer of its own.
    const script = `import { workerExplainStarter } from ${module('explain/start.js')};
      import { workerCaptureStarter } from ${module('capture/start.js')};
      const alive = setInterval(() => undefined, 1000);
      let waiting = 2;
      const end = (line) => { console.log(line); if (--waiting === 0) clearInterval(alive); };
      workerExplainStarter([${JSON.stringify(capture)}], [${JSON.stringify(sample)}], {})((a) => {
        if (a.type !== 'explain-progress') end(a.type === 'explain-done' ? a.view.summary : 'error: ' + a.error);
      });
      const trace = { query: { from: 'x', to: 'y', packet: { src: '192.0.2.1', dst: '192.0.2.2', proto: 'tcp' } }, paths: [], warnings: [] };
      let total = 0;
      workerCaptureStarter([${JSON.stringify(capture)}], { vteps: [] }, trace)((a) => {
        if (a.type === 'capture-batch') total = a.total;
        else if (a.type === 'capture-done') end(a.error === undefined ? 'packets ' + total : 'error: ' + a.error);
      });`;
    // A file, not \`node -e\`: a worker inherits node's flags, and --input-type would stop it.
    const file = join(work, 'read-in-workers.mjs');
    writeFileSync(file, script);
    const run = spawnSync(process.execPath, [file], { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(seen).toBeGreaterThan(2);
    expect(run.stdout).toMatch(new RegExp(`^${seen} connections · `, 'm'));
    expect(run.stdout).toContain(`packets ${packets}\n`);
    expect(run.status).toBe(0);
  });

  // Each `$ podpath …` line of the README, run in the checkout (its paths are the samples'),
  // prints the lines the README shows under it (the README elides with "…").
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const examples = [...readme.matchAll(/^\$ (podpath .+)\n((?:(?!\$ |```).*\n)*)/gm)].map((m) => ({ command: m[1]!, shown: m[2]! }));

  it('the README has examples to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });

  it.each(examples.map((e) => [e.command, e]))('README: %s', (_command, example) => {
    const run = spawnSync('bash', ['-c', example.command], { cwd: repoRoot, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(run.stderr).toBe('');
    expect([0, 1]).toContain(run.status);
    const squeeze = (s: string) => s.replace(/\s+/g, ' ').trim();
    const output = squeeze(run.stdout);
    for (const line of example.shown.split('\n').filter((l) => l.trim() !== '' && l.trim() !== '…')) {
      // A line ending in "…" is shown cut short: its beginning must be there.
      const text = squeeze(line.replace(/\s*…\s*$/, ''));
      expect(output, line).toContain(text);
    }
  });
});
