// podpath reading a big kube-proxy iptables-save beside iptables-restore --test
// reading the same file.
//
//   npm run bench -- iptables          (or: node bin/run-ts.js bench/run.ts iptables)
//
// The file: the lab generator's rules for 10,000 services × 3 endpoints (every
// tenth a NodePort), loaded into a throwaway network namespace (pk-bench) and
// dumped with the real iptables-save, so both sides read what a node gives.
// podpath runs in a child process so its peak RSS is its own
// (VmHWM of its own process image), measured after parse + services indexing;
// the child runs the compiled dist/ modules (built first when stale), as the
// installed podpath command does, not the sources through tsx.
// Aim (issue 3): podpath faster than iptables-restore --test, under 300 MB.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { compiledIsFresh } from '../bin/dist-freshness.js';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpSync } from 'node:fs';
import { kubeProxyRestoreInput, syntheticSpec } from '../test/lab/kube-proxy-rules.ts';

const SERVICES = 10_000;
const ENDPOINTS = 3;
const ROUNDS = 3;
const NAMESPACE = 'pk-bench';
const here = fileURLToPath(import.meta.url);
const repoRoot = join(here, '..', '..');

interface ChildReport {
  readMs: number;
  parseMs: number;
  indexMs: number;
  /** user + system CPU of parse + index (GC threads included): steadier than wall time on a busy machine. */
  cpuMs: number;
  rules: number;
  services: number;
  endpoints: number;
  warnings: number;
  baselineRssMB: number;
  maxRssMB: number;
}

/**
 * The child: parse + index one file, report times and peak RSS as JSON. Plain
 * JavaScript written next to the input, so it runs on the compiled dist/ modules
 * under bare node (what `podpath` runs after `npm install`) or, when dist/ cannot
 * be built, on src/ through tsx. PARSE_URL / SERVICES_URL are filled in.
 */
const CHILD_SCRIPT = `
import { readFileSync } from 'node:fs';
// Peak RSS of this process image: VmHWM, since ru_maxrss (resourceUsage().maxRSS) keeps the
// forking parent's RSS across exec on Linux and so would report the bench's own size.
const peakRssMB = () => {
  try {
    const match = /^VmHWM:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024;
};
const baselineRssMB = peakRssMB();
const { parseIptablesSave } = await import(PARSE_URL);
const { servicesFromNetfilter } = await import(SERVICES_URL);
const file = process.argv[2];
let t = performance.now();
const text = readFileSync(file, 'utf8');
const readMs = performance.now() - t;
const cpu = process.cpuUsage();
t = performance.now();
const parsed = parseIptablesSave(text, file);
const parseMs = performance.now() - t;
t = performance.now();
const { services } = servicesFromNetfilter(parsed.tables, 'bench-node');
const indexMs = performance.now() - t;
const used = process.cpuUsage(cpu);
// Before counting the rules: reading .rules builds every chain's rules, which neither reading nor indexing does.
const maxRssMB = peakRssMB();
const rules = Object.values(parsed.tables).reduce((n, table) => n + Object.values(table.chains).reduce((m, c) => m + c.rules.length, 0), 0);
process.stdout.write(JSON.stringify({
  readMs, parseMs, indexMs,
  cpuMs: (used.user + used.system) / 1000,
  rules,
  services: services.length,
  endpoints: services.reduce((n, s) => n + s.endpoints.length, 0),
  warnings: parsed.warnings.length,
  baselineRssMB,
  maxRssMB,
}));
`;

/**
 * How the child starts: on dist/ when it is fresh (building it first if not), as
 * users run podpath; on src/ through tsx only when the build fails.
 */
