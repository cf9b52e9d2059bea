// countText writes counts as toLocaleString('en') does (the reference here is Intl itself).
import { describe, expect, it } from 'vitest';
import { countText } from '../../src/ui/format.ts';

describe('countText', () => {
  it.each([0, 7, 52, 999, 1000, 1001, 52_000, 104_000, 999_999, 1_000_000, 1_234_567, 2 ** 40, Number.MAX_SAFE_INTEGER, 12.5, -3])('%d as en-US groups it', (n) => {
    expect(countText(n)).toBe(n.toLocaleString('en'));
  });
});
