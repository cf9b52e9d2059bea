// `npm run bench decode`: podpath decode beside its peers on one generated VXLAN
// capture (1,000,000 packets by default; PODPATH_BENCH_PACKETS to change), in one run:
// the text lines beside tcpdump -nn -r, --json (whole file, -c, -Y, into `| head -1`)
// beside tshark -T json, --summary beside tshark -T fields, a bare Node read loop and
// pcap-parser. tshark -T json reads the capture's first 100,000 packets
// (PODPATH_BENCH_TSHARK_PACKETS), and its rows are compared per packet. Prints wall and
// CPU time, peak RSS (GNU time's %M), and one row per aim of issue 17 with its ratio.
// The capture is written by bench/pcap-writer.ts into a temp dir and deleted afterwards.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checksum16, PcapWriter } from './pcap-writer.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---- the capture ------------------------------------------------------------

interface Flow {
  outerSrc: number[];
  outerDst: number[];
  innerSrc: number[];
  innerDst: number[];
  sport: number;
  vni: number;
  isn: number;
}

/** Outer Ethernet/IPv4/UDP 8472/VXLAN, inner Ethernet/IPv4/TCP with the given flags and payload, at `at` in `frame`. */
/** An IPv4 header without options at `at`: DF set, its checksum computed over it. */
function ipv4Header(frame: Uint8Array, view: DataView, at: number, totalLength: number, ttl: number, protocol: number, src: ArrayLike<number>, dst: ArrayLike<number>): void {
  frame[at] = 0x45;
  view.setUint16(at + 2, totalLength);
  view.setUint16(at + 6, 0x4000);
  frame[at + 8] = ttl;
  frame[at + 9] = protocol;
  frame.set(src, at + 12);
  frame.set(dst, at + 16);
  view.setUint16(at + 10, checksum16(frame, at, at + 20));
}

function vxlanTcpFrame(frame: Uint8Array, view: DataView, at: number, flow: Flow, flags: number, seq: number, ack: number, payload: Uint8Array, reply: boolean): number {
  const innerLength = 14 + 20 + 20 + payload.length;
  const mac = (where: number, last: number): void => frame.set([0x02, 0x42, 0x0a, 0x4a, 0x6b, last], at + where);
  mac(0, reply ? 0x3f : 0x3e);
  mac(6, reply ? 0x3e : 0x3f);
  view.setUint16(at + 12, 0x0800);
  // outer IPv4
  ipv4Header(frame, view, at + 14, 20 + 8 + 8 + innerLength, 64, 17, reply ? flow.outerDst : flow.outerSrc, reply ? flow.outerSrc : flow.outerDst);
  // UDP to 8472 (Linux/Flannel VXLAN), source port from the inner flow hash as the kernel does
  view.setUint16(at + 34, 32768 + ((flow.sport * 7) & 0x3fff));
  view.setUint16(at + 36, 8472);
  view.setUint16(at + 38, 8 + 8 + innerLength);
  // VXLAN
  frame[at + 42] = 0x08;
  view.setUint32(at + 46, flow.vni << 8);
  // inner Ethernet
  mac(50, reply ? 0x12 : 0x11);
  mac(56, reply ? 0x11 : 0x12);
  view.setUint16(at + 62, 0x0800);
  // inner IPv4: its total length counts from the IP header (the inner Ethernet header is not in it)
  ipv4Header(frame, view, at + 64, innerLength - 14, 63, 6, reply ? flow.innerDst : flow.innerSrc, reply ? flow.innerSrc : flow.innerDst);
  // TCP
  view.setUint16(at + 84, reply ? 80 : flow.sport);
  view.setUint16(at + 86, reply ? flow.sport : 80);
  view.setUint32(at + 88, seq >>> 0);
  view.setUint32(at + 92, ack >>> 0);
  frame[at + 96] = 0x50;
  frame[at + 97] = flags;
  view.setUint16(at + 98, 502);
  frame.set(payload, at + 104);
  return 14 + 20 + 8 + 8 + innerLength;
}

const GET = new TextEncoder().encode('GET /api/items HTTP/1.1\r\nHost: 192.168.2.12\r\nUser-Agent: curl/7.64.1\r\nAccept: */*\r\n\r\n');
const DATA = new Uint8Array(600).fill(0x61);
const NONE = new Uint8Array(0);

