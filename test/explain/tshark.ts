// tshark as the oracle for the explainer's tests: runs it on a capture (or replays its
// committed record, test/helpers/oracle.ts) and returns per-frame fields. For tunnelled
// frames tshark prints a field once per layer, comma-separated, outer first: `innermost`
// takes the last one.
import { oracle } from '../helpers/oracle.ts';
import { readCapture, decodePacket } from '../../src/decode/index.ts';
import type { DecodedPacket } from '../../src/decode/types.ts';

export function tsharkFields(file: string, fields: string[], extra: string[] = []): string[][] {
  const out = oracle('tshark', ['-r', file, '-n', ...extra, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])]);
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

export function innermost(value: string | undefined): string {
  const parts = (value ?? '').split(',');
  return parts[parts.length - 1] ?? '';
}

export async function decodeFile(file: string, vxlanPorts: number[] = []): Promise<DecodedPacket[]> {
  const packets: DecodedPacket[] = [];
  for await (const raw of readCapture(file)) packets.push(decodePacket(raw, { vxlanPorts }));
  return packets;
}
