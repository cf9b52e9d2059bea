// withoutFetch hides globalThis.fetch while the UI module loads (so Yoga decodes its
// WebAssembly itself instead of loading undici) and puts the same fetch back afterwards.
import { describe, expect, it } from 'vitest';
import { withoutFetch } from '../../src/ui/load-ink.ts';

describe('withoutFetch', () => {
  it('hides fetch during the load and restores the same function after', async () => {
    const before = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
    expect(typeof before?.value).toBe('function');
    const seen = await withoutFetch(async () => typeof globalThis.fetch);
    expect(seen).toBe('undefined');
    expect(Object.getOwnPropertyDescriptor(globalThis, 'fetch')).toEqual(before);
  });

  it('restores fetch when the load fails, and passes the failure on', async () => {
    const before = globalThis.fetch;
    await expect(withoutFetch(() => Promise.reject(new Error('no module')))).rejects.toThrow('no module');
    expect(globalThis.fetch).toBe(before);
  });
});
