import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDrainer, createSqliteSpool, inThreadSpool } from '../../../src/spool';
import type {
  Drainer,
  DrainerOptions,
  SyncSpool as Spool,
  SpooledMessage,
  SpoolRecord,
} from '../../../src/spool';

const T0 = 1_750_000_000_000;

// Everything here is driven by promises and manual timers; a hang means a bug, so fail fast.
jest.setTimeout(10_000);

function message(n: number): SpooledMessage {
  return {
    topic: 'tencent-live-events',
    key: `room-${n % 4}`,
    value: Buffer.from(JSON.stringify({ n })),
    headers: { 'ce-id': `ev-${n}` },
    eventId: `ev-${n}`,
    acceptedAt: T0 + n,
  };
}

function messages(from: number, count: number): SpooledMessage[] {
  return Array.from({ length: count }, (_, i) => message(from + i));
}

function seqs(records: readonly SpoolRecord[]): number[] {
  return records.map((r) => r.seq);
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Items pushed by the code under test, awaited one by one by the test (no polling, no sleeps). */
class AsyncQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: ((item: T) => void)[] = [];
  push(item: T): void {
    const taker = this.takers.shift();
    if (taker) taker(item);
    else this.items.push(item);
  }
  next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<T>((res) => this.takers.push(res));
  }
  get size(): number {
    return this.items.length;
  }
}

