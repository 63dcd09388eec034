import { isoTime } from '../../src/events/time';
import { seededRandom } from '../helpers/random';

describe('isoTime', () => {
  it('equals Date#toISOString at the edges of its range and of each field', () => {
    for (const ms of [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 951782400000, 253402300799999]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('equals Date#toISOString for random times, including times sharing cache slots', () => {
    const random = seededRandom(42);
    const base = 1_764_000_000_000;
    for (let i = 0; i < 50000; i++) {
      const ms = random.bool(0.5) ? base + random.int(0, 60_000) : random.int(0, 253402300799999);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
