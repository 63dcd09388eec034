/**
 * Collects items from concurrent callers into batches for one sender that runs one batch at a
 * time. kafkajs serialises sends on an idempotent producer (one request in flight), so instead of
 * each request waiting for the previous one, everything that arrives while a batch is in flight
 * goes out together in the next one.
 *
 * Each caller waits for its own item: `add` resolves when the batch holding it was sent and
 * rejects with that batch's error (or with its own, when `send` reports items that failed alone). An item whose caller gave up (`expired`) before its batch was
 * formed is not sent at all, so a caller that timed out can safely store it elsewhere.
 */
export interface Batcher<T> {
  add(item: T, signal?: { expired: boolean }): Promise<void>;
  /** Resolves when everything queued so far has been sent (or failed). */
  flush(): Promise<void>;
  /** Items waiting for a batch plus items in flight. */
  pending(): number;
  /** Rejects every item not yet in a batch with `error` (the batch in flight is not touched). */
  abandonQueued(error: unknown): void;
}

/** One item of a batch that failed on its own while the rest of the batch succeeded. */
export interface ItemFailure {
  /** Its index in the array given to `send`. */
  index: number;
  error: unknown;
}

export interface BatcherOptions<T> {
  /**
   * Sends one batch. Rejecting fails every item of it; resolving with failures fails only those
   * items (their `add` rejects with the given error) and resolves the others.
   */
  send: (items: T[]) => Promise<void | readonly ItemFailure[]>;
  maxItems: number;
  /** Extra wait before a batch leaves, to let more items join; 0 sends as soon as possible. */
  lingerMs: number;
  onBatch?: (size: number) => void;
}

interface Entry<T> {
  item: T;
  signal: { expired: boolean } | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function createBatcher<T>(options: BatcherOptions<T>): Batcher<T> {
  const queue: Entry<T>[] = [];
  let inFlight = 0;
  let running = false;
  let scheduled = false;
  let idleWaiters: (() => void)[] = [];

  function notifyIdle(): void {
    if (running || scheduled || queue.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  }

  async function drain(): Promise<void> {
    running = true;
    while (queue.length > 0) {
      const batch: Entry<T>[] = [];
      while (batch.length < options.maxItems && queue.length > 0) {
        const entry = queue.shift()!;
        if (entry.signal?.expired) continue; // its caller has stopped waiting and took it elsewhere
        batch.push(entry);
      }
      if (batch.length === 0) continue;
      inFlight = batch.length;
      options.onBatch?.(batch.length);
      try {
        const failures = await options.send(batch.map((entry) => entry.item));
        if (failures) for (const { index, error } of failures) batch[index]?.reject(error);
        for (const entry of batch) entry.resolve(); // no-op for the entries rejected above
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
      inFlight = 0;
    }
    running = false;
    notifyIdle();
  }

  function schedule(): void {
    if (running || scheduled) return;
    scheduled = true;
    const start = (): void => {
      scheduled = false;
      void drain();
    };
    // setImmediate lets every request parsed in this I/O turn join the first batch.
    if (options.lingerMs > 0) setTimeout(start, options.lingerMs);
    else setImmediate(start);
  }

  return {
    add(item, signal) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, signal, resolve, reject });
        schedule();
      });
    },
    flush() {
      if (!running && !scheduled && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    pending: () => queue.length + inFlight,
    abandonQueued(error) {
      for (const entry of queue.splice(0)) entry.reject(error);
      notifyIdle();
    },
  };
}
