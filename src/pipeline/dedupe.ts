/**
 * Remembers which event ids were made durable recently, so a callback Tencent re-delivers (same
 * deterministic id) is answered OK without a second Kafka record. Memory is bounded by
 * `maxEntries` (the oldest ids are forgotten first) and ids expire after `windowMs`.
 */
export interface Dedupe {
  seen(id: string): boolean;
  /** Call only once the event is durable: a failed attempt must never suppress a retry. */
  remember(id: string): void;
  size(): number;
}

export function createDedupe(options: {
  windowMs: number;
  maxEntries: number;
  now: () => number;
}): Dedupe {
  const expiries = new Map<string, number>();
  // Ids in the order they were remembered, with the expiry each was given then. An id
  // remembered again has a stale older entry here, recognised by its expiry and skipped.
  // (Walking the Map itself to find its oldest key is slow once many keys were deleted.)
  let queueIds: string[] = [];
  let queueExpiries: number[] = [];
  let head = 0;

  function evict(now: number): void {
    while (head < queueIds.length) {
      const id = queueIds[head]!;
      const expiry = queueExpiries[head]!;
      if (expiries.get(id) === expiry) {
        if (expiry > now && expiries.size <= options.maxEntries) break;
        expiries.delete(id);
      }
      head++;
    }
    if (head > 1024 && head * 2 > queueIds.length) {
      queueIds = queueIds.slice(head);
      queueExpiries = queueExpiries.slice(head);
      head = 0;
    }
  }

  return {
    seen(id) {
      const expiry = expiries.get(id);
      return expiry !== undefined && expiry > options.now();
    },
    remember(id) {
      const now = options.now();
      const expiry = now + options.windowMs;
      expiries.set(id, expiry);
      queueIds.push(id);
      queueExpiries.push(expiry);
      evict(now);
    },
    size: () => expiries.size,
  };
}
