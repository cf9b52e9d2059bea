// The one collection between reading dumps and building on them (src/util/collect-garbage.ts):
// made only where node exposes gc (bin/podpath.js's --expose-gc) and the heap is big enough.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectGarbageIfLarge } from '../../src/util/collect-garbage.ts';

const global = globalThis as { gc?: () => void };
const exposed = global.gc;
afterEach(() => {
  if (exposed === undefined) delete global.gc;
  else global.gc = exposed;
});

describe('collectGarbageIfLarge', () => {
  it('collects when gc is exposed and the heap is past the threshold', () => {
    global.gc = vi.fn();
    collectGarbageIfLarge(0);
    expect(global.gc).toHaveBeenCalledTimes(1);
  });

  it('leaves a heap below the threshold alone', () => {
    global.gc = vi.fn();
    collectGarbageIfLarge(Number.MAX_SAFE_INTEGER);
    expect(global.gc).not.toHaveBeenCalled();
  });

  it('does nothing where gc is not exposed', () => {
    delete global.gc;
    expect(() => collectGarbageIfLarge(0)).not.toThrow();
  });

  it('podpath starts node with gc exposed (the shebang of both commands)', async () => {
    const { readFileSync } = await import('node:fs');
    for (const bin of ['bin/podpath.js', 'bin/kubectl-podpath.js']) {
      expect(readFileSync(bin, 'utf8').split('\n', 1)[0]).toMatch(/^#!\/usr\/bin\/env -S node .*--expose-gc/);
    }
  });
});