/** Writes `packets` records cycling over 16 flows (SYN, SYN-ACK, ACK, HTTP GET, data, ACK, FIN, FIN). */
export function writeCapture(path: string, packets: number): { bytes: number } {
  const writer = new PcapWriter(path, 37);
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
  for (let n = 0; n < packets; n++) {
    const flow = flows[n % flows.length] as Flow;
    const step = Math.floor(n / flows.length) % 8;
    const round = Math.floor(n / (flows.length * 8));
    const c = flow.isn + round * 1000;
    const s = 7_000_000 + round * 5000;
    writer.record(104 + DATA.length, (out, view, at) => {
      if (step === 0) return vxlanTcpFrame(out, view, at, flow, 0x02, c, 0, NONE, false);
      if (step === 1) return vxlanTcpFrame(out, view, at, flow, 0x12, s, c + 1, NONE, true);
      if (step === 2) return vxlanTcpFrame(out, view, at, flow, 0x10, c + 1, s + 1, NONE, false);
      if (step === 3) return vxlanTcpFrame(out, view, at, flow, 0x18, c + 1, s + 1, GET, false);
      if (step === 4) return vxlanTcpFrame(out, view, at, flow, 0x18, s + 1, c + 1 + GET.length, DATA, true);
      if (step === 5) return vxlanTcpFrame(out, view, at, flow, 0x10, c + 1 + GET.length, s + 601, NONE, false);
      if (step === 6) return vxlanTcpFrame(out, view, at, flow, 0x11, c + 1 + GET.length, s + 601, NONE, false);
      return vxlanTcpFrame(out, view, at, flow, 0x11, s + 601, c + 2 + GET.length, NONE, true);
    });
  }
  return writer.close();
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

/** A command run by bash (for a pipe); Measure as timed() gives it, status of the pipeline's first command. */
function timedShell(name: string, script: string): Measure {
  return timed(name, ['bash', '-c', `set -o pipefail; ${script}`]);
}

const seconds = (m: Measure): string => `${m.seconds.toFixed(2)} s`;
const megabytes = (m: Measure): string => `${m.rssMb.toFixed(0)} MB`;

/** One aim row: `what | podpath … | peer … | ratio | aim`. Per-packet rates when the packet counts differ. */
function aimRow(what: string, ours: Measure, oursPackets: number, peer: Measure | undefined, peerPackets: number, aim: number): string {
  const head = `${what.padEnd(34)} | podpath ${seconds(ours)} (CPU ${ours.cpu.toFixed(2)} s) ${megabytes(ours)}${ours.ok ? '' : ' ' + ours.note}`;
  if (!peer) return `${head} | peer not installed | - | aim >= ${aim}x`;
  const perPacket = (m: Measure, n: number, by: 'seconds' | 'cpu'): number => m[by] / n;
  const wall = perPacket(peer, peerPackets, 'seconds') / perPacket(ours, oursPackets, 'seconds');
  const cpu = perPacket(peer, peerPackets, 'cpu') / perPacket(ours, oursPackets, 'cpu');
  const scaled = peerPackets === oursPackets ? '' : ` on ${peerPackets.toLocaleString('en')} packets, per packet`;
  return `${head} | ${peer.name} ${seconds(peer)} (CPU ${peer.cpu.toFixed(2)} s)${scaled} | ${wall.toFixed(1)}x faster (CPU ${cpu.toFixed(1)}x) | aim >= ${aim}x${wall >= aim ? ' met' : ' NOT met'}`;
}

export async function run(_args: string[]): Promise<void> {
  const packets = Number(process.env['PODPATH_BENCH_PACKETS'] ?? 1_000_000);
  // tshark -T json takes ~200 µs a packet: it reads a prefix of the same capture, and the rows compare per packet.
  const tsharkPackets = Math.min(packets, Number(process.env['PODPATH_BENCH_TSHARK_PACKETS'] ?? 100_000));
  const dir = mkdtempSync(join(tmpdir(), 'podpath-bench-decode-'));
  const file = join(dir, 'vxlan.pcap');
  const prefix = join(dir, 'vxlan-prefix.pcap');
  try {
    const started = Date.now();
    const { bytes } = writeCapture(file, packets);
    writeCapture(prefix, tsharkPackets); // the same generator: the first packets of `file`
    const mb = bytes / 1e6;
    console.log(`capture: ${packets.toLocaleString('en')} packets, ${mb.toFixed(1)} MB (VXLAN 8472, 16 TCP/HTTP flows), written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Run as the installed command runs: through its shebang (and the node flags it sets).
    const podpath = [join(repoRoot, 'bin/podpath.js'), 'decode'];
    const loadBefore = loadavg().map((l) => l.toFixed(1)).join(' ');
    const results: Measure[] = [];
    results.push(timed('podpath --version (start-up)', [join(repoRoot, 'bin/podpath.js'), '--version']));
    results.push(timed('cat', ['cat', file]));
    results.push(timed('bare Node read loop', [process.execPath, '-e', BARE_LOOP, file]));
    results.push(timed('pcap-parser (count only)', [process.execPath, '-e', PCAP_PARSER, file]));
    results.push(timed('podpath decode --summary', [...podpath, '--summary', file]));
    const lines = timed('podpath decode (lines)', [...podpath, file]);
    results.push(lines);
    const json = timed('podpath decode --json', [...podpath, '--json', file]);
    results.push(json);
    const filter = 'tcp.flags.syn == 1 && ip.src == 192.168.1.7';
    const jsonFiltered = timed('podpath decode --json -Y', [...podpath, '--json', '-Y', filter, file]);
    results.push(jsonFiltered);
    const jsonCount = timed(`podpath decode --json -c ${tsharkPackets}`, [...podpath, '--json', '-c', String(tsharkPackets), file]);
    results.push(jsonCount);
    const jsonHead = timedShell('podpath decode --json | head -1', `${podpath.join(' ')} --json ${file} | head -1 >/dev/null`);
    results.push(jsonHead);
    let tcpdump: Measure | undefined;
    let tcpdumpUtc: Measure | undefined;
    if (have('tcpdump')) {
      tcpdump = timed('tcpdump -nn -r', ['tcpdump', '-nn', '-r', file]);
      // tcpdump prints local time, and glibc re-reads /etc/localtime for every packet when TZ
      // is unset (a stat call per packet: most of tcpdump's system time). TZ=UTC is its best case.
      tcpdumpUtc = timed('TZ=UTC tcpdump -nn -r', ['env', 'TZ=UTC', 'tcpdump', '-nn', '-r', file]);
      results.push(tcpdump, tcpdumpUtc);
    }
    let tsharkJson: Measure | undefined;
    let tsharkFiltered: Measure | undefined;
    if (have('tshark')) {
      const tshark = ['tshark', '-n', '-d', 'udp.port==8472,vxlan'];
      results.push(timed('tshark -T fields', [...tshark, '-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'vxlan.vni', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.flags']));
      tsharkJson = timed('tshark -T json', [...tshark, '-r', prefix, '-T', 'json']);
      tsharkFiltered = timed('tshark -T json -Y', [...tshark, '-r', prefix, '-T', 'json', '-Y', filter]);
      results.push(tsharkJson, tsharkFiltered);
    }
    console.log('');
    console.log(`load average before the runs: ${loadBefore} (2 shared cores: wall times move with the neighbours' load; CPU times less)`);
    console.log(`${'run'.padEnd(34)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(8)} ${'peak RSS MB'.padStart(12)}`);
    for (const r of results) {
      console.log(`${r.name.padEnd(34)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpu.toFixed(2).padStart(8)} ${r.rssMb.toFixed(0).padStart(12)}${r.ok ? '' : '  ' + r.note}`);
    }
    const by = (name: string): Measure | undefined => results.find((r) => r.name === name);
    const summary = by('podpath decode --summary');
    const tsharkFields = by('tshark -T fields');
    const bare = by('bare Node read loop');
    const n = (count: number): string => (count >= 1e6 ? `${count / 1e6}M` : `${count / 1e3}k`);
    console.log('');
    console.log('aims (issue 17), podpath beside its peer in this run:');
    console.log(aimRow(`decode text ${n(packets)} VXLAN`, lines, packets, tcpdump, packets, 2));
    console.log(aimRow(`decode text ${n(packets)} VXLAN (peer TZ=UTC)`, lines, packets, tcpdumpUtc, packets, 2));
    console.log(aimRow(`decode --json ${n(packets)} VXLAN`, json, packets, tsharkJson, tsharkPackets, 30));
    console.log(aimRow(`decode --json -c ${n(tsharkPackets)}`, jsonCount, tsharkPackets, tsharkJson, tsharkPackets, 30));
    console.log(aimRow('decode --json -Y (SYNs of one flow)', jsonFiltered, packets, tsharkFiltered, tsharkPackets, 30));
    console.log(`${'decode --json | head -1'.padEnd(34)} | podpath ${seconds(jsonHead)} ${megabytes(jsonHead)}, ${jsonHead.ok ? 'exit 0, nothing on stderr' : jsonHead.note} | aim: ends at once, quietly`);
    const podpathRuns = results.filter((r) => r.name.startsWith('podpath decode'));
    const peak = Math.max(...podpathRuns.map((r) => r.rssMb));
    console.log(`podpath decode peak RSS over every run above: ${peak.toFixed(0)} MB on a ${mb.toFixed(0)} MB capture (aim <= 100 MB${peak <= 100 ? ' met' : ' NOT met'})`);
    console.log('');
    const ratio = (a: Measure, b: Measure): string => `${(a.seconds / b.seconds).toFixed(1)}x by wall time, ${(a.cpu / b.cpu).toFixed(1)}x by CPU time`;
    if (summary && tsharkFields) console.log(`--summary vs tshark -T fields: ${ratio(tsharkFields, summary)} (aim >= 100x)`);
    if (summary && bare) console.log(`--summary vs bare read loop: ${ratio(summary, bare)} the loop's time (aim <= 3x)`);
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}