function childCommand(script: string): { args: string[]; label: string } {
  let fresh = compiledIsFresh(repoRoot);
  let note = '';
  if (!fresh) {
    const build = sh('npm', ['run', '--silent', 'build'], undefined, repoRoot);
    fresh = build.status === 0 && compiledIsFresh(repoRoot);
    if (!fresh) note = ` (npm run build failed: ${(build.stdout + build.stderr).trim().split('\n')[0] ?? ''})`;
  }
  const from = fresh ? pathToFileURL(join(repoRoot, 'dist')).href : pathToFileURL(join(repoRoot, 'src')).href;
  const ext = fresh ? 'js' : 'ts';
  writeFileSync(
    script,
    CHILD_SCRIPT.replace('PARSE_URL', JSON.stringify(`${from}/topology/parse/iptables-save.${ext}`)).replace(
      'SERVICES_URL',
      JSON.stringify(`${from}/topology/kube-proxy/services.${ext}`),
    ),
  );
  const flags = shebangFlags();
  return fresh
    ? { args: [...flags, script], label: `Node ${flags.join(' ')} on compiled dist/ (the installed command's flags)` }
    : { args: [...flags, join(repoRoot, 'bin', 'run-ts.js'), script], label: `Node+tsx on src/${note}` };
}

/** The node flags bin/podpath.js's shebang sets (`#!/usr/bin/env -S node --max-semi-space-size=2 …`), so the child reads as the command does. */
function shebangFlags(): string[] {
  const first = readFileSync(join(repoRoot, 'bin', 'podpath.js'), 'utf8').split('\n')[0] ?? '';
  const words = first.replace(/^#!\S+\s+(-S\s+)?/, '').split(/\s+/).filter((w) => w !== '');
  return words[0] === 'node' ? words.slice(1) : [];
}

/** Runs under /usr/bin/time to get the peer's CPU time and peak RSS as well as its wall time. */
function timed(command: string, args: string[], input: string): { status: number | null; stderr: string; ms: number; cpuMs?: number; maxRssMB?: number } {
  const result = sh('/usr/bin/time', ['-f', 'PKTIME %U %S %M', command, ...args], input);
  const match = /PKTIME ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(result.stderr);
  if (result.status === null && result.stderr.includes('ENOENT')) return sh(command, args, input);
  if (!match) return result;
  return { ...result, cpuMs: (Number(match[1]) + Number(match[2])) * 1000, maxRssMB: Number(match[3]) / 1024 };
}

function sh(command: string, args: string[], input?: string, cwd?: string): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t = performance.now();
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 1 << 30, ...(cwd === undefined ? {} : { cwd }) });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? ''), ms: performance.now() - t };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;

