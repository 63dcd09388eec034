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
  // Map keeps insertion order: the first key is always the oldest entry.
  const expiries = new Map<string, number>();

  function evict(now: number): void {
    for (const [id, expiry] of expiries) {
      if (expiry > now && expiries.size <= options.maxEntries) break;
      expiries.delete(id);
    }
  }

  return {
    seen(id) {
      const expiry = expiries.get(id);
      return expiry !== undefined && expiry > options.now();
    },
    remember(id) {
      const now = options.now();
      expiries.delete(id);
      expiries.set(id, now + options.windowMs);
      evict(now);
    },
    size: () => expiries.size,
  };
}
