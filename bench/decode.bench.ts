// `npm run bench decode`: podpath decode beside its peers on one generated VXLAN
// capture (≥ 1,000,000 packets by default; PODPATH_BENCH_PACKETS to change), in one
// run: podpath --summary, podpath --json, tshark -T fields, tcpdump -nn, cat, a bare
// Node chunked read loop, and pcap-parser counting packets. Prints packets/s, MB/s,
// peak RSS (GNU time's %M) and the ratios issue 4 aims at. The capture is written
// by our own writer into a temp dir and deleted afterwards.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---- the capture writer ----------------------------------------------------

function checksum16(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface Flow {
  outerSrc: number[];
  outerDst: number[];
  innerSrc: number[];
  innerDst: number[];
  sport: number;
  vni: number;
  isn: number;
}

/** Outer Ethernet/IPv4/UDP 8472/VXLAN, inner Ethernet/IPv4/TCP with the given flags and payload. */
function vxlanTcpFrame(flow: Flow, flags: number, seq: number, ack: number, payload: Uint8Array, reply: boolean): Uint8Array {
  const innerLength = 14 + 20 + 20 + payload.length;
  const frame = new Uint8Array(14 + 20 + 8 + 8 + innerLength);
  const view = new DataView(frame.buffer);
  const mac = (at: number, last: number): void => frame.set([0x02, 0x42, 0x0a, 0x4a, 0x6b, last], at);
  mac(0, reply ? 0x3f : 0x3e);
  mac(6, reply ? 0x3e : 0x3f);
  view.setUint16(12, 0x0800);
  // outer IPv4
  frame[14] = 0x45;
  view.setUint16(16, 20 + 8 + 8 + innerLength);
  view.setUint16(20, 0x4000);
  frame[22] = 64;
  frame[23] = 17;
  frame.set(reply ? flow.outerDst : flow.outerSrc, 26);
  frame.set(reply ? flow.outerSrc : flow.outerDst, 30);
  view.setUint16(24, checksum16(frame, 14, 34));
  // UDP to 8472 (Linux/Flannel VXLAN), source port from the inner flow hash as the kernel does
  view.setUint16(34, 32768 + ((flow.sport * 7) & 0x3fff));
  view.setUint16(36, 8472);
  view.setUint16(38, 8 + 8 + innerLength);
  // VXLAN
  frame[42] = 0x08;
  view.setUint32(46, flow.vni << 8);
  // inner Ethernet
  mac(50, reply ? 0x12 : 0x11);
  mac(56, reply ? 0x11 : 0x12);
  view.setUint16(62, 0x0800);
  // inner IPv4
  frame[64] = 0x45;
  view.setUint16(66, innerLength);
  view.setUint16(70, 0x4000);
  frame[72] = 63;
  frame[73] = 6;
  frame.set(reply ? flow.innerDst : flow.innerSrc, 76);
  frame.set(reply ? flow.innerSrc : flow.innerDst, 80);
  view.setUint16(74, checksum16(frame, 64, 84));
  // TCP
  view.setUint16(84, reply ? 80 : flow.sport);
  view.setUint16(86, reply ? flow.sport : 80);
  view.setUint32(88, seq >>> 0);
  view.setUint32(92, ack >>> 0);
  frame[96] = 0x50;
  frame[97] = flags;
  view.setUint16(98, 502);
  frame.set(payload, 104);
  return frame;
}

/** Writes `packets` records cycling over flows (SYN, SYN-ACK, ACK, HTTP GET, data, ACK …). */
export function writeCapture(path: string, packets: number): { bytes: number } {
  const fd = openSync(path, 'w');
  const header = new Uint8Array(24);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, 0xa1b2c3d4, true);
  hv.setUint16(4, 2, true);
  hv.setUint16(6, 4, true);
  hv.setUint32(16, 262144, true);
  hv.setUint32(20, 1, true);
  writeSync(fd, header);
  const get = new TextEncoder().encode('GET /api/items HTTP/1.1\r\nHost: 192.168.2.12\r\nUser-Agent: curl/7.64.1\r\nAccept: */*\r\n\r\n');
  const data = new Uint8Array(600).fill(0x61);
  const flows: Flow[] = Array.from({ length: 16 }, (_, i) => ({
    outerSrc: [10, 74, 107, 63],
    outerDst: [10, 74, 107, 62 - (i % 4)],
    innerSrc: [192, 168, 1, 7 + i],
    innerDst: [192, 168, 2, 12 + (i % 3)],
    sport: 50000 + i,
    vni: 1 + (i % 2),
    isn: 1_000_000 * (i + 1),
  }));
  // One conversation of 8 packets per flow; sequence numbers move on each round.
  const buffer = new Uint8Array(4 << 20);
  const bv = new DataView(buffer.buffer);
  let used = 0;
  let bytes = 24;
  let sec = 1_700_000_000;
  let usec = 0;
  for (let n = 0; n < packets; n++) {
    const flow = flows[n % flows.length] as Flow;
    const step = Math.floor(n / flows.length) % 8;
    const round = Math.floor(n / (flows.length * 8));
    const c = flow.isn + round * 1000;
    const s = 7_000_000 + round * 5000;
    const frame =
      step === 0 ? vxlanTcpFrame(flow, 0x02, c, 0, new Uint8Array(0), false)
      : step === 1 ? vxlanTcpFrame(flow, 0x12, s, c + 1, new Uint8Array(0), true)
      : step === 2 ? vxlanTcpFrame(flow, 0x10, c + 1, s + 1, new Uint8Array(0), false)
      : step === 3 ? vxlanTcpFrame(flow, 0x18, c + 1, s + 1, get, false)
      : step === 4 ? vxlanTcpFrame(flow, 0x18, s + 1, c + 1 + get.length, data, true)
      : step === 5 ? vxlanTcpFrame(flow, 0x10, c + 1 + get.length, s + 601, new Uint8Array(0), false)
      : step === 6 ? vxlanTcpFrame(flow, 0x11, c + 1 + get.length, s + 601, new Uint8Array(0), false)
      : vxlanTcpFrame(flow, 0x11, s + 601, c + 2 + get.length, new Uint8Array(0), true);
    if (used + 16 + frame.length > buffer.length) {
      writeSync(fd, buffer, 0, used);
      used = 0;
    }
    usec += 37;
    if (usec >= 1_000_000) {
      usec -= 1_000_000;
      sec++;
    }
    bv.setUint32(used, sec, true);
    bv.setUint32(used + 4, usec, true);
    bv.setUint32(used + 8, frame.length, true);
    bv.setUint32(used + 12, frame.length, true);
    buffer.set(frame, used + 16);
    used += 16 + frame.length;
    bytes += 16 + frame.length;
  }
  writeSync(fd, buffer, 0, used);
  closeSync(fd);
  return { bytes };
}

