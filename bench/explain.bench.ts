// `npm run bench explain`: podpath explain on a generated capture of long TCP connections
// (bench/explain-capture.ts; 1,000,000 packets by default, PODPATH_BENCH_PACKETS to change),
// and on a tenth of it, to give the cost per packet: wall and CPU time, peak RSS (GNU time's
// %M) and the memory each extra packet adds. The aim (issue 11): 1,000,000 packets under 300 MB.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeExplainCapture } from './explain-capture.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Measure {
  packets: number;
  seconds: number;
  cpu: number;
  rssMb: number;
  status: number | null;
  note: string;
}

function explain(file: string, packets: number): Measure {
  const out = openSync('/dev/null', 'w');
  const run = spawnSync('/usr/bin/time', ['-f', 'podpath-bench %e %M %U %S', join(repoRoot, 'bin/podpath.js'), 'explain', file], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8', cwd: repoRoot });
  closeSync(out);
  const m = /podpath-bench ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(run.stderr ?? '');
  const note = (run.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('podpath-bench') && !l.startsWith('Command exited')).slice(0, 1).join('');
  return { packets, seconds: m ? Number(m[1]) : NaN, cpu: m ? Number(m[3]) + Number(m[4]) : NaN, rssMb: m ? Number(m[2]) / 1024 : NaN, status: run.status, note };
}

export async function run(_args: string[]): Promise<void> {
  const packets = Number(process.env['PODPATH_BENCH_PACKETS'] ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-explain-'));
  try {
    const results: Measure[] = [];
    for (const n of [Math.round(packets / 10), packets]) {
      const file = join(dir, `bench-${n}.pcap`);
      const { bytes } = writeExplainCapture(file, n);
      console.log(`capture: ${n.toLocaleString('en')} packets, ${(bytes / 1e6).toFixed(1)} MB, 64 long TCP connections`);
      results.push(explain(file, n));
      rmSync(file);
    }
    console.log(`${'run'.padEnd(30)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(8)} ${'µs/packet'.padStart(10)} ${'peak RSS MB'.padStart(12)}  exit`);
    for (const r of results) {
      console.log(`${`podpath explain ${r.packets.toLocaleString('en')}`.padEnd(30)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpu.toFixed(2).padStart(8)} ${((r.cpu / r.packets) * 1e6).toFixed(1).padStart(10)} ${r.rssMb.toFixed(0).padStart(12)}  ${r.status}${r.note ? `  ${r.note}` : ''}`);
    }
    const [small, large] = results as [Measure, Measure];
    const perPacket = ((large.rssMb - small.rssMb) * 1024 * 1024) / (large.packets - small.packets);
    console.log(`memory per extra packet: ${perPacket.toFixed(0)} bytes (peak RSS difference / packet difference)`);
    console.log(`explain on ${large.packets.toLocaleString('en')} packets: ${large.rssMb.toFixed(0)} MB peak (aim < 300 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
