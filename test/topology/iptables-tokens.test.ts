// The reader's two small hand-written pieces checked against their references: the tokenizer
// reusing one set of arrays line after line gives each line exactly the arguments a fresh
// tokenize gives (no argument left over from a longer line before it), and the counters reader
// agrees with the `[packets:bytes]` pattern it replaced, on any text.
import { fc, it as prop } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parseCounters } from '../../src/topology/parse/iptables/rule-lines.ts';
import { type LineTokens, tokenizeLine, WordCache } from '../../src/topology/parse/iptables/tokenize.ts';

const piece = fc.constantFrom('-A', 'KUBE-SVC-X', '-m', 'comment', '--comment', '"a b"', '"x\\"y"', '"open', '!', '10.0.0.1/32', ' ', '  ', '\t', '"', '\\');
const line = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(' '));

describe('tokenizeLine with reused arrays', () => {
  prop.prop([fc.array(line, { minLength: 1, maxLength: 8 })])('each line reads as it reads alone', (lines) => {
    const words = new WordCache();
    words.remember('-A');
    words.remember('comment');
    const into: LineTokens = { args: [], quoted: [], words, starts: [], ends: [] };
    for (const text of lines) {
      const fresh = tokenizeLine(text);
      const reused = tokenizeLine(text, 0, text.length, into);
      if ('error' in fresh) {
        expect(reused).toEqual(fresh);
        continue;
      }
      expect('error' in reused).toBe(false);
      const got = reused as LineTokens;
      expect(got.args).toEqual(fresh.args);
      expect(got.quoted).toEqual(fresh.quoted);
      expect(got.starts!.length).toBe(fresh.args.length);
      expect(got.ends!.length).toBe(fresh.args.length);
    }
  });
});

describe('parseCounters', () => {
  const COUNTERS = /^\[(\d+):(\d+)\]$/;
  const reference = (text: string) => {
    const match = COUNTERS.exec(text);
    return match ? { packets: Number(match[1]), bytes: Number(match[2]) } : undefined;
  };
  const counterish = fc.array(fc.constantFrom('[', ']', ':', '0', '7', '9', '1234567890123456789', 'x', ' ', '-', '٣'), { maxLength: 12 }).map((p) => p.join(''));
  prop.prop([fc.oneof(counterish, fc.string())])('agrees with /^\\[(\\d+):(\\d+)\\]$/', (text) => {
    expect(parseCounters(text)).toEqual(reference(text));
  });
});