export async function run(_args: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pk-bench-'));
  const file = join(dir, 'iptables-save.txt');
  let namespaceMade = false;
  try {
    const restoreInput = kubeProxyRestoreInput(syntheticSpec(SERVICES, ENDPOINTS));
    const made = sh('ip', ['netns', 'add', NAMESPACE]);
    namespaceMade = made.status === 0;
    if (!namespaceMade) {
      console.log(`iptables-restore: skipped (cannot create netns ${NAMESPACE}: ${made.stderr.trim()}); podpath reads the generator output instead`);
      writeFileSync(file, restoreInput);
    } else {
      const load = sh('ip', ['netns', 'exec', NAMESPACE, 'iptables-restore'], restoreInput);
      const save = sh('ip', ['netns', 'exec', NAMESPACE, 'iptables-save']);
      if (load.status !== 0 || save.status !== 0) throw new Error(`loading the rules failed: ${load.stderr || save.stderr}`);
      writeFileSync(file, save.stdout);
      // Flush so --test starts from the same empty namespace every round.
      sh('ip', ['netns', 'exec', NAMESPACE, 'iptables', '-t', 'nat', '-F']);
    }
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').length;
    console.log(`machine: ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} (wall times stretch with load; CPU times less so)`);
    console.log(`input: ${SERVICES} services × ${ENDPOINTS} endpoints, ${(text.length / 1e6).toFixed(1)} MB, ${lines} lines (${namespaceMade ? 'real iptables-save of the generated rules' : 'generator output'})`);

    const restoreMs: number[] = [];
    const restoreCpuMs: number[] = [];
    let restoreRssMB = 0;
    if (namespaceMade) {
      for (let round = 0; round < ROUNDS; round++) {
        const test = timed('ip', ['netns', 'exec', NAMESPACE, 'iptables-restore', '--test'], text);
        if (test.status !== 0) throw new Error(`iptables-restore --test failed: ${test.stderr.trim()}`);
        restoreMs.push(test.ms);
        if (test.cpuMs !== undefined) restoreCpuMs.push(test.cpuMs);
        restoreRssMB = Math.max(restoreRssMB, test.maxRssMB ?? 0);
      }
    }

    const start = childCommand(join(dir, 'child.mjs'));
    const reports: ChildReport[] = [];
    const processMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const result = sh(process.execPath, [...start.args, file]);
      if (result.status !== 0) throw new Error(`podpath child failed: ${result.stderr.trim()}`);
      reports.push(JSON.parse(result.stdout) as ChildReport);
      processMs.push(result.ms);
    }
    const work = reports.map((r) => r.parseMs + r.indexMs);
    const last = reports[reports.length - 1]!;
    console.log(`podpath: ${last.rules} rules, ${last.services} services, ${last.endpoints} endpoints, ${last.warnings} warnings`);
    console.log(`podpath parse + services index: ${fmt(median(work))} median of ${reports.map((r) => fmt(r.parseMs + r.indexMs)).join(', ')}; CPU ${fmt(median(reports.map((r) => r.cpuMs)))}`);
    console.log(`  (parse ${fmt(median(reports.map((r) => r.parseMs)))}, index ${fmt(median(reports.map((r) => r.indexMs)))}, read file ${fmt(median(reports.map((r) => r.readMs)))}; whole child process incl. start ${fmt(median(processMs))})`);
    console.log(`podpath peak RSS: ${Math.max(...reports.map((r) => r.maxRssMB)).toFixed(0)} MB (${start.label}, before reading: ${last.baselineRssMB.toFixed(0)} MB)`);
    if (restoreMs.length > 0) {
      const cpu = restoreCpuMs.length > 0 ? `; CPU ${fmt(median(restoreCpuMs))}, peak RSS ${restoreRssMB.toFixed(0)} MB` : '';
      console.log(`iptables-restore --test: ${fmt(median(restoreMs))} median of ${restoreMs.map(fmt).join(', ')}${cpu}`);
      console.log(`ratio podpath / iptables-restore, wall: ${(median(work) / median(restoreMs)).toFixed(2)} (below 1: podpath faster)`);
      if (restoreCpuMs.length > 0) {
        console.log(`ratio podpath / iptables-restore, CPU: ${(median(reports.map((r) => r.cpuMs)) / median(restoreCpuMs)).toFixed(2)}`);
      }
    }
    wholeProcessRows(dir, file, restoreMs.length > 0 ? median(restoreMs) : undefined, restoreRssMB);
  } finally {
    if (namespaceMade) sh('ip', ['netns', 'del', NAMESPACE]);
    rmSync(dir, { recursive: true, force: true });
  }
}


/**
 * The least any reader of the dump does, as a whole Node process: read the file, find each
 * line, split it into arguments as iptables-restore does (spaces, double quotes) and hash each
 * word. No chain, rule, check or service. It says how much of podpath's time is reading as
 * such and how much is the model built on it: the aim of 0.5× iptables-restore --test has to
 * fit above this floor.
 */
const SPLIT_FLOOR = `
const text = require('node:fs').readFileSync(process.argv[1], 'latin1');
let words = 0, hash = 0;
for (let pos = 0; pos < text.length; ) {
  let end = text.indexOf('\\n', pos);
  if (end < 0) end = text.length;
  for (let i = pos; i < end; ) {
    let c = text.charCodeAt(i);
    if (c === 32 || c === 9) { i++; continue; }
    words++;
    if (c === 34) { i++; while (i < end && text.charCodeAt(i) !== 34) i++; i++; continue; }
    while (i < end && (c = text.charCodeAt(i)) !== 32 && c !== 9) { hash = (Math.imul(hash, 31) + c) | 0; i++; }
  }
  pos = end + 1;
}
console.log(words, hash);
`;

/**
 * What a user runs: `podpath topology` and `podpath trace` as whole processes (node start,
 * every dump of a bundle, services, the text output) on seed-flannel with worker-1's
 * iptables-save replaced by this file; beside iptables-restore --test, then the curve from
 * 1,000 to 50,000 services (generator output, podpath only).
 * Aims (issue 17): topology ≤ 0.5× iptables-restore --test and no more memory; trace ≤ 1.2× topology.
 */
