import type { PartitionerArgs, PartitionMetadata } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { kafkajsModule } from '../../src/kafka/kafkajs-encoder';
import { keyHashPartitioner, murmur2, partitionForKey } from '../../src/kafka/partitioner';
import { seededRandom } from '../helpers/random';

// kafkajs' own murmur2 (a port of the Java client's): ours must agree with it on every input.
const kafkajsMurmur2 = kafkajsModule<(key: Buffer | string) => number>(
  'kafkajs/src/producer/partitioners/default/murmur2',
);

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789:_-é中🙂\u0000';

function partitions(count: number, leaderless: number[] = []): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));
}

describe('murmur2', () => {
  it('is the Java client murmur2: the same value as kafkajs for keys of every length', () => {
    const random = seededRandom(20261125);
    for (let i = 0; i < 5000; i++) {
      const key = random.string(random.int(0, 80), ALPHABET);
      const bytes = Buffer.from(key, 'utf8');
      expect([key, murmur2(bytes)]).toEqual([key, kafkajsMurmur2(bytes)]);
    }
  });

  it('handles the empty key and each tail length', () => {
    for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'abcde', '1400000000:room-1']) {
      expect(murmur2(Buffer.from(key))).toBe(kafkajsMurmur2(Buffer.from(key)));
    }
  });

  it('gives the values of the Java client test vectors (Kafka UtilsTest.testMurmur2)', () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, value] of vectors) expect(murmur2(Buffer.from(key, 'utf8'))).toBe(value);
  });
});

describe('keyHashPartitioner', () => {
  const ours = keyHashPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  const args = (
    key: string | null,
    metadata: PartitionMetadata[],
    partition?: number,
  ): PartitionerArgs => ({
    topic: 't',
    partitionMetadata: metadata,
    message: partition === undefined ? { key, value: 'v' } : { key, value: 'v', partition },
  });

  it('places keyed records on the same partition as kafkajs DefaultPartitioner', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 3000; i++) {
      const key = `${random.int(1400000000, 1499999999)}:${random.string(random.int(1, 40), ALPHABET)}`;
      const metadata = partitions(random.int(1, 64));
      expect(ours(args(key, metadata))).toBe(theirs(args(key, metadata)));
      expect(partitionForKey(key, metadata.length)).toBe(ours(args(key, metadata)));
    }
  });

  it('keeps a keyed record on its partition even when that partition has no leader', () => {
    const key = 'room-without-leader';
    const target = partitionForKey(key, 6);
    expect(ours(args(key, partitions(6, [target])))).toBe(target);
  });

  it('honours an explicit partition', () => {
    expect(ours(args('k', partitions(6), 4))).toBe(4);
  });

  it('spreads unkeyed records round-robin over partitions that have a leader', () => {
    const metadata = partitions(4, [1]);
    const chosen = Array.from({ length: 30 }, () => ours(args(null, metadata)));
    expect(new Set(chosen)).toEqual(new Set([0, 2, 3]));
    for (let i = 1; i < chosen.length; i++) expect(chosen[i]).not.toBe(chosen[i - 1]);
  });
});
