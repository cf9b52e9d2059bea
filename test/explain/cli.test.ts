// `podpath explain` end to end on corpus captures and bad input: one line on stderr,
// the right exit status, no stack trace; expected values from tshark.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPodpath } from '../helpers/run.ts';
import { tsharkFields } from './tshark.ts';
import { corpusDir } from '../helpers/shared.ts';

const CORPUS = `${corpusDir}`;
const tmp = mkdtempSync(join(tmpdir(), 'podpath-explain-'));

describe('podpath explain (CLI)', () => {
  it('explains a Flannel-port VXLAN capture without dumps: tunnel VNI and port from tshark', async () => {
    const file = `${CORPUS}/vxlan/tcpdump_vxlan_port_8472.pcap`;
    const rows = tsharkFields(file, ['vxlan.vni', 'udp.dstport', 'ip.src', 'ip.dst'], ['-d', 'udp.port==8472,vxlan', '-c', '1']);
    const [vni, dport, outerSrc, outerDst] = rows[0]!;
    const result = await runPodpath(['explain', file]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const ips = (outerSrc ?? '').split(',');
    const dsts = (outerDst ?? '').split(',');
    expect(result.stdout).toContain(`VXLAN VNI ${vni} from ${ips[0]} to ${dsts[0]} on ${dport?.split(',')[0]}`);
  });

  it('--json has one connection per tshark TCP stream plus the inner UDP ones, and names the HTTP exchange', async () => {
    const file = `${CORPUS}/vxlan/zeek_vxlan-encapsulated-http.pcap`;
    const result = await runPodpath(['explain', '--json', file]);
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout) as { connections: { proto: string; http: { request: string; status?: number }[] }[]; faultFound: boolean };
    const requests = tsharkFields(file, ['http.request.method', 'http.request.uri'], ['-Y', 'http.request']);
    expect(json.connections.filter((c) => c.proto === 'tcp')).toHaveLength(1);
    expect(json.connections[0]!.http.map((h) => h.request)).toEqual(requests.map((r) => `${r[0]} ${r[1]}`));
    expect(json.faultFound).toBe(false);
  });

  it('--vxlan-port before the paths decodes that port as VXLAN (tshark -d gives the VNI)', async () => {
    const file = `${CORPUS}/vxlan/deepflow_ff-vxlan-k8s-pod-http.pcap`;
    const [vni] = tsharkFields(file, ['vxlan.vni'], ['-d', 'udp.port==58678,vxlan'])[0]!;
    const result = await runPodpath(['explain', '--vxlan-port', '58678', file]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`VXLAN VNI ${vni} from`);
    expect(result.stdout).toContain('on 58678');
  });

  it('rejects a call without a capture with status 2 and one line', async () => {
    const text = join(tmp, 'notes.txt');
    writeFileSync(text, 'just some text\n');
    const result = await runPodpath(['explain', text]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/no capture/);
  });

  it('rejects a bad --vxlan-port with status 2', async () => {
    const result = await runPodpath(['explain', `${CORPUS}/vxlan/tcpdump_vxlan.pcap`, '--vxlan-port', '70000']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('podpath: --vxlan-port 70000: expected a port between 1 and 65535\n');
  });

  it('rejects an --at that is not FILE=NODE:INTERFACE, or names no given capture, with status 2', async () => {
    const file = `${CORPUS}/vxlan/tcpdump_vxlan.pcap`;
    const bad = await runPodpath(['explain', file, '--at', 'worker-1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--at: 'worker-1' is not FILE=NODE:INTERFACE/);
    const other = await runPodpath(['explain', file, '--at', 'other.pcap=worker-1:eth0']);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/not one of the captures/);
  });

  it('explains the packets before damage in a truncated capture and says where it broke', async () => {
    const source = readFileSync(`${CORPUS}/vxlan/zeek_vxlan-encapsulated-http.pcap`);
    const cut = join(tmp, 'cut.pcap');
    writeFileSync(cut, source.subarray(0, source.length - 100));
    const total = tsharkFields(`${CORPUS}/vxlan/zeek_vxlan-encapsulated-http.pcap`, ['frame.number']).length;
    const result = await runPodpath(['explain', '--json', cut]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const json = JSON.parse(result.stdout) as { captures: { packets: number; errors: string[] }[] };
    expect(json.captures[0]!.packets).toBe(total - 1);
    expect(json.captures[0]!.errors.join(' ')).toMatch(/byte \d+/);
  });

  it('a truncated capture that still has packets: exit by its findings (never 2), one warning line naming the file and the cut record\'s offset', async () => {
    const source = readFileSync(`${CORPUS}/vxlan/zeek_vxlan-encapsulated-http.pcap`);
    const cut = join(tmp, 'cut-warn.pcap');
    const kept = source.subarray(0, source.length - 100);
    writeFileSync(cut, kept);
    // The offset of the record the cut falls in, by the pcap format (24-byte file header, 16-byte record headers with incl_len at +8, little-endian here).
    expect(source.readUInt32LE(0)).toBe(0xa1b2c3d4);
    let at = 24;
    let records = 0;
    while (at + 16 <= kept.length && at + 16 + kept.readUInt32LE(at + 8) <= kept.length) {
      at += 16 + kept.readUInt32LE(at + 8);
      records++;
    }
    const result = await runPodpath(['explain', '--json', cut]);
    expect(result.status).not.toBe(2);
    expect(result.status).not.toBe(70);
    const json = JSON.parse(result.stdout) as { captures: { packets: number }[]; faultFound: boolean };
    expect(result.status).toBe(json.faultFound ? 1 : 0);
    expect(json.captures[0]!.packets).toBe(records);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('cut-warn.pcap');
    expect(lines[0]).toContain(`byte ${at}:`);
    expect(lines[0]).toContain(`the ${records} packets before it are explained`);
  });

  it('a SYN the capture ends right after is not "never answered": the capture ended before an answer could be seen (no fault)', async () => {
    const source = readFileSync(`${CORPUS}/vxlan/zeek_vxlan-encapsulated-http.pcap`);
    // Keep the file header and the first record only: tshark reads that frame as the inner SYN.
    const first = 24 + 16 + source.readUInt32LE(24 + 8);
    const [flags] = tsharkFields(`${CORPUS}/vxlan/zeek_vxlan-encapsulated-http.pcap`, ['tcp.flags'], ['-c', '1'])[0]!;
    expect(flags).toBe('0x0002');
    const cut = join(tmp, 'syn-at-end.pcap');
    writeFileSync(cut, source.subarray(0, first));
    const result = await runPodpath(['explain', '--json', cut]);
    expect(result.stderr).toBe('');
    const json = JSON.parse(result.stdout) as { troubles: { kind: string; text: string }[]; faultFound: boolean };
    expect(json.troubles.map((t) => t.kind)).not.toContain('syn-unanswered');
    const trouble = json.troubles.find((t) => t.kind === 'syn-at-capture-end');
    expect(trouble?.text).toMatch(/the capture ended before an answer .* could be seen/);
    expect(json.faultFound).toBe(false);
    expect(result.status).toBe(0);
    const text = await runPodpath(['explain', cut]);
    expect(text.stdout).not.toMatch(/never answered/);
  });

  it('a capture that is not a capture at all (a pcap magic then garbage) fails with one line and status 2 (unusable input)', async () => {
    const bad = join(tmp, 'bad.pcap');
    writeFileSync(bad, Buffer.concat([Buffer.from('d4c3b2a1', 'hex'), Buffer.from('garbage garbage garbage')]));
    const result = await runPodpath(['explain', bad]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('bad.pcap');
  });

  it('escapes terminal control sequences that a capture carries (HTTP host)', async () => {
    // Build a one-packet pcap with an HTTP request whose Host holds ESC [2J, by patching a real capture.
    const source = readFileSync(`${CORPUS}/vxlan/deepflow_ff-vxlan-k8s-pod-http.pcap`);
    const at = source.indexOf(Buffer.from('Host: '));
    expect(at).toBeGreaterThan(0);
    const patched = Buffer.from(source);
    patched[at + 6] = 0x1b;
    const file = join(tmp, 'escape.pcap');
    writeFileSync(file, patched);
    const result = await runPodpath(['explain', file, '--vxlan-port', '58678']);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toContain('\\e');
    const json = await runPodpath(['explain', '--json', file, '--vxlan-port', '58678']);
    expect(json.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const parsed = JSON.parse(json.stdout) as { connections: { http: { host?: string }[] }[] };
    expect(parsed.connections[0]!.http[0]!.host!.charCodeAt(0)).toBe(0x1b);
  });
});