function wholeProcessRows(dir: string, file: string, restoreMs: number | undefined, restoreRssMB: number): void {
  // Run as the installed command runs, by its shebang (node --max-semi-space-size=2 --expose-gc), as the
  // decode and explain benches do: `node bin/podpath.js` would measure a 16 MB nursery users never get.
  const podpath = join(repoRoot, 'bin', 'podpath.js');
  const bundleWith = (name: string, iptables: string): string => {
    const bundle = join(dir, name);
    cpSync(join(repoRoot, 'samples', 'seed-flannel'), bundle, { recursive: true, filter: (src) => !src.includes('captures') && !src.endsWith('transcript.txt') });
    writeFileSync(join(bundle, 'worker-1', 'iptables-save.txt'), iptables);
    return bundle;
  };
  const run = (args: string[], rounds = ROUNDS): { ms: number; rssMB: number } => {
    const times: number[] = [];
    let rssMB = 0;
    for (let round = 0; round < rounds; round++) {
      const result = timed(podpath, args, '');
      if (result.status !== 0) throw new Error(`podpath ${args[0]} failed: ${result.stderr.trim().split('\n')[0]}`);
      times.push(result.ms);
      rssMB = Math.max(rssMB, result.maxRssMB ?? 0);
    }
    return { ms: median(times), rssMB };
  };
  const bundle = bundleWith('bundle', readFileSync(file, 'utf8'));
  const topology = run(['topology', bundle]);
  const json = sh(podpath, ['topology', bundle, '--json']);
  console.log(`podpath topology (whole process): ${fmt(topology.ms)}, peak RSS ${topology.rssMB.toFixed(0)} MB; --json ${(json.stdout.length / 1e6).toFixed(1)} MB`);
  const floor: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const result = timed(process.execPath, ['-e', SPLIT_FLOOR, file], '');
    if (result.status !== 0) throw new Error(`the split floor failed: ${result.stderr.trim()}`);
    floor.push(result.ms);
  }
  const floorMs = median(floor);
  console.log(`  floor: bare Node reading the file and splitting every line into words ${fmt(floorMs)} (podpath topology ${(topology.ms / floorMs).toFixed(1)}× it${restoreMs !== undefined ? `; the aim leaves ${fmt(restoreMs * 0.5 - floorMs)} above it` : ''})`);
  if (restoreMs !== undefined) {
    const ratio = topology.ms / restoreMs;
    const memory = restoreRssMB > 0 ? `, memory ${(topology.rssMB / restoreRssMB).toFixed(2)}× (aim ≤ 1: ${topology.rssMB <= restoreRssMB ? 'met' : 'NOT met'})` : '';
    console.log(`  vs iptables-restore --test ${fmt(restoreMs)}: ${ratio.toFixed(2)}× (aim ≤ 0.5: ${ratio <= 0.5 ? 'met' : 'NOT met'})${memory}`);
  }
  const svc = syntheticSpec(SERVICES, ENDPOINTS).services[Math.floor(SERVICES / 2)]!;
  const trace = run(['trace', bundle, '--from', 'pod1', '--to', `${svc.clusterIP}:${svc.port}`, '--sport', '40000']);
  const traceRatio = trace.ms / topology.ms;
  console.log(`podpath trace (whole process) to ${svc.clusterIP}:${svc.port}: ${fmt(trace.ms)}, ${traceRatio.toFixed(2)}× topology (aim ≤ 1.2: ${traceRatio <= 1.2 ? 'met' : 'NOT met'})`);

  console.log('curve, podpath topology whole process on generator output (services, seconds, MB, seconds per 1k services):');
  for (const services of [1_000, 10_000, 50_000]) {
    const curveBundle = bundleWith(`curve-${services}`, kubeProxyRestoreInput(syntheticSpec(services, ENDPOINTS)));
    const point = run(['topology', curveBundle], 1);
    console.log(`  ${services}  ${(point.ms / 1000).toFixed(2)} s  ${point.rssMB.toFixed(0)} MB  ${(point.ms / 1000 / (services / 1000)).toFixed(3)} s/1k`);
    rmSync(curveBundle, { recursive: true, force: true });
  }
}
