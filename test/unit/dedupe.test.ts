import { createDedupe } from '../../src/pipeline/dedupe';

describe('createDedupe', () => {
  it('remembers ids for the window, then forgets them', () => {
    let now = 1_000;
    const dedupe = createDedupe({ windowMs: 100, maxEntries: 10, now: () => now });
    expect(dedupe.seen('a')).toBe(false);
    dedupe.remember('a');
    expect(dedupe.seen('a')).toBe(true);
    now += 99;
    expect(dedupe.seen('a')).toBe(true);
    now += 1;
    expect(dedupe.seen('a')).toBe(false);
  });

  it('stays within maxEntries, forgetting the oldest first', () => {
    const dedupe = createDedupe({ windowMs: 1e9, maxEntries: 3, now: () => 0 });
    for (const id of ['a', 'b', 'c', 'd']) dedupe.remember(id);
    expect(dedupe.size()).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((id) => dedupe.seen(id))).toEqual([false, true, true, true]);
  });

  it('drops expired entries as new ones arrive, so memory stays bounded by traffic in the window', () => {
    let now = 0;
    const dedupe = createDedupe({ windowMs: 10, maxEntries: 1_000_000, now: () => now });
    for (let n = 0; n < 10_000; n++) {
      now = n;
      dedupe.remember(`id-${n}`);
    }
    expect(dedupe.size()).toBeLessThanOrEqual(11);
  });

  it('refreshes an id remembered again', () => {
    let now = 0;
    const dedupe = createDedupe({ windowMs: 10, maxEntries: 2, now: () => now });
    dedupe.remember('a');
    dedupe.remember('b');
    now = 5;
    dedupe.remember('a');
    dedupe.remember('c'); // evicts b, the oldest, not a
    expect(dedupe.seen('a')).toBe(true);
    expect(dedupe.seen('b')).toBe(false);
  });
});

describe('createDedupe under churn', () => {
  it('keeps exactly the newest maxEntries ids over many evictions and refreshes', () => {
    const dedupe = createDedupe({ windowMs: 1e9, maxEntries: 100, now: () => 0 });
    for (let n = 0; n < 5000; n++) {
      dedupe.remember(`id-${n}`);
      if (n % 7 === 0) dedupe.remember(`id-${n - 3}`); // refreshed: moves to the newest end
    }
    expect(dedupe.size()).toBe(100);
    expect(dedupe.seen('id-4999')).toBe(true);
    expect(dedupe.seen('id-4900')).toBe(true);
    expect(dedupe.seen('id-4800')).toBe(false);
    // older than the newest 100 and never refreshed
    expect(dedupe.seen('id-4803')).toBe(false);
  });
});
