// The UI's long reads hand the event loop back and report progress through src/ui/pace.ts.
// Behaviour only (no timings asserted): a slice of 0 ms is always used up, a report is due
// once and then not again within its interval, and handBack lets queued work run first.
import { describe, expect, it } from 'vitest';
import { pacer } from '../../src/ui/pace.ts';

describe('pacer', () => {
  it('says a slice is used once its time has run, and not before', () => {
    expect(pacer(0).sliceUsed()).toBe(true);
    expect(pacer(60_000).sliceUsed()).toBe(false);
  });

  it('allows one report per interval, the first at once', () => {
    const pace = pacer(8, 60_000);
    expect(pace.reportDue()).toBe(true);
    expect(pace.reportDue()).toBe(false);
    const always = pacer(8, 0);
    expect([always.reportDue(), always.reportDue()]).toEqual([true, true]);
  });

  it('hands the event loop back: work queued before handBack runs before it resolves, and the slice starts again', async () => {
    const pace = pacer(60_000);
    const order: string[] = [];
    setImmediate(() => order.push('queued'));
    await pace.handBack();
    order.push('after');
    expect(order).toEqual(['queued', 'after']);
    expect(pace.sliceUsed()).toBe(false);
  });
});
