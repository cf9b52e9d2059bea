// Packet size against the MTU. Expected values from the kernel's rules (ip_fragment cuts the
// payload in multiples of 8 bytes under the MTU minus the 20-byte header; RFC 791) and from what
// the lab's mtu-overlay recording saw (1444-byte first fragments on a 1450 MTU, 1396 on 1400).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSize, fragmentsFor } from '../../src/trace/mtu.ts';
import { parseIpRoute } from '../../src/topology/parse/ip-route.ts';
import { runPodpath } from '../helpers/run.ts';

describe('fragment sizes', () => {
  it('cuts 1500 bytes for a 1450 MTU into 1444 + the rest, and for 1400 into 1396 + the rest', () => {
    expect(fragmentsFor(1500, 1450)).toEqual({ first: 20 + 1424, count: 2 });
    expect(fragmentsFor(1500, 1400)).toEqual({ first: 20 + 1376, count: 2 });
    expect(fragmentsFor(4000, 1500)).toEqual({ first: 1500, count: 3 });
  });

  it('a DF packet above the MTU is too big, without DF it is fragmented, at or below it fits', () => {
    const limit = { mtu: 1450, said: 'flannel.1', assumed: false };
    const packet = { src: 'a', dst: 'b', proto: 'udp' as const };
    expect(checkSize({ ...packet, length: 1500, df: true }, 1500, limit)).toEqual({ kind: 'too-big' });
    expect(checkSize({ ...packet, length: 1500, df: false }, 1500, limit)).toEqual({ kind: 'fragment', first: 1444, count: 2 });
    expect(checkSize({ ...packet, length: 1450, df: true }, 1450, limit)).toEqual({ kind: 'fits' });
    expect(checkSize(packet, undefined, limit)).toEqual({ kind: 'unsized' });
  });
});

describe('the route\'s mtu attribute', () => {
  it('reads `mtu 1400` and `mtu lock 1400` (iproute2 prints the lock before the value)', () => {
    const source = { file: 'ip-route.txt' };
    const { records, warnings } = parseIpRoute('192.168.2.13 via 192.168.2.0 dev flannel.1 onlink mtu 1400\n10.0.0.0/8 via 10.1.1.1 dev eth0 mtu lock 1300\n', source);
    expect(warnings).toEqual([]);
    expect(records.map((r) => r.mtu)).toEqual([1400, 1300]);
  });
});

describe('podpath trace --size / --df', () => {
  it('refuses --size on TCP (the first packet is the SYN), a size out of range, and --no-df without a size (exit 2)', async () => {
    const tcp = await runPodpath(['trace', 'samples/seed-flannel', '--from', 'pod1', '--to', '192.168.2.12:80', '--size', '1500']);
    expect(tcp.status).toBe(2);
    expect(tcp.stderr).toContain('--size 1500: the first packet of a tcp connection is its handshake');
    const small = await runPodpath(['trace', 'samples/seed-flannel', '--from', 'pod1', '--to', '192.168.2.12:53/udp', '--size', '12']);
    expect(small.status).toBe(2);
    expect(small.stderr).toContain('between 28 and 65535');
    const df = await runPodpath(['trace', 'samples/seed-flannel', '--from', 'pod1', '--to', '192.168.2.12:53/udp', '--no-df']);
    expect(df.status).toBe(2);
    expect(df.stderr).toContain('--no-df: give the packet\'s size with --size BYTES');
  });
});

// The lab's mtu-overlay record: the ICMP answer's source and next-hop MTU come from tshark on the
// client's own capture (expected.json `answer`), never from podpath.
describe('podpath ui / trace with --size on the mtu-overlay sample', () => {
  const expected = JSON.parse(readFileSync('samples/mtu-overlay/expected.json', 'utf8')) as { connections: { id: string; answer?: { src: string; mtu?: number } }[] };
  const refused = expected.connections.find((c) => c.id === 'pod1-udp-1500-df')!;

  it('ui off a terminal prints the sized first packet, the ending and the ICMP answer the client gets', async () => {
    const run = await runPodpath(['ui', 'samples/mtu-overlay', '--from', 'pod1', '--to', '192.168.2.12:5005/udp', '--size', '1500', '--df']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('first packet: 192.168.1.7 → 192.168.2.12:5005 udp 1500 bytes DF');
    expect(run.stdout).toContain('FRAGMENTATION-NEEDED');
    expect(run.stdout).toContain(`the client sees: icmp fragmentation needed (mtu ${refused.answer!.mtu})`);
    expect(run.stdout).toContain(`from ${refused.answer!.src}`);
  });

  it('--no-df: the same datagram leaves flannel.1 in fragments and is delivered (exit 0)', async () => {
    const run = await runPodpath(['trace', 'samples/mtu-overlay', '--from', 'pod1', '--to', '192.168.2.12:5005/udp', '--size', '1500', '--no-df', '-v']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('worker-1 flannel.1   192.168.1.7 → 192.168.2.12:5005 udp 1444 bytes (first of 2 fragments)');
  });
});
