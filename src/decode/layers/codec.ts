// The shape every layer module exports. `scan` is the allocation-free fast path:
// it checks the header, pushes one entry into the Dissection and names what comes
// next (by EtherType, IP protocol, UDP ports …; registry.ts resolves it). `describe`
// builds the public Layer object from the bytes when output needs it, and `detail`
// gives the -V section (title as Wireshark names it, then indented lines).
import type { Dissection } from '../dissection.ts';
import type { Layer } from '../types.ts';

export interface LayerCodec<L extends Layer = Layer> {
  kind: number;
  type: L['type'];
  scan(d: Dissection, offset: number, end: number): void;
  describe(d: Dissection, index: number): L;
  /** The layer as JSON text, written by hand: JSON.stringify on Node 20 was most of --json's time. */
  json(layer: L): string;
  /** The same JSON straight from the bytes, without the Layer object (hot layers only; fuzz.test.ts checks they agree). */
  jsonAt?(d: Dissection, index: number): string;
  detail(layer: L): { title: string; lines: string[] };
}

/** Layer fields common to every describe(). */
export function base(d: Dissection, index: number): { offset: number; length: number; quoted?: true } {
  const out: { offset: number; length: number; quoted?: true } = {
    offset: (d.offsets[index] as number) - d.base,
    length: d.lengths[index] as number,
  };
  if ((d.flags[index] as number) & 1) out.quoted = true;
  return out;
}

export function hex4(value: number): string {
  return '0x' + value.toString(16).padStart(4, '0');
}

/** baseJson() from the dissection. */
export function baseJsonAt(d: Dissection, index: number): string {
  return `"offset":${(d.offsets[index] as number) - d.base},"length":${d.lengths[index] as number}${(d.flags[index] as number) & 1 ? ',"quoted":true' : ''}`;
}

export function baseJson(layer: { offset: number; length: number; quoted?: true }): string {
  return `"offset":${layer.offset},"length":${layer.length}${layer.quoted ? ',"quoted":true' : ''}`;
}

// Capture text in the hand-written JSON lines: one home for JSON escaping (util/json-output.ts).
export { asciiJsonString as str } from '../../util/json-output.ts';
