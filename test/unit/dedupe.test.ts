import { hash } from 'node:crypto';
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

/**
 * The simplest correct dedupe: a Map in recency order. `remember` drops expired ids from the old
 * end, moves the id to the new end, then drops the oldest while over `maxEntries`.
 */
function referenceDedupe(windowMs: number, maxEntries: number) {
  const ids = new Map<string, number>();
  return {
    seen: (id: string, now: number) => (ids.get(id) ?? -Infinity) > now,
    remember(id: string, now: number) {
      for (const [old, expiry] of ids) {
        if (expiry > now) break;
        ids.delete(old);
      }
      ids.delete(id);
      ids.set(id, now + windowMs);
      while (ids.size > maxEntries) ids.delete(ids.keys().next().value!);
    },
    size: () => ids.size,
  };
}

describe('createDedupe under churn', () => {
  it('keeps exactly the newest maxEntries ids over many evictions and refreshes', () => {
    const dedupe = createDedupe({ windowMs: 1e9, maxEntries: 100, now: () => 0 });
    const reference = referenceDedupe(1e9, 100);
    for (let n = 0; n < 5000; n++) {
      for (const id of n % 7 === 0 ? [`id-${n}`, `id-${n - 3}`] : [`id-${n}`]) {
        dedupe.remember(id); // id-(n-3) is refreshed: it moves to the newest end
        reference.remember(id, 0);
      }
    }
    expect(dedupe.size()).toBe(100);
    for (let n = -3; n < 5000; n++)
      expect(dedupe.seen(`id-${n}`)).toBe(reference.seen(`id-${n}`, 0));
    expect(dedupe.seen('id-4999')).toBe(true);
    expect(dedupe.seen('id-4897')).toBe(true); // refreshed at n = 4900
    expect(dedupe.seen('id-4900')).toBe(false); // the 101st newest after that refresh
  });

  it('answers like the reference over random ids, refreshes and time, as its tables grow and compact', () => {
    for (const [maxEntries, windowMs] of [
      [5, 50],
      [300, 400],
      [3000, 1e9],
    ] as const) {
      let now = 1;
      const dedupe = createDedupe({ windowMs, maxEntries, now: () => now });
      const reference = referenceDedupe(windowMs, maxEntries);
      let state = 12345;
      const random = (below: number): number => {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        return state % below;
      };
      const idCount = maxEntries * 3;
      // Event ids are random hex, so their first 32 bits spread them over the index. A quarter
      // start with ffffffff and a quarter with 00000000: their probe runs pile up at the end of
      // the index and wrap around to its start. The rest are not hex (hashed instead).
      const hex = (k: number): string => hash('sha256', String(k), 'hex').slice(0, 32);
      const idOf = (k: number): string =>
        [`ffffffff${hex(k).slice(8)}`, hex(k), `00000000${hex(k).slice(8)}`, `room-${k}`][k % 4]!;
      for (let step = 0; step < 30_000; step++) {
        now += random(3);
        const id = idOf(random(idCount));
        if (random(3) === 0) {
          expect(dedupe.seen(id)).toBe(reference.seen(id, now));
        } else {
          dedupe.remember(id);
          reference.remember(id, now);
          expect(dedupe.size()).toBe(reference.size());
        }
      }
      for (let k = 0; k < idCount; k++) {
        expect(dedupe.seen(idOf(k))).toBe(reference.seen(idOf(k), now));
      }
    }
  });

  it('tells apart event ids that differ in one bit, and ids that only look alike', () => {
    const dedupe = createDedupe({ windowMs: 1000, maxEntries: 10, now: () => 0 });
    const id = '0123456789abcdef0123456789abcdef';
    dedupe.remember(id);
    expect(dedupe.seen(id)).toBe(true);
    expect(dedupe.seen('0123456789abcdef0123456789abcdee')).toBe(false);
    expect(dedupe.seen('0123456789ABCDEF0123456789ABCDEF')).toBe(false);
    expect(dedupe.seen(`${id}0`)).toBe(false);
    expect(dedupe.seen('')).toBe(false);
  });
});
