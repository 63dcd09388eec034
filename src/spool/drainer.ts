import type { DeadLetterMark, Spool, SpoolRecord } from './spool';

export interface DrainerOptions {
  spool: Spool;
  /**
   * Publishes a batch to Kafka; resolves once every record is acked (acks=all) or taken off the
   * path, naming the records to move to the dead-letter table; rejects when the batch must be
   * retried.
   */
  publish: (records: readonly SpoolRecord[]) => Promise<readonly DeadLetterMark[] | void>;
  batchSize: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** For metrics. Called after a batch was published and removed from the spool. */
  onDrained?: (records: readonly SpoolRecord[]) => void;
  /** For metrics/logs. `attempt` counts consecutive failures of the current batch (1, 2, ...). */
  onError?: (err: unknown, attempt: number) => void;
  /** For logs: a drain started (the spool held records). */
  onStart?: () => void;
  /** For logs: the spool is empty again. */
  onEmpty?: () => void;
  /** Injectable clock for tests. Default: setTimeout/clearTimeout. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
  /** Injectable jitter source in [0, 1) for tests. Default: Math.random. */
  random?: () => number;
}

export interface Drainer {
  /** Starts draining in the background if the spool is not empty; idempotent. Call after append(). */
  kick(): void;
  /**
   * True while the spool holds records or a drain batch is in flight (new events for the same key
   * must then go to the spool too, behind older ones, to keep order).
   */
  isActive(): boolean;
  /**
   * Resolves true when the spool is empty, or false after timeoutMs or when the drainer is
   * stopped first (used at shutdown: flush what it can, leave the rest on disk). Cuts a pending
   * backoff short so the next attempt starts now. Never rejects.
   */
  drainNow(timeoutMs: number): Promise<boolean>;
  /**
   * Stops draining: waits for the in-flight batch (publish has its own timeout), cancels timers.
   * Records not yet acked stay on disk. Idempotent; kick() afterwards does nothing.
   */
  stop(): Promise<void>;
}

/**
 * Republishes spooled messages in seq order, one batch at a time: peek(batchSize), publish,
 * removeThrough(last seq) only after publish resolved (records Kafka refused for good move to the
 * dead-letter table in that same step, so they never block the ones behind them). A failed batch is retried as the SAME batch
 * (same records, nothing re-peeked) with exponential backoff and jitter until it succeeds, so
 * nothing is reordered or skipped. Delivery is at-least-once: a crash between the Kafka ack and
 * removeThrough republishes that batch after restart (consumers dedupe by eventId).
 */
export function createDrainer(opts: DrainerOptions): Drainer {
  const { spool, batchSize, backoffMinMs, backoffMaxMs } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`drainer batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!(backoffMinMs > 0) || !(backoffMaxMs >= backoffMinMs) || !Number.isFinite(backoffMaxMs)) {
    throw new RangeError(
      `drainer needs 0 < backoffMinMs <= backoffMaxMs, got ${backoffMinMs}, ${backoffMaxMs}`,
    );
  }
  const setTimer = opts.setTimer ?? defaultSetTimer;
  const random = opts.random ?? Math.random;

  let running = false;
  let loop: Promise<void> = Promise.resolve();
  let inFlight = false;
  let stopped = false;
  /** Ends the current backoff sleep early (drainNow, stop). */
  let wake: (() => void) | undefined;
  /** Called after every drained batch and when the loop ends. */
  const waiters = new Set<() => void>();

  function notify(): void {
    for (const w of [...waiters]) w();
  }

  function backoffMs(attempt: number): number {
    const ceiling = Math.min(backoffMaxMs, backoffMinMs * 2 ** (attempt - 1));
    // "Equal jitter": uniformly in [ceiling/2, ceiling], clamped to [min, max].
    const jittered = ceiling / 2 + (random() * ceiling) / 2;
    return Math.min(backoffMaxMs, Math.max(backoffMinMs, Math.round(jittered)));
  }

  function sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      let cancelTimer = (): void => undefined;
      const finish = (): void => {
        if (done) return;
        done = true;
        wake = undefined;
        cancelTimer();
        resolve();
      };
      const timer = setTimer(finish, ms);
      cancelTimer = () => timer.cancel();
      if (!done) wake = finish;
    });
  }

  async function run(): Promise<void> {
    // Start once the caller's synchronous code is done: kick() runs on the request path.
    await Promise.resolve();
    /** The batch being delivered; kept across failures so a retry resends exactly these records. */
    let batch: readonly SpoolRecord[] | undefined;
    /** The batch was acked by Kafka but removeThrough has not succeeded yet. */
    let acked = false;
    let deadLetters: readonly DeadLetterMark[] = [];
    let attempt = 0;
    safeCall(() => opts.onStart?.());
    while (!stopped) {
      try {
        if (batch === undefined) {
          // inFlight covers the read too: the records being read are not yet published.
          inFlight = !spool.isEmpty();
          batch = inFlight ? await spool.peek(batchSize) : [];
          if (batch.length === 0) {
            batch = undefined;
            inFlight = false;
            if (spool.isEmpty()) safeCall(() => opts.onEmpty?.());
            break;
          }
        }
        const last = batch[batch.length - 1]!;
        inFlight = true;
        if (!acked) {
          deadLetters = (await opts.publish(batch)) ?? [];
          acked = true;
        }
        await spool.removeThrough(last.seq, deadLetters);
        inFlight = false;
        const drained = batch;
        batch = undefined;
        acked = false;
        deadLetters = [];
        attempt = 0;
        safeCall(() => opts.onDrained?.(drained));
        notify();
      } catch (err) {
        inFlight = false;
        attempt += 1;
        safeCall(() => opts.onError?.(err, attempt));
        if (stopped) break;
        await sleep(backoffMs(attempt));
      }
    }
    // Synchronously after the last isEmpty() check: an append+kick() either was seen by the loop
    // or finds running === false and starts a new one.
    running = false;
    notify();
  }

  function kick(): void {
    if (stopped || running || spool.isEmpty()) return;
    running = true;
    loop = run();
  }

  return {
    kick,

    isActive(): boolean {
      return inFlight || !spool.isEmpty();
    },

    drainNow(timeoutMs: number): Promise<boolean> {
      if (!inFlight && spool.isEmpty()) return Promise.resolve(true);
      if (stopped) return Promise.resolve(false);
      kick();
      wake?.();
      return new Promise<boolean>((resolve) => {
        let done = false;
        let cancelTimer = (): void => undefined;
        const finish = (result: boolean): void => {
          if (done) return;
          done = true;
          waiters.delete(check);
          cancelTimer();
          resolve(result);
        };
        const check = (): void => {
          if (!inFlight && spool.isEmpty()) finish(true);
          else if (stopped && !running) finish(false);
        };
        waiters.add(check);
        const timer = setTimer(() => finish(false), timeoutMs);
        cancelTimer = () => timer.cancel();
      });
    },

    async stop(): Promise<void> {
      stopped = true;
      wake?.();
      await loop;
      notify();
    },
  };
}

function safeCall(fn: () => void): void {
  try {
    fn();
  } catch {
    // Metrics/log callbacks must not break draining.
  }
}

function defaultSetTimer(fn: () => void, ms: number): { cancel(): void } {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
}
