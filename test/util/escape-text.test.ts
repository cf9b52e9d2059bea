// Untrusted text never reaches the terminal raw: C0, DEL, C1 (U+009B is CSI) and the
// bidirectional controls (CVE-2021-42574's U+202E override, the U+2066–2069 isolates,
// LRM/RLM, ALM) are shown as visible escapes in every text output and error line, and as
// \uXXXX in every --json, while the JSON still parses back to the same strings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeText } from '../../src/util/escape-text.ts';
import { jsonText } from '../../src/util/json-output.ts';
import { buildPcapng } from '../explain/pcapng.ts';
import { repoRoot, runPodpath } from '../helpers/run.ts';

/** Every character that must never be printed raw. */
const HOSTILE = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009b', '\u061c', '\u200e', '\u200f', '\u2028', '\u2029', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('escapeText', () => {
  it.each(HOSTILE.map((c) => [c.charCodeAt(0).toString(16), c]))('escapes U+%s', (_, c) => {
    const out = escapeText(`a${c}b`);
    expect(out).not.toMatch(RAW);
    expect(out.startsWith('a\\') && out.endsWith('b')).toBe(true);
  });

  it('keeps line breaks only when asked, and leaves other text as it is', () => {
    expect(escapeText('a\nb\tc')).toBe('a\\nb\\tc');
    expect(escapeText('a\nb\tc\u202e', { keepLineBreaks: true })).toBe('a\nb\tc\\u202e');
    expect(escapeText('pod → web:80 ✓ é')).toBe('pod → web:80 ✓ é');
    expect(escapeText('\u001b[31m')).toBe('\\e[31m');
    expect(escapeText('\u009b31m')).toBe('\\x9b31m');
  });
});

describe('jsonText', () => {
  it('escapes DEL, C1 and bidi controls as \\uXXXX and parses back to the same value', () => {
    const value = { name: `x${HOSTILE.join('')}y`, list: ['\u202e', 1] };
    const json = jsonText(value);
    expect(json).not.toMatch(RAW);
    expect(json).toContain('\\u202e');
    expect(json).toContain('\\u009b');
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe.concurrent('through the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-escape-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const evil = 'e\u202eth\u2066\u007f\u009b0';
  const addr = join(dir, 'addr.txt');
  writeFileSync(
    addr,
    `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n` +
      `2: ${evil}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether 00:50:56:82:51:0c brd ff:ff:ff:ff:ff:ff\n    inet 10.74.107.63/24 brd 10.74.107.255 scope global ${evil}\n`,
  );
  const route = join(dir, 'route.txt');
  writeFileSync(route, `default via 10.74.107.1 dev eth0\nbogus ${evil} here\n`);

  it('topology --json: DEL, C1 and bidi controls as \\uXXXX (it passed them raw)', async () => {
    const r = await runPodpath(['topology', addr, '--node', 'n1', '--json']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('e\\u202eth\\u2066\\u007f\\u009b0');
    const topology = JSON.parse(r.stdout) as { nodes: { netns: { interfaces: { name: string }[] } }[] };
    expect(topology.nodes[0]!.netns.interfaces.map((i) => i.name)).toContain(evil);
  });

  it('topology text: the warning quoting a line shows its controls escaped', async () => {
    const r = await runPodpath(['topology', route, '--node', 'n1']);
    expect(r.stdout).toContain('bogus e\\u202eth\\u2066\\x7f\\x9b0 here');
    expect(r.stdout + r.stderr).not.toMatch(RAW);
  });

  it('trace --json and an error line', async () => {
    const json = await runPodpath(['trace', addr, route, '--node', 'n1', '--from', 'n1', '--to', '10.74.107.9:80', '--json']);
    expect(json.stdout.length).toBeGreaterThan(0);
    expect(json.stdout + json.stderr).not.toMatch(RAW);
    const error = await runPodpath(['trace', addr, '--node', 'n1', '--from', `p${evil}`, '--to', '10.0.0.1:80']);
    expect(error.status).toBe(2);
    expect(error.stderr).toContain('pe\\u202eth\\u2066\\x7f\\x9b0');
    expect(error.stderr).not.toMatch(RAW);
  });

  it('decode -V and explain: a pcapng interface name (if_name) with controls', async () => {
    const capture = join(dir, 'evil.pcapng');
    writeFileSync(capture, buildPcapng([{ file: join(repoRoot, 'samples/seed-flannel/captures/pod1__eth0.pcap'), name: evil }, { file: join(repoRoot, 'samples/seed-flannel/captures/worker-1__cni0.pcap'), name: 'cni0' }]));
    const decode = await runPodpath(['decode', capture, '-V', '-c', '2']);
    expect(decode.status).toBe(0);
    expect(decode.stdout).toContain('e\\u202eth\\u2066\\x7f\\x9b0');
    expect(decode.stdout).not.toMatch(RAW);
    for (const args of [[], ['--json']]) {
      const explain = await runPodpath(['explain', capture, ...args]);
      expect(explain.stdout).toContain(args.length ? 'e\\u202eth\\u2066\\u007f\\u009b0' : 'e\\u202eth\\u2066\\x7f\\x9b0');
      expect(explain.stdout + explain.stderr).not.toMatch(RAW);
    }
  });
});
