import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  createSqliteSpool,
  isSpoolHeld,
  SpoolError,
  SpoolFullError,
  SpoolUnavailableError,
} from '../../../src/spool';
import type { SyncSpool as Spool, SpooledMessage } from '../../../src/spool';
import type { SqliteSpoolOptions } from '../../../src/spool';

const T0 = 1_750_000_000_000;

function message(n: number, overrides: Partial<SpooledMessage> = {}): SpooledMessage {
  return {
    topic: 'tencent-live-events',
    key: `room-${n % 3}`,
    value: Buffer.from(`{"n":${n},"bin":"\u0000\u00ff"}`),
    headers: { 'ce-id': `ev-${n}`, 'ce-type': 'live.stream.started' },
    eventId: `ev-${n}`,
    acceptedAt: T0 + n,
    ...overrides,
  };
}

function messages(from: number, count: number): SpooledMessage[] {
  return Array.from({ length: count }, (_, i) => message(from + i));
}

/** Bytes the spool counts for a message: value + UTF-8 key + UTF-8 JSON headers. */
function sizeOf(m: SpooledMessage): number {
  return m.value.length + Buffer.byteLength(m.key) + Buffer.byteLength(JSON.stringify(m.headers));
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('sqlite spool', () => {
  let dir: string;
  let path: string;
  const open: Spool[] = [];

  function openSpool(overrides: Partial<SqliteSpoolOptions> = {}): Spool {
    const spool = createSqliteSpool({
      path,
      maxEvents: 1000,
      maxBytes: 1024 * 1024,
      maxAgeSeconds: 3600,
      now: () => T0,
      ...overrides,
    });
    open.push(spool);
    return spool;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
    path = join(dir, 'nested', 'dir', 'spool.sqlite');
  });

  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('append / peek / removeThrough', () => {
    it('creates the directory and starts empty', () => {
      const spool = openSpool();
      expect(spool.isEmpty()).toBe(true);
      expect(spool.stats()).toEqual({
        depth: 0,
        bytes: 0,
        oldestAcceptedAt: undefined,
        deadLetters: 0,
      });
      expect(spool.peek(10)).toEqual([]);
    });

    it('stores messages verbatim and returns them oldest first with increasing seq', () => {
      const spool = openSpool();
      const input = messages(0, 5);
      const appended = spool.append(input.slice(0, 2));
      const appended2 = spool.append(input.slice(2));
      const all = [...appended, ...appended2];
      for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);

      const peeked = spool.peek(100);
      expect(peeked).toEqual(all);
      peeked.forEach((r, i) => {
        expect(r).toEqual({ ...input[i], seq: all[i]!.seq });
        expect(Buffer.isBuffer(r.value)).toBe(true);
        expect(r.value.equals(input[i]!.value)).toBe(true);
      });
      expect(spool.peek(2)).toEqual(all.slice(0, 2));
      expect(spool.peek(0)).toEqual([]);
    });

    it('keeps arbitrary binary values, unicode keys and empty headers', () => {
      const spool = openSpool();
      const value = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const m = message(1, { key: '房间-🎥', value, headers: {} });
      spool.append([m, message(2, { value: Buffer.alloc(0) })]);
      const [a, b] = spool.peek(2);
      expect(a!.value.equals(value)).toBe(true);
      expect(a!.key).toBe('房间-🎥');
      expect(a!.headers).toEqual({});
      expect(b!.value.length).toBe(0);
    });

    it('removeThrough deletes exactly seq <= upToSeq', () => {
      const spool = openSpool();
      const recs = spool.append(messages(0, 6));
      spool.removeThrough(recs[2]!.seq);
      expect(spool.peek(100).map((r) => r.seq)).toEqual(recs.slice(3).map((r) => r.seq));
      spool.removeThrough(recs[2]!.seq); // idempotent
      expect(spool.stats().depth).toBe(3);
      spool.removeThrough(recs[5]!.seq);
      expect(spool.isEmpty()).toBe(true);
      expect(spool.peek(100)).toEqual([]);
      spool.removeThrough(recs[5]!.seq + 100); // on empty: no-op
    });

    it('an empty append writes nothing', () => {
      const spool = openSpool();
      expect(spool.append([])).toEqual([]);
      expect(spool.isEmpty()).toBe(true);
    });

    it('seq never goes backwards: after deleting everything and across close/reopen', () => {
      let spool = openSpool();
      const first = spool.append(messages(0, 3));
      spool.removeThrough(first[2]!.seq);
      expect(spool.isEmpty()).toBe(true);
      const second = spool.append(messages(3, 2));
      expect(second[0]!.seq).toBeGreaterThan(first[2]!.seq);

      spool.removeThrough(second[1]!.seq);
      spool.close();
      spool = openSpool();
      expect(spool.isEmpty()).toBe(true);
      const third = spool.append(messages(5, 1));
      expect(third[0]!.seq).toBeGreaterThan(second[1]!.seq);

      spool.close();
      spool = openSpool();
      const fourth = spool.append(messages(6, 2));
      expect(fourth[0]!.seq).toBeGreaterThan(third[0]!.seq);
      expect(spool.peek(10).map((r) => r.eventId)).toEqual(['ev-5', 'ev-6', 'ev-7']);
    });

    it('rejects a bad peek limit', () => {
      const spool = openSpool();
      expect(() => spool.peek(-1)).toThrow(RangeError);
      expect(() => spool.peek(1.5)).toThrow(RangeError);
    });
  });

  describe('stats', () => {
    it('tracks depth, bytes and the oldest acceptedAt, and survives reopen', () => {
      let spool = openSpool();
      const input = messages(10, 4);
      const recs = spool.append(input);
      const total = input.reduce((a, m) => a + sizeOf(m), 0);
      expect(spool.stats()).toEqual({
        depth: 4,
        bytes: total,
        oldestAcceptedAt: T0 + 10,
        deadLetters: 0,
      });

      spool.removeThrough(recs[0]!.seq);
      const afterRemove = {
        depth: 3,
        bytes: total - sizeOf(input[0]!),
        oldestAcceptedAt: T0 + 11,
        deadLetters: 0,
      };
      expect(spool.stats()).toEqual(afterRemove);

      spool.close();
      spool = openSpool();
      expect(spool.stats()).toEqual(afterRemove);
      expect(spool.isEmpty()).toBe(false);

      spool.removeThrough(recs[3]!.seq);
      expect(spool.stats()).toEqual({
        depth: 0,
        bytes: 0,
        oldestAcceptedAt: undefined,
        deadLetters: 0,
      });
      spool.close();
      spool = openSpool();
      expect(spool.stats()).toEqual({
        depth: 0,
        bytes: 0,
        oldestAcceptedAt: undefined,
        deadLetters: 0,
      });
    });
  });

  describe('bounds', () => {
    function expectFull(spool: Spool, batch: SpooledMessage[], reason: string): void {
      const before = spool.stats();
      const beforeRecords = spool.peek(10_000);
      const err = catchError(() => spool.append(batch));
      expect(err).toBeInstanceOf(SpoolFullError);
      expect(err).toBeInstanceOf(SpoolError);
      expect(err).toMatchObject({ code: 'SPOOL_FULL', retriable: true, reason });
      // nothing partially written
      expect(spool.stats()).toEqual(before);
      expect(spool.peek(10_000)).toEqual(beforeRecords);
    }

    it('maxEvents: refuses a batch that does not fit as a whole, room again after removeThrough', () => {
      const spool = openSpool({ maxEvents: 5 });
      const recs = spool.append(messages(0, 3));
      expectFull(spool, messages(3, 3), 'maxEvents');
      spool.append(messages(3, 2)); // exactly at the limit
      expectFull(spool, messages(5, 1), 'maxEvents');

      spool.removeThrough(recs[1]!.seq);
      const more = spool.append(messages(5, 2));
      expect(more).toHaveLength(2);
      expect(spool.peek(10).map((r) => r.eventId)).toEqual([
        'ev-2',
        'ev-3',
        'ev-4',
        'ev-5',
        'ev-6',
      ]);
    });

    it('maxBytes: refuses when the byte bound would be exceeded, never drops old data', () => {
      const big = (n: number): SpooledMessage => message(n, { value: Buffer.alloc(400, n) });
      const perMessage = sizeOf(big(0));
      const spool = openSpool({ maxBytes: perMessage * 3 + 10 });
      const recs = spool.append([big(0), big(1)]);
      expectFull(spool, [big(2), big(3)], 'maxBytes');
      spool.append([big(2)]);
      expectFull(spool, [big(3)], 'maxBytes');
      expect(spool.peek(10).map((r) => r.eventId)).toEqual(['ev-0', 'ev-1', 'ev-2']);

      spool.removeThrough(recs[0]!.seq);
      spool.append([big(3)]);
      expect(spool.stats().bytes).toBe(perMessage * 3);
    });

    it('maxBytes: a single message larger than the bound is refused', () => {
      const spool = openSpool({ maxBytes: 100 });
      expectFull(spool, [message(0, { value: Buffer.alloc(200) })], 'maxBytes');
      expect(spool.isEmpty()).toBe(true);
    });

    it('maxAgeSeconds: refuses appends while the oldest record is too old, by the injected clock', () => {
      let now = T0;
      const spool = openSpool({ maxAgeSeconds: 60, now: () => now });
      const recs = spool.append([message(0, { acceptedAt: T0 })]);
      spool.append([message(1, { acceptedAt: T0 + 30_000 })]);

      now = T0 + 60_000; // exactly 60 s old: still allowed
      spool.append([message(2, { acceptedAt: now })]);
      now = T0 + 60_001;
      expectFull(spool, [message(3, { acceptedAt: now })], 'maxAge');

      // the head is now 30 s old again
      spool.removeThrough(recs[0]!.seq);
      expect(spool.stats().oldestAcceptedAt).toBe(T0 + 30_000);
      spool.append([message(3, { acceptedAt: now })]);
      expect(spool.stats().depth).toBe(3);
    });

    it('maxAgeSeconds survives reopen (oldest acceptedAt is read back from disk)', () => {
      let now = T0;
      let spool = openSpool({ maxAgeSeconds: 10, now: () => now });
      spool.append([message(0, { acceptedAt: T0 })]);
      spool.close();
      now = T0 + 11_000;
      spool = openSpool({ maxAgeSeconds: 10, now: () => now });
      expectFull(spool, [message(1)], 'maxAge');
    });

    it('an empty spool accepts old messages (age applies to what is stored)', () => {
      const spool = openSpool({ maxAgeSeconds: 1, now: () => T0 + 1_000_000 });
      expect(spool.append([message(0, { acceptedAt: T0 })])).toHaveLength(1);
    });

    it('rejects nonsensical limits', () => {
      expect(() => openSpool({ maxEvents: 0 })).toThrow(RangeError);
      expect(() => openSpool({ maxBytes: Number.NaN })).toThrow(RangeError);
      expect(() => openSpool({ maxAgeSeconds: -1 })).toThrow(RangeError);
    });
  });

  describe('dead letters', () => {
    it('removeThrough moves the named records to the dead-letter table in the same step', () => {
      const spool = openSpool();
      const recs = spool.append(messages(0, 4));
      spool.removeThrough(recs[2]!.seq, [{ seq: recs[1]!.seq, kafkaError: 'MESSAGE_TOO_LARGE' }]);
      expect(spool.stats()).toMatchObject({ depth: 1, deadLetters: 1 });
      expect(spool.peek(10).map((r) => r.eventId)).toEqual([recs[3]!.eventId]);
      const [dead] = spool.deadLetters(10);
      expect(dead).toMatchObject({
        eventId: recs[1]!.eventId,
        topic: recs[1]!.topic,
        key: recs[1]!.key,
        headers: recs[1]!.headers,
        kafkaError: 'MESSAGE_TOO_LARGE',
      });
      expect(dead!.value.equals(recs[1]!.value)).toBe(true);
    });

    it('addDeadLetters stores records that were never spooled; they survive a reopen', () => {
      const path = join(dir, 'dl.sqlite');
      const first = openSpool({ path });
      first.addDeadLetters([{ ...message(7), kafkaError: 'POLICY_VIOLATION' }]);
      expect(first.stats()).toMatchObject({ depth: 0, deadLetters: 1 });
      first.close();
      const again = openSpool({ path });
      expect(again.stats()).toMatchObject({ depth: 0, deadLetters: 1 });
      expect(again.deadLetters(10, 0)).toMatchObject([
        { eventId: 'ev-7', kafkaError: 'POLICY_VIOLATION' },
      ]);
      expect(again.deadLetters(10, again.deadLetters(1)[0]!.id)).toEqual([]);
    });

    it('requeueDeadLetters moves dead letters to the tail with a fresh acceptedAt, bytes counted', () => {
      let clock = T0;
      const spool = openSpool({ now: () => clock });
      spool.addDeadLetters([
        { ...message(1), kafkaError: 'MESSAGE_TOO_LARGE' },
        { ...message(2), kafkaError: 'POLICY_VIOLATION' },
      ]);
      spool.append([message(3)]);
      const [first, second] = spool.deadLetters(10);
      clock = T0 + 5_000;
      const moved = spool.requeueDeadLetters([second!.id, 999, first!.id]);
      expect(moved.map((d) => d.eventId)).toEqual(['ev-1', 'ev-2']);
      expect(spool.deadLetters(10)).toEqual([]);
      const queued = spool.peek(10);
      expect(queued.map((r) => r.eventId)).toEqual(['ev-3', 'ev-1', 'ev-2']);
      expect(queued[1]).toMatchObject({ topic: message(1).topic, key: message(1).key });
      expect(queued[1]!.headers).toEqual(message(1).headers);
      expect(queued[1]!.value.equals(message(1).value)).toBe(true);
      expect(queued[1]!.acceptedAt).toBe(T0 + 5_000);
      const bytes = [1, 2, 3].reduce((sum, n) => sum + sizeOf(message(n)), 0);
      expect(spool.stats()).toMatchObject({ depth: 3, deadLetters: 0, bytes });
      // the counters match what a reopen reads from the file
      spool.close();
      expect(openSpool().stats()).toMatchObject({ depth: 3, deadLetters: 0, bytes });
    });

    it('opens a version 1 spool (no dead-letter table) and keeps its records', () => {
      const path = join(dir, 'v1.sqlite');
      const db = new DatabaseSync(path);
      db.exec(
        'CREATE TABLE spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT NOT NULL, ' +
          'value BLOB NOT NULL, headers TEXT NOT NULL, event_id TEXT NOT NULL, accepted_at INTEGER NOT NULL, bytes INTEGER NOT NULL)',
      );
      db.prepare(
        'INSERT INTO spool (topic, key, value, headers, event_id, accepted_at, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run('t', 'k', Buffer.from('v'), '{}', 'ev-old', T0, 4);
      db.exec('PRAGMA user_version = 1');
      db.close();
      const spool = openSpool({ path });
      expect(spool.stats()).toMatchObject({ depth: 1, deadLetters: 0 });
      expect(spool.peek(1)[0]).toMatchObject({ eventId: 'ev-old' });
      spool.removeThrough(spool.peek(1)[0]!.seq, [
        { seq: spool.peek(1)[0]!.seq, kafkaError: 'INVALID_RECORD' },
      ]);
      expect(spool.stats()).toMatchObject({ depth: 0, deadLetters: 1 });
    });
  });

  describe('unavailable storage', () => {
    function expectUnavailable(fn: () => unknown): SpoolUnavailableError {
      const err = catchError(fn);
      expect(err).toBeInstanceOf(SpoolUnavailableError);
      expect(err).toMatchObject({ code: 'SPOOL_UNAVAILABLE', retriable: false });
      return err as SpoolUnavailableError;
    }

    it('a corrupt (non-SQLite) file', () => {
      mkdirSync(join(dir, 'nested', 'dir'), { recursive: true });
      writeFileSync(path, Buffer.alloc(8192, 0x5a));
      const err = expectUnavailable(() => openSpool());
      expect(err.message).toMatch(/not a database/);
      expect(err.cause).toMatchObject({ code: 'ERR_SQLITE_ERROR' });
    });

    it('a file with a valid SQLite header and garbage pages', () => {
      mkdirSync(join(dir, 'nested', 'dir'), { recursive: true });
      writeFileSync(
        path,
        Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(8176, 0xff)]),
      );
      expectUnavailable(() => openSpool());
    });

    it('the directory cannot be created (a file is in the way)', () => {
      writeFileSync(join(dir, 'nested'), 'not a directory');
      expectUnavailable(() => openSpool());
    });

    it('the path is a directory', () => {
      mkdirSync(path, { recursive: true });
      expectUnavailable(() => openSpool());
    });

    it('the file is already open by another spool (exclusive lock)', () => {
      const first = openSpool();
      first.append(messages(0, 1));
      const err = expectUnavailable(() => openSpool());
      expect(err.message).toMatch(/locked/);
      expect(first.append(messages(1, 1))).toHaveLength(1);
      first.close();
      expect(openSpool().stats().depth).toBe(2);
    });

    it('a spool file written by an unknown schema version is refused', () => {
      const spool = openSpool();
      spool.close();
      const db = new DatabaseSync(path);
      db.exec('PRAGMA user_version = 99');
      db.close();
      expect(expectUnavailable(() => openSpool()).message).toMatch(/schema version 99/);
    });

    it('disk full during append: nothing written, the spool stays usable', () => {
      const spool = openSpool({ maxFileBytes: 64 * 1024, maxBytes: 100 * 1024 * 1024 });
      const chunk = (n: number): SpooledMessage => message(n, { value: Buffer.alloc(6000, n) });
      const ok = spool.append([chunk(0), chunk(1)]);
      const before = spool.stats();
      const err = expectUnavailable(() =>
        spool.append(Array.from({ length: 20 }, (_, i) => chunk(i + 2))),
      );
      expect(err.message).toMatch(/full/);
      expect(spool.stats()).toEqual(before);
      expect(spool.peek(100).map((r) => r.seq)).toEqual(ok.map((r) => r.seq));

      spool.removeThrough(ok[1]!.seq);
      expect(spool.append([chunk(2)])).toHaveLength(1);
      spool.close();
      expect(
        openSpool()
          .peek(100)
          .map((r) => r.eventId),
      ).toEqual(['ev-2']);
    });

    it('keeps minFreeBytes free on its volume: new records are refused, the drain is not', () => {
      let free = 10_000_000;
      const asked: string[] = [];
      const spool = openSpool({
        minFreeBytes: 1_000_000,
        freeBytes: (volume) => {
          asked.push(volume);
          return free;
        },
      });
      const first = spool.append(messages(0, 3));
      expect(asked[0]).toBe(dirname(path));
      const m = message(3);
      free = 1_000_000 + sizeOf(m) - 1; // one byte short of the floor plus this record
      const err = catchError(() => spool.append([m]));
      expect(err).toBeInstanceOf(SpoolFullError);
      expect(err).toMatchObject({ reason: 'minFreeBytes', code: 'SPOOL_FULL' });
      expect((err as Error).message).toMatch(/fewer than minFreeBytes 1000000/);
      expect(spool.stats().depth).toBe(3);
      expect(catchError(() => spool.addDeadLetters([{ ...m, kafkaError: 'X' }]))).toBeInstanceOf(
        SpoolFullError,
      );
      // What the drainer does needs no new room and is never refused.
      free = 0;
      spool.removeThrough(first[2]!.seq, [{ seq: first[0]!.seq, kafkaError: 'MESSAGE_TOO_LARGE' }]);
      expect(spool.stats()).toMatchObject({ depth: 0, deadLetters: 1 });
      // A dead letter back in the spool is new data there: the same floor.
      const [dead] = spool.deadLetters(1);
      free = 1_000_000 + sizeOf(dead!) - 1;
      expect(catchError(() => spool.requeueDeadLetters([dead!.id]))).toBeInstanceOf(SpoolFullError);
      expect(spool.stats()).toMatchObject({ depth: 0, deadLetters: 1 });
      free = 1_000_000 + sizeOf(dead!);
      expect(spool.requeueDeadLetters([dead!.id])).toHaveLength(1);
      expect(spool.append([m])).toHaveLength(1);
    });

    it("a spool held by another process is told apart by SQLite's text, not by its path", () => {
      const held = new SpoolUnavailableError(`cannot open spool ${path}: database is locked`);
      const lockedDir = new SpoolUnavailableError(
        'cannot open spool /data/locked-busy/spool.sqlite: unable to open database file',
      );
      expect(isSpoolHeld(held)).toBe(true);
      expect(isSpoolHeld(lockedDir)).toBe(false);
    });

    it('minFreeBytes 0 (the default here) asks nothing of the volume', () => {
      const spool = openSpool({
        freeBytes: () => {
          throw new Error('not asked');
        },
      });
      expect(spool.append(messages(0, 1))).toHaveLength(1);
    });

    it('a closed spool throws SpoolUnavailableError and close is idempotent', () => {
      const spool = openSpool();
      spool.close();
      spool.close();
      expectUnavailable(() => spool.append(messages(0, 1)));
      expectUnavailable(() => spool.peek(1));
      expectUnavailable(() => spool.removeThrough(1));
      expect(spool.stats()).toEqual({
        depth: 0,
        bytes: 0,
        oldestAcceptedAt: undefined,
        deadLetters: 0,
      });
    });
  });
});
