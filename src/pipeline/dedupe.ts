import { hash } from 'node:crypto';

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

/** Event ids are the first 128 bits of a SHA-256, in lower-case hex (events/cloudevents.ts). */
const HEX_ID = /^[0-9a-f]{32}$/;

/**
 * The 128-bit digest an id is stored as: an event id's own bits, any other string's SHA-256
 * (a collision between two different ids is as unlikely as one of SHA-256 itself).
 */
function digestInto(id: string, out: Uint32Array): void {
  if (id.length === 32 && HEX_ID.test(id)) {
    for (let word = 0; word < 4; word++) {
      out[word] = Number.parseInt(id.slice(word * 8, word * 8 + 8), 16);
    }
    return;
  }
  const bytes = hash('sha256', id, 'buffer');
  for (let word = 0; word < 4; word++) out[word] = bytes.readUInt32BE(word * 4);
}

/** Expiry of a slot whose id was remembered again later, in a newer slot. */
const DEAD = -1;
const FIRST_RING_SIZE = 1024;

/**
 * The table lives in typed arrays, not in a Map of strings: 100,000 ids as strings in a Map
 * cost ~36 MB of RSS under load (measured; the strings, the Map's growth and the old-generation
 * garbage they leave), and every full GC had to trace them. Here they take ~7 MB that the GC
 * never walks.
 *
 * - A ring of slots in the order ids were remembered (digest and expiry per slot). Expiries grow
 *   along the ring, so expired ids are dropped from its head. When the ring is full, its live
 *   slots move to the start of a new ring (dead slots are left out), twice as large while it
 *   is more than half live, up to twice `maxEntries` slots: amortised O(1) per id, and memory in
 *   proportion to the ids actually remembered.
 * - An open-addressing index (linear probing, backward-shift deletion) from digest to slot,
 *   never more than half full.
 */
export function createDedupe(options: {
  windowMs: number;
  maxEntries: number;
  now: () => number;
}): Dedupe {
  const { maxEntries, windowMs } = options;
  const largestRing = Math.max(2, Math.ceil(maxEntries) * 2);
  let ringSize = Math.min(FIRST_RING_SIZE, largestRing);
  let digests = new Uint32Array(ringSize * 4);
  let expiries = new Float64Array(ringSize);
  let head = 0; // oldest slot
  let used = 0; // slots from head on, live or dead
  let live = 0;
  let index = new Int32Array(0); // slot + 1; 0 = empty
  let mask = 0;
  const probe = new Uint32Array(4); // the id being looked up

  const home = (slot: number): number => digests[slot * 4]! & mask;

  /** Position in `index` of `digest`, or -1. */
  function find(digest: Uint32Array): number {
    for (let i = digest[0]! & mask; ; i = (i + 1) & mask) {
      const entry = index[i]!;
      if (entry === 0) return -1;
      const at = (entry - 1) * 4;
      if (
        digests[at] === digest[0] &&
        digests[at + 1] === digest[1] &&
        digests[at + 2] === digest[2] &&
        digests[at + 3] === digest[3]
      ) {
        return i;
      }
    }
  }

  /** Position in `index` of a live slot (every live slot is in it). */
  function positionOf(slot: number): number {
    let i = home(slot);
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    return i;
  }

  function insert(slot: number): void {
    let i = home(slot);
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
  }

  /** Empties position `hole` and moves later entries of its probe run back into the gap. */
  function removeAt(hole: number): void {
    index[hole] = 0;
    for (let j = (hole + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const wanted = home(index[j]! - 1);
      // The entry at j stays where it is if its home lies cyclically in (hole, j].
      const stays = hole < j ? wanted > hole && wanted <= j : wanted > hole || wanted <= j;
      if (stays) continue;
      index[hole] = index[j]!;
      index[j] = 0;
      hole = j;
    }
  }

  function dropHead(): void {
    if (expiries[head] !== DEAD) {
      removeAt(positionOf(head));
      live--;
    }
    head = (head + 1) % ringSize;
    used--;
  }

  /** Moves the live slots, in order, to the start of a new ring; rebuilds the index. */
  function rebuild(): void {
    const size = live * 2 > ringSize ? Math.min(ringSize * 2, largestRing) : ringSize;
    const nextDigests = new Uint32Array(size * 4);
    const nextExpiries = new Float64Array(size);
    let count = 0;
    for (let n = 0; n < used; n++) {
      const slot = (head + n) % ringSize;
      if (expiries[slot] === DEAD) continue;
      nextDigests.set(digests.subarray(slot * 4, slot * 4 + 4), count * 4);
      nextExpiries[count++] = expiries[slot]!;
    }
    digests = nextDigests;
    expiries = nextExpiries;
    ringSize = size;
    head = 0;
    used = count;
    let indexSize = 8;
    while (indexSize < size * 2) indexSize *= 2;
    if (index.length !== indexSize) index = new Int32Array(indexSize);
    else index.fill(0);
    mask = indexSize - 1;
    for (let slot = 0; slot < count; slot++) insert(slot);
  }

  function evictExpired(now: number): void {
    while (used > 0 && expiries[head]! <= now) dropHead(); // dead slots (-1) go too
  }

  rebuild();

  return {
    seen(id) {
      digestInto(id, probe);
      const position = find(probe);
      return position >= 0 && expiries[index[position]! - 1]! > options.now();
    },
    remember(id) {
      const now = options.now();
      evictExpired(now);
      digestInto(id, probe);
      const position = find(probe);
      if (position >= 0) {
        // remembered again: its old slot dies and the id moves to the newest end
        expiries[index[position]! - 1] = DEAD;
        removeAt(position);
        live--;
      }
      while (live >= maxEntries) dropHead();
      if (used === ringSize) rebuild();
      const slot = (head + used) % ringSize;
      digests.set(probe, slot * 4);
      expiries[slot] = now + windowMs;
      used++;
      live++;
      insert(slot);
    },
    size: () => live,
  };
}
