// Runs tshark the way the filter oracle records it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/run.ts';
import { TSHARK_DECODE_AS } from './cases.ts';

export function tsharkVersion(): string {
  return execFileSync('tshark', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
}

export function tsharkFrames(capture: string, filter: string): { command: string; frames: number[] } {
  const args = ['-n', '-r', capture, ...TSHARK_DECODE_AS, '-Y', filter, '-T', 'fields', '-e', 'frame.number'];
  const out = execFileSync('tshark', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return { command: `tshark ${args.map((a) => (/[\s"&|!(){}<>]/.test(a) ? `'${a}'` : a)).join(' ')}`, frames: out.split('\n').filter(Boolean).map(Number) };
}

export const captureFile = (capture: string): string => join(repoRoot, capture);
