/**
 * A small seeded generator for property tests (mulberry32): the same seed gives the same inputs,
 * so a failure names the seed that reproduces it.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  bool(probability?: number): boolean;
  /** A string of `length` characters drawn from `alphabet` (by code point). */
  string(length: number, alphabet?: string): string;
}

const DEFAULT_ALPHABET = 'abcXYZ019_-:. ';

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)]!,
    bool: (probability = 0.5) => next() < probability,
    string(length, alphabet = DEFAULT_ALPHABET) {
      const chars = [...alphabet];
      let out = '';
      for (let i = 0; i < length; i++) out += chars[int(0, chars.length - 1)]!;
      return out;
    },
  };
}
