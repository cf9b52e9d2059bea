// `npm run bench explain`: podpath explain on a generated capture of long TCP connections
// (bench/explain-capture.ts; 1,000,000 packets by default, PODPATH_BENCH_PACKETS to change)
// beside the dumps of samples/seed-flannel, and on a tenth of it, to give the cost per packet:
// wall and CPU time, peak RSS (GNU time's %M) and the memory each extra packet adds; and
// `podpath decode` (and `decode --summary`, the read-and-dissect floor) on the same file in the
// same run, for the ratio. The aims (issue 11, issue
// 17 aim 5): 1,000,000 packets under 300 MB, in at most 3x the time of decode.
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

const DUMPS = join(repoRoot, 'samples/seed-flannel');

function measure(args: string[], packets: number): Measure {
  const out = openSync('/dev/null', 'w');
  const run = spawnSync('/usr/bin/time', ['-f', 'podpath-bench %e %M %U %S', join(repoRoot, 'bin/podpath.js'), ...args], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8', cwd: repoRoot });
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
    const decodes: (Measure & { name: string })[] = [];
    for (const n of [Math.round(packets / 10), packets]) {
      const file = join(dir, `bench-${n}.pcap`);
      const { bytes } = writeExplainCapture(file, n);
      console.log(`capture: ${n.toLocaleString('en')} packets, ${(bytes / 1e6).toFixed(1)} MB, 64 long TCP connections`);
      results.push(measure(['explain', file, DUMPS], n));
      if (n === packets) {
        decodes.push({ ...measure(['decode', file], n), name: 'decode' });
        decodes.push({ ...measure(['decode', '--summary', file], n), name: 'decode --summary' });
      }
      rmSync(file);
    }
    console.log(`${'run'.padEnd(36)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(8)} ${'µs/packet'.padStart(10)} ${'peak RSS MB'.padStart(12)}  exit`);
    const rows = [...results.map((r) => ({ name: 'explain', r })), ...decodes.map((r) => ({ name: r.name, r }))];
    for (const { name, r } of rows) {
      console.log(`${`podpath ${name} ${r.packets.toLocaleString('en')}`.padEnd(36)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpu.toFixed(2).padStart(8)} ${((r.cpu / r.packets) * 1e6).toFixed(1).padStart(10)} ${r.rssMb.toFixed(0).padStart(12)}  ${r.status}${r.note ? `  ${r.note}` : ''}`);
    }
    const [small, large] = results as [Measure, Measure];
    const perPacket = ((large.rssMb - small.rssMb) * 1024 * 1024) / (large.packets - small.packets);
    console.log(`packets: ${large.packets.toLocaleString('en')} (with the dumps of samples/seed-flannel)`);
    console.log(`memory per extra packet: ${perPacket.toFixed(0)} bytes (peak RSS difference / packet difference); ${((large.rssMb * 1024 * 1024) / large.packets).toFixed(0)} bytes of peak RSS per packet`);
    console.log(`explain peak RSS: ${large.rssMb.toFixed(0)} MB (aim < 300 MB: ${large.rssMb < 300 ? 'met' : 'NOT met'})`);
    const [decode, summary] = decodes;
    if (decode && summary) {
      const ratio = large.seconds / decode.seconds;
      console.log(`explain ${large.seconds.toFixed(2)} s, decode ${decode.seconds.toFixed(2)} s on the same file: ratio ${ratio.toFixed(2)}x wall, ${(large.cpu / decode.cpu).toFixed(2)}x CPU (aim <= 3x: ${ratio <= 3 ? 'met' : 'NOT met'})`);
      // The floor under both: reading and dissecting every packet with nothing printed.
      console.log(`explain beside decode --summary (${summary.seconds.toFixed(2)} s): ${(large.seconds / summary.seconds).toFixed(2)}x wall, ${(large.cpu / summary.cpu).toFixed(2)}x CPU`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
