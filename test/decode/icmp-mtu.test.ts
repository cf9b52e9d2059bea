// ICMP fragmentation needed (type 3 code 4) names the next-hop MTU in its second word (RFC 1191).
// The lab's mtu-overlay scenario recorded the kernel sending it (1450 for flannel.1, 1400 for the
// route with an mtu attribute); tshark's icmp.mtu is the expected value, frame by frame.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePacket, readCapture, type Layer } from '../../src/decode/index.ts';
import { oracle } from '../helpers/oracle.ts';
import { repoRoot } from '../helpers/run.ts';

const capture = join(repoRoot, 'samples', 'mtu-overlay', 'captures', 'pod1__eth0.pcap');

describe('ICMP next-hop MTU', () => {
  it('reads the MTU of every fragmentation-needed error as tshark does, and no MTU on other ICMP', async () => {
    const rows = oracle('tshark', ['-r', capture, '-Y', 'icmp', '-T', 'fields', '-e', 'frame.number', '-e', 'icmp.type', '-e', 'icmp.code', '-e', 'icmp.mtu'])
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    expect(rows.filter((r) => r[1] === '3' && r[2] === '4').length).toBeGreaterThan(0);
    const ours = new Map<number, Extract<Layer, { type: 'icmp' }>>();
    for await (const packet of readCapture(capture)) {
      const icmp = decodePacket(packet).layers.find((l): l is Extract<Layer, { type: 'icmp' }> => l.type === 'icmp' && !l.quoted);
      if (icmp) ours.set(packet.frame, icmp);
    }
    for (const [frame, type, code, mtu] of rows) {
      const layer = ours.get(Number(frame));
      expect(layer, `frame ${frame}`).toBeDefined();
      expect([layer!.icmpType, layer!.code], `frame ${frame}`).toEqual([Number(type), Number(code)]);
      expect(layer!.mtu, `frame ${frame}`).toBe(mtu ? Number(mtu) : undefined);
    }
  });
});