// ---- the runs ----------------------------------------------------------------

interface Measure {
  name: string;
  seconds: number;
  /** user + system CPU seconds: fairer than wall time when the machine is shared. */
  cpu: number;
  rssMb: number;
  ok: boolean;
  note: string;
}

function timed(name: string, command: string[], stdoutTo = '/dev/null'): Measure {
  const out = openSync(stdoutTo, 'w');
  const run = spawnSync('/usr/bin/time', ['-f', 'podpath-bench %e %M %U %S', ...command], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8', cwd: repoRoot });
  closeSync(out);
  const match = /podpath-bench ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(run.stderr ?? '');
  const stderr = (run.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('podpath-bench') && !l.includes('Running as user')).slice(0, 2).join(' | ');
  return {
    name,
    seconds: match ? Number(match[1]) : NaN,
    cpu: match ? Number(match[3]) + Number(match[4]) : NaN,
    rssMb: match ? Number(match[2]) / 1024 : NaN,
    ok: run.status === 0,
    note: run.status === 0 ? '' : `exit ${run.status}: ${stderr}`,
  };
}

const BARE_LOOP = `
const fs = require('node:fs');
let bytes = 0;
const stream = fs.createReadStream(process.argv[1], { highWaterMark: 1 << 20 });
stream.on('data', (chunk) => { bytes += chunk.length; });
stream.on('end', () => console.log(bytes));
`;

const PCAP_PARSER = `
const parser = require('pcap-parser').parse(process.argv[1]);
let packets = 0;
parser.on('packet', () => { packets++; });
parser.on('error', (error) => { console.error(String(error)); process.exitCode = 1; });
parser.on('end', () => console.log(packets));
`;

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

export async function run(_args: string[]): Promise<void> {
  const packets = Number(process.env['PODPATH_BENCH_PACKETS'] ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-decode-'));
  const file = join(dir, 'vxlan.pcap');
  try {
    const started = Date.now();
    const { bytes } = writeCapture(file, packets);
    const mb = bytes / 1e6;
    console.log(`capture: ${packets.toLocaleString('en')} packets, ${mb.toFixed(1)} MB (VXLAN 8472, 16 TCP/HTTP flows), written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Run as the installed command runs: through its shebang (and the node flags it sets).
    const podpath = [join(repoRoot, 'bin/podpath.js'), 'decode'];
    const loadBefore = loadavg().map((l) => l.toFixed(1)).join(' ');
    const idle = timed('podpath --version (start-up)', [join(repoRoot, 'bin/podpath.js'), '--version']);
    const results: Measure[] = [];
    results.push(idle);
    results.push(timed('cat', ['cat', file]));
    results.push(timed('bare Node read loop', [process.execPath, '-e', BARE_LOOP, file]));
    results.push(timed('pcap-parser (count only)', [process.execPath, '-e', PCAP_PARSER, file]));
    results.push(timed('podpath decode --summary', [...podpath, '--summary', file]));
    results.push(timed('podpath decode --json', [...podpath, '--json', file]));
    results.push(timed('podpath decode (lines)', [...podpath, file]));
    if (have('tcpdump')) results.push(timed('tcpdump -nn -r', ['tcpdump', '-nn', '-r', file]));
    if (have('tshark')) {
      results.push(
        timed('tshark -T fields', ['tshark', '-r', file, '-n', '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'vxlan.vni', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.flags']),
      );
    }
    console.log('');
    console.log(`load average before the runs: ${loadBefore}`);
    console.log(`${'run'.padEnd(28)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(8)} ${'packets/s'.padStart(12)} ${'MB/s'.padStart(8)} ${'peak RSS MB'.padStart(12)}`);
    for (const r of results) {
      const pps = packets / r.seconds;
      console.log(`${r.name.padEnd(28)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpu.toFixed(2).padStart(8)} ${Math.round(pps).toLocaleString('en').padStart(12)} ${(mb / r.seconds).toFixed(0).padStart(8)} ${r.rssMb.toFixed(0).padStart(12)}${r.ok ? '' : '  ' + r.note}`);
    }
    const by = (name: string): Measure | undefined => results.find((r) => r.name === name);
    const summary = by('podpath decode --summary');
    const json = by('podpath decode --json');
    const tshark = by('tshark -T fields');
    const bare = by('bare Node read loop');
    const parser = by('pcap-parser (count only)');
    console.log('');
    const ratio = (a: Measure, b: Measure): string => `${(a.seconds / b.seconds).toFixed(1)}× by wall time, ${(a.cpu / b.cpu).toFixed(1)}× by CPU time`;
    if (summary && tshark) console.log(`summary vs tshark: ${ratio(tshark, summary)} tshark's packets/s (aim ≥ 100×)`);
    if (summary && bare) console.log(`summary vs bare read loop: ${ratio(summary, bare)} the loop's time (aim ≤ 3×)`);
    if (json && tshark) console.log(`--json vs tshark: ${ratio(tshark, json)} tshark's packets/s (aim ≥ 20×)`);
    if (summary && parser) console.log(`summary vs pcap-parser counting only: ${ratio(parser, summary)} faster`);
    const peak = Math.max(...results.filter((r) => r.name.startsWith('podpath')).map((r) => r.rssMb));
    console.log(`podpath peak RSS: ${peak.toFixed(0)} MB (aim < 100 MB)`);
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
  void statSync;
}