interface PublishCall {
  records: SpoolRecord[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Unsettled publish calls; failed tests reject them so afterEach's stop() cannot hang. */
const unsettled = new Set<Deferred<void>>();

/** publish() whose every call waits until the test settles it. */
function controlledPublish(): {
  publish: DrainerOptions['publish'];
  calls: AsyncQueue<PublishCall>;
} {
  const calls = new AsyncQueue<PublishCall>();
  return {
    calls,
    publish: (records) => {
      const d = deferred<void>();
      unsettled.add(d);
      const settleWith = (fn: () => void): void => {
        unsettled.delete(d);
        fn();
      };
      calls.push({
        records: [...records],
        resolve: () => settleWith(() => d.resolve()),
        reject: (e) => settleWith(() => d.reject(e)),
      });
      return d.promise;
    },
  };
}

interface ManualTimer {
  ms: number;
  fire: () => void;
  cancelled: boolean;
  fired: boolean;
}

/** Injectable clock: timers only fire when the test fires them. */
class ManualTimers {
  readonly scheduled = new AsyncQueue<ManualTimer>();
  readonly all: ManualTimer[] = [];
  readonly setTimer = (fn: () => void, ms: number): { cancel(): void } => {
    const t: ManualTimer = {
      ms,
      cancelled: false,
      fired: false,
      fire: () => {
        if (t.cancelled || t.fired) throw new Error('timer is not pending');
        t.fired = true;
        fn();
      },
    };
    this.all.push(t);
    this.scheduled.push(t);
    return { cancel: () => (t.cancelled = true) };
  };
  pending(): ManualTimer[] {
    return this.all.filter((t) => !t.cancelled && !t.fired);
  }
}

/** Lets every already-queued promise callback run (one macrotask turn; not a timed sleep). */
function settle(): Promise<void> {
  return new Promise((res) => setImmediate(res));
}

describe('drainer', () => {
  let dir: string;
  let spool: Spool;
  let timers: ManualTimers;
  const drainers: Drainer[] = [];

  function makeDrainer(
    overrides: Partial<DrainerOptions> & Pick<DrainerOptions, 'publish'>,
  ): Drainer {
    const d = createDrainer({
      spool: inThreadSpool(spool),
      batchSize: 10,
      backoffMinMs: 100,
      backoffMaxMs: 1000,
      setTimer: timers.setTimer,
      random: () => 0.5,
      ...overrides,
    });
    drainers.push(d);
    return d;
  }

  /** Opens the test's spool file (again) as `spool`. */
  function openSpool(): Spool {
    spool = createSqliteSpool({
      path: join(dir, 'spool.sqlite'),
      maxEvents: 10_000,
      maxBytes: 10_000_000,
      maxAgeSeconds: 3600,
      now: () => T0,
    });
    return spool;
  }

  function reopenSpool(): Spool {
    spool.close();
    return openSpool();
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drainer-test-'));
    openSpool();
    timers = new ManualTimers();
  });

  afterEach(async () => {
    for (const d of unsettled) d.reject(new Error('test ended'));
    unsettled.clear();
    for (const d of drainers.splice(0)) await d.stop();
    spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drains everything in seq order, in batches of batchSize, one batch at a time', async () => {
    const appended = [
      ...spool.append(messages(0, 7)),
      ...spool.append(messages(7, 1)),
      ...spool.append(messages(8, 17)),
    ];
    const published: SpoolRecord[][] = [];
    const drained: number[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const drainer = makeDrainer({
      publish: async (records) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        published.push([...records]);
        await settle();
        inFlight -= 1;
      },
      onDrained: (records) => drained.push(seqs(records)),
    });

    drainer.kick();
    drainer.kick(); // idempotent
    expect(await drainer.drainNow(60_000)).toBe(true);

    expect(published.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(published.flat()).toEqual(appended);
    expect(drained).toEqual(published.map(seqs));
    expect(maxInFlight).toBe(1);
    expect(spool.isEmpty()).toBe(true);
    expect(drainer.isActive()).toBe(false);
    expect(timers.pending()).toEqual([]); // drainNow cancelled its timeout
  });

  it('kick() on an empty spool does nothing', async () => {
    const { publish, calls } = controlledPublish();
    const drainer = makeDrainer({ publish });
    drainer.kick();
    await settle();
    expect(calls.size).toBe(0);
    expect(drainer.isActive()).toBe(false);
    expect(await drainer.drainNow(1000)).toBe(true);
  });

  it('retries the SAME batch with backoff after failures; no loss, no reorder, no duplicates', async () => {
    const first = spool.append(messages(0, 4));
    const { publish, calls } = controlledPublish();
    const errors: [unknown, number][] = [];
    const succeeded: number[][] = [];
    const drainer = makeDrainer({
      publish,
      onError: (err, attempt) => errors.push([err, attempt]),
      onDrained: (records) => succeeded.push(seqs(records)),
    });
    drainer.kick();

    const call1 = await calls.next();
    expect(seqs(call1.records)).toEqual(seqs(first));
    const boom1 = new Error('broker down 1');
    call1.reject(boom1);
    const backoff1 = await timers.scheduled.next();
    expect(errors).toEqual([[boom1, 1]]);
    expect(backoff1.ms).toBe(100); // min; random 0.5 of [50, 100] clamped to min

    // new events arrive while Kafka is down: they queue behind, the retried batch stays the same
    const later = spool.append(messages(4, 3));
    drainer.kick();
    expect(drainer.isActive()).toBe(true);
    await settle();
    expect(calls.size).toBe(0); // nothing published during backoff

    backoff1.fire();
    const call2 = await calls.next();
    expect(call2.records).toEqual(call1.records);
    const boom2 = new Error('broker down 2');
    call2.reject(boom2);
    const backoff2 = await timers.scheduled.next();
    expect(errors).toEqual([
      [boom1, 1],
      [boom2, 2],
    ]);
    expect(backoff2.ms).toBe(150); // ceiling 200, equal jitter: 100 + 0.5 * 100

    backoff2.fire();
    const call3 = await calls.next();
    expect(call3.records).toEqual(call1.records);
    call3.resolve();

    const call4 = await calls.next();
    expect(seqs(call4.records)).toEqual(seqs(later));
    call4.resolve();
    expect(await drainer.drainNow(1000)).toBe(true);

    expect(succeeded).toEqual([seqs(first), seqs(later)]);
    expect(succeeded.flat()).toEqual([...seqs(first), ...seqs(later)]);
    expect(spool.isEmpty()).toBe(true);
  });

  it('backoff grows exponentially with jitter between backoffMinMs and backoffMaxMs', async () => {
    spool.append(messages(0, 1));
    const { publish, calls } = controlledPublish();
    let rnd = 0;
    const drainer = makeDrainer({ publish, random: () => rnd });
    drainer.kick();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 7; attempt++) {
      rnd = attempt % 2 === 0 ? 0.999 : 0;
      (await calls.next()).reject(new Error('down'));
      const t = await timers.scheduled.next();
      delays.push(t.ms);
      t.fire();
    }
    // ceilings 100, 200, 400, 800, 1000, 1000, 1000; delay in [ceiling/2, ceiling] within [100, 1000]
    expect(delays).toEqual([100, 200, 200, 800, 500, 1000, 500]);
    (await calls.next()).resolve();
    expect(await drainer.drainNow(1000)).toBe(true);
  });

  it('a publish that throws synchronously is treated as a failed attempt', async () => {
    const recs = spool.append(messages(0, 2));
    let n = 0;
    const published: number[][] = [];
    const errors: number[] = [];
    const drainer = makeDrainer({
      publish: (records) => {
        n += 1;
        if (n === 1) throw new Error('sync throw');
        published.push(seqs(records));
        return Promise.resolve();
      },
      onError: (_err, attempt) => errors.push(attempt),
    });
    drainer.kick();
    (await timers.scheduled.next()).fire();
    expect(await drainer.drainNow(1000)).toBe(true);
    expect(errors).toEqual([1]);
    expect(published).toEqual([seqs(recs)]);
  });

  it('does not republish a batch when removeThrough fails after the Kafka ack', async () => {
    const recs = spool.append(messages(0, 15));
    const real = spool;
    let failRemoves = 1;
    const flaky: Spool = {
      append: (m) => real.append(m),
      peek: (l) => real.peek(l),
      removeThrough: (s) => {
        if (failRemoves-- > 0) throw new Error('disk hiccup');
        real.removeThrough(s);
      },
      addDeadLetters: (m) => real.addDeadLetters(m),
      requeueDeadLetters: (ids) => real.requeueDeadLetters(ids),
      deadLetters: (l, after) => real.deadLetters(l, after),
      stats: () => real.stats(),
      isEmpty: () => real.isEmpty(),
      close: () => real.close(),
    };
    const published: number[][] = [];
    const drainer = makeDrainer({
      spool: inThreadSpool(flaky),
      publish: (records) => {
        published.push(seqs(records));
        return Promise.resolve();
      },
    });
    drainer.kick();
    (await timers.scheduled.next()).fire(); // backoff after the failed removeThrough
    expect(await drainer.drainNow(1000)).toBe(true);
    expect(published).toEqual([seqs(recs.slice(0, 10)), seqs(recs.slice(10))]);
  });

  it('drainNow times out while Kafka is down and leaves the rest on disk', async () => {
    const recs = spool.append(messages(0, 25));
    const { publish, calls } = controlledPublish();
    const drainer = makeDrainer({ publish });
    const result = drainer.drainNow(5000);

    (await calls.next()).resolve(); // first batch gets through
    const timeout = await timers.scheduled.next();
    expect(timeout.ms).toBe(5000);
    (await calls.next()).reject(new Error('broker gone'));
    const backoff = await timers.scheduled.next();
    expect(backoff.ms).toBe(100);

    timeout.fire();
    expect(await result).toBe(false);
    await drainer.stop();
    expect(backoff.cancelled).toBe(true);
    expect(timers.pending()).toEqual([]);

    const left = reopenSpool().peek(100);
    expect(left).toEqual(recs.slice(10));
  });

  it('drainNow cuts a pending backoff short', async () => {
    spool.append(messages(0, 3));
    const { publish, calls } = controlledPublish();
    const drainer = makeDrainer({ publish, backoffMinMs: 10_000, backoffMaxMs: 60_000 });
    drainer.kick();
    (await calls.next()).reject(new Error('down'));
    const backoff = await timers.scheduled.next();

    const result = drainer.drainNow(1000);
    expect(backoff.cancelled).toBe(true);
    (await calls.next()).resolve();
    expect(await result).toBe(true);
  });

  it('isActive: true while records are spooled or a batch is in flight', async () => {
    const { publish, calls } = controlledPublish();
    const drainer = makeDrainer({ publish, batchSize: 2 });
    expect(drainer.isActive()).toBe(false);

    spool.append(messages(0, 3));
    expect(drainer.isActive()).toBe(true); // before kick: spooled records exist
    drainer.kick();

    const call1 = await calls.next();
    expect(drainer.isActive()).toBe(true);
    call1.resolve();
    const call2 = await calls.next();
    expect(call2.records).toHaveLength(1);
    expect(drainer.isActive()).toBe(true); // last record still on disk until acked
    call2.resolve();
    expect(await drainer.drainNow(1000)).toBe(true);
    expect(drainer.isActive()).toBe(false);

    // a new append after the loop went idle is picked up by the next kick
    spool.append(messages(3, 1));
    expect(drainer.isActive()).toBe(true);
    drainer.kick();
    (await calls.next()).resolve();
    expect(await drainer.drainNow(1000)).toBe(true);
    expect(drainer.isActive()).toBe(false);
  });

  it('stop() waits for the in-flight batch, then stops without starting another', async () => {
    const recs = spool.append(messages(0, 15));
    const { publish, calls } = controlledPublish();
    const drainer = makeDrainer({ publish });
    drainer.kick();
    const call1 = await calls.next();

    const log: string[] = [];
    const stopped = drainer.stop().then(() => log.push('stopped'));
    await settle();
    expect(log).toEqual([]); // still waiting for the batch

    log.push('acked');
    call1.resolve();
    await stopped;
    expect(log).toEqual(['acked', 'stopped']);

    // the acked batch was removed, the rest stays on disk, nothing else was published
    expect(spool.peek(100)).toEqual(recs.slice(10));
    expect(calls.size).toBe(0);
    drainer.kick();
    await settle();
    expect(calls.size).toBe(0);
    expect(await drainer.drainNow(1000)).toBe(false);
    expect(timers.pending()).toEqual([]);
  });

  it('stop() during a backoff cancels the timer and resolves', async () => {
    const recs = spool.append(messages(0, 3));
    const { publish, calls } = controlledPublish();
    const drainer = makeDrainer({ publish });
    drainer.kick();
    (await calls.next()).reject(new Error('down'));
    const backoff = await timers.scheduled.next();
    const pendingDrain = drainer.drainNow(60_000);
    (await calls.next()).reject(new Error('still down'));
    await timers.scheduled.next(); // next backoff

    await drainer.stop();
    expect(await pendingDrain).toBe(false);
    expect(backoff.cancelled).toBe(true);
    expect(timers.pending()).toEqual([]);
    expect(spool.peek(10)).toEqual(recs);
  });

  it('throwing metrics callbacks do not break draining', async () => {
    const recs = spool.append(messages(0, 12));
    let fail = true;
    const published: number[][] = [];
    const drainer = makeDrainer({
      publish: (records) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('down'));
        }
        published.push(seqs(records));
        return Promise.resolve();
      },
      onDrained: () => {
        throw new Error('metrics bug');
      },
      onError: () => {
        throw new Error('logger bug');
      },
    });
    drainer.kick();
    (await timers.scheduled.next()).fire();
    expect(await drainer.drainNow(1000)).toBe(true);
    expect(published.flat()).toEqual(seqs(recs));
  });

  it('retries with backoff when the spool itself fails to read', async () => {
    spool.append(messages(0, 2));
    const errors: unknown[] = [];
    const drainer = makeDrainer({
      publish: () => Promise.resolve(),
      onError: (err) => errors.push(err),
    });
    spool.close(); // peek now throws SpoolUnavailableError
    drainer.kick();
    await timers.scheduled.next();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'SPOOL_UNAVAILABLE' });
    await drainer.stop();
  });

  it('uses real timers by default', async () => {
    spool.append(messages(0, 2));
    let n = 0;
    const drainer = createDrainer({
      spool: inThreadSpool(spool),
      batchSize: 10,
      backoffMinMs: 1,
      backoffMaxMs: 2,
      publish: () => (++n === 1 ? Promise.reject(new Error('once')) : Promise.resolve()),
    });
    drainers.push(drainer);
    drainer.kick();
    expect(await drainer.drainNow(10_000)).toBe(true);
    expect(n).toBe(2);
  });

  it('rejects invalid options', () => {
    const publish = (): Promise<void> => Promise.resolve();
    expect(() => makeDrainer({ publish, batchSize: 0 })).toThrow(RangeError);
    expect(() => makeDrainer({ publish, backoffMinMs: 0 })).toThrow(RangeError);
    expect(() => makeDrainer({ publish, backoffMinMs: 10, backoffMaxMs: 5 })).toThrow(RangeError);
  });
});
