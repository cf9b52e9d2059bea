// The explainer streams (issue 11): what it keeps of a capture while reading it is a few
// packets per flow, per tunnel and per sign of trouble, plus counts, so it does not grow with
// the number of packets. Counted here as objects reachable from what each reading part keeps,
// for the same 64 connections ten times longer (bench/explain-capture.ts). Memory itself is
// measured by `npm run bench explain`, not asserted here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeExplainCapture } from '../../bench/explain-capture.ts';
import { captureIterable } from '../../src/explain/files.ts';
import { packetFacts } from '../../src/explain/facts.ts';
import { FlowGrouper } from '../../src/explain/flows.ts';
import { FrameEvidence } from '../../src/explain/placement/evidence.ts';
import { emptyTopology } from '../../src/explain/explain.ts';
import { PacketTroubles } from '../../src/explain/trouble.ts';
import { TunnelTally } from '../../src/explain/tunnels.ts';

const dir = mkdtempSync(join(tmpdir(), 'podpath-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Objects reachable from `root` (an array is one object: its numbers are not objects). */
function reachable(root: unknown): number {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (v instanceof Set) for (const x of v) stack.push(x);
    else if (ArrayBuffer.isView(v)) continue;
    else for (const x of Object.values(v)) stack.push(x);
  }
  return seen.size;
}

async function kept(packets: number): Promise<{ objects: number; packets: number; flows: number }> {
  const file = join(dir, `c${packets}.pcap`);
  writeExplainCapture(file, packets);
  const grouper = new FlowGrouper(0);
  const frames = new FrameEvidence();
  const troubles = new PacketTroubles(emptyTopology());
  const tunnels = new TunnelTally();
  let read = 0;
  for await (const packet of captureIterable(file, {}).packets) {
    const p = packetFacts(packet, 0);
    read++;
    frames.add(p);
    troubles.add(p);
    tunnels.add(p, grouper.add(p));
  }
  const grouping = grouper.finish();
  // The timed frames placement keeps for tie-breaking are bounded apart (MAX_TIMED): left out here.
  const { timed: _timed, ...counted } = frames;
  return { objects: reachable({ grouping, counted, troubles, tunnels }), packets: read, flows: grouping.flows.length };
}

describe('explain keeps no more of a capture for more packets', () => {
  it('the same 64 connections, 6,400 or 64,000 packets: as many objects kept', async () => {
    const short = await kept(6_400);
    const long = await kept(64_000);
    expect(short.packets).toBe(6_400);
    expect(long.packets).toBe(64_000);
    expect(long.flows).toBe(64);
    expect(short.flows).toBe(64);
    expect(long.objects).toBe(short.objects);
  });
});
