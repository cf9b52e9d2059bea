// `decode -Y`: for every capture and display filter in filter-oracle/cases.ts, podpath shows
// exactly the frames tshark shows (recorded in filter-oracle/tshark.json by record.ts; with
// tshark installed a sample of the record is checked against tshark live). Then the CLI:
// -Y, -r, relative times under a filter, -c 0 and bad filters.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dissectPacket, layersOf } from '../../src/decode/dissect.ts';
import { Dissection } from '../../src/decode/dissection.ts';
import { compileDisplayFilter } from '../../src/decode/filter/compile.ts';
import { parseFilter } from '../../src/decode/filter/parse.ts';
import { scanCapture } from '../../src/decode/read/stream.ts';
import { portTable } from '../../src/decode/registry.ts';
import { UsageError } from '../../src/errors.ts';
import { describeNeeding } from '../helpers/requires.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';
import { tsharkFrames } from './filter-oracle/tshark.ts';

interface OracleCase {
  capture: string;
  filter: string;
  command: string;
  frames: number[];
}
const oracle = JSON.parse(readFileSync(join(repoRoot, 'test/decode/filter-oracle/tshark.json'), 'utf8')) as { tshark: string; cases: OracleCase[] };

async function podpathFrames(capture: string, filter: string): Promise<number[]> {
  const predicate = compileDisplayFilter(filter);
  const d = new Dissection();
  const table = portTable({ vxlanPorts: [] });
  const frames: number[] = [];
  await scanCapture(join(repoRoot, capture), { name: capture }, (packet) => {
    dissectPacket(d, packet, table);
    if (predicate(d, packet)) frames.push(packet.frame);
    return true;
  });
  return frames;
}

describe(`decode -Y shows the frames tshark shows (${oracle.tshark})`, () => {
  const byCapture = new Map<string, OracleCase[]>();
  for (const c of oracle.cases) byCapture.set(c.capture, [...(byCapture.get(c.capture) ?? []), c]);
  for (const [capture, cases] of byCapture) {
    it(capture, async () => {
      for (const c of cases) expect(await podpathFrames(c.capture, c.filter), c.command).toEqual(c.frames);
    });
  }
  it('the record is not trivial: most filters select some frames and leave out others somewhere', () => {
    const filters = new Set(oracle.cases.map((c) => c.filter));
    for (const filter of filters) {
      const cases = oracle.cases.filter((c) => c.filter === filter);
      expect(cases.some((c) => c.frames.length > 0) || filter.includes('geneve.vni') || filter.includes('http'), filter).toBe(true);
    }
  });
});

describeNeeding(['tshark'], 'the recorded tshark answers are current', () => {
  it('every 20th case, run again with the tshark installed here', () => {
    for (const c of oracle.cases.filter((_, i) => i % 20 === 0)) {
      expect(tsharkFrames(c.capture, c.filter).frames, `${c.command} (re-record with node bin/run-ts.js test/decode/filter-oracle/record.ts)`).toEqual(c.frames);
    }
  }, 120_000);
});

describe('the filter language', () => {
  it('binds not tighter than and, and and tighter than or, as Wireshark', () => {
    expect(parseFilter('tcp or udp and not icmp')).toEqual({
      kind: 'or',
      left: { kind: 'exists', field: 'tcp' },
      right: { kind: 'and', left: { kind: 'exists', field: 'udp' }, right: { kind: 'not', operand: { kind: 'exists', field: 'icmp' } } },
    });
  });
  it.each([
    ['foo.bar == 1', /"foo\.bar" is not a field podpath knows; known fields: .*ip\.addr.*vxlan\.vni/],
    ['ip.addr == 10.0.0.300', /ip\.addr wants an IPv4 address or prefix/],
    ['tcp.port == http', /tcp\.port wants a number, not "http"/],
    ['ip.addr ==', /expected a value at column 11/],
    ['(tcp', /expected "\)"/],
    ['tcp.flags.syn == 2', /tcp\.flags\.syn is a flag/],
    ['ip.src > 10.0.0.1', /ip\.src cannot be compared with >/],
    ['tcp == 1', /tcp is a protocol/],
    ['', /an empty filter/],
    ['tcp.port in {80 443}', /expected "," or "}" in the set/],
  ])('refuses %j with one clear line', (filter, message) => {
    expect(() => compileDisplayFilter(filter)).toThrow(UsageError);
    expect(() => compileDisplayFilter(filter)).toThrow(message);
  });
});

describe('decode through the CLI, with tshark habits', () => {
  const capture = 'test/corpus/vxlan/tcpdump_vxlan.pcap';
  const icmp = oracle.cases.find((c) => c.capture === capture && c.filter === 'ip.addr == 192.168.203.5 && icmp')!;
  it('-r FILE -Y FILTER prints the frames tshark shows, at the capture\'s own relative times', async () => {
    const run = await runPodpath(['decode', '-r', capture, '-Y', icmp.filter]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual(icmp.frames);
    // tshark -Y keeps frame.time_relative from the first packet of the file (frame 4 at 0.088897 here).
    const times = readFileSync(join(repoRoot, 'test/corpus/CHECKS.txt'), 'utf8');
    expect(times).toContain('0.088897');
    expect(lines[1]).toMatch(/^\s+4\s+0\.088897 /);
  });
  it('-c 0 is refused as tshark refuses it, and a bad filter is one line with exit 2', async () => {
    const zero = await runPodpath(['decode', capture, '-c', '0']);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toMatch(/^podpath: -c 0: the packet count is zero/);
    const bad = await runPodpath(['decode', capture, '-Y', 'ip.adr == 1.2.3.4']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stdout).toBe('');
  });
  it('a capture given twice, or not at all, is a usage error', async () => {
    expect((await runPodpath(['decode', '-r', capture, 'other.pcap'])).status).toBe(2);
    const none = await runPodpath(['decode']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/decode needs a capture/);
  });
});
