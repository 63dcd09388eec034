import { randomBytes } from 'node:crypto';
import { crc32c } from '../../src/kafka/crc32c';
import {
  KAFKAJS_VERSION,
  kafkajsModule,
  kafkajsVersion,
  useOwnProduceEncoder,
} from '../../src/kafka/kafkajs-encoder';
import * as produceRequest from '../../src/kafka/produce-request';
import type { ProduceMessage, ProduceRequestArgs } from '../../src/kafka/produce-request';

// kafkajs' own pieces, loaded before our encoder replaces the request module
const kafkajsCrc32c = kafkajsModule<(b: Buffer) => number>(
  'kafkajs/src/protocol/recordBatch/crc32C',
);
const kafkajsRequest = kafkajsModule<
  (args: ProduceRequestArgs & { compression?: number }) => {
    encode: () => Promise<{ buffer: Buffer }>;
  }
>('kafkajs/src/protocol/requests/produce/v3/request');
const Long = kafkajsModule<{ fromValue(v: number | string): unknown }>('kafkajs/src/utils/long');

const NOW = 1_764_000_000_123;

async function kafkajsBytes(args: ProduceRequestArgs): Promise<Buffer> {
  return (await kafkajsRequest(args).encode()).buffer;
}

function message(n: number, extra: Partial<ProduceMessage> = {}): ProduceMessage {
  return {
    key: `room-${n}`,
    value: Buffer.from(JSON.stringify({ n, text: 'x'.repeat(n * 37) })),
    headers: {
      ce_specversion: '1.0',
      ce_id: randomBytes(32).toString('hex'),
      ce_type: 'com.tencent.live.room.created.v1',
      'content-type': 'application/json',
    },
    ...extra,
  };
}

function request(
  messages: ProduceMessage[],
  extra: Partial<ProduceRequestArgs> = {},
): ProduceRequestArgs {
  return {
    acks: -1,
    timeout: 30_000,
    producerId: Long.fromValue(4242) as bigint, // kafkajs' Long, read through its string form
    producerEpoch: 3,
    topicData: [
      { topic: 'live.room-events.v1', partitions: [{ partition: 0, firstSequence: 17, messages }] },
    ],
    ...extra,
  };
}

beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
afterEach(() => jest.restoreAllMocks());

describe('crc32c', () => {
  it('gives the check value of the Castagnoli polynomial', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa); // RFC 3720, B.4: 32 bytes of zeros
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43); // and of ones
  });

  it("agrees with kafkajs' byte-at-a-time CRC on every length up to 70 and on large buffers", () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = randomBytes(length);
      expect(crc32c(bytes)).toBe(kafkajsCrc32c(bytes));
    }
    const large = randomBytes(100_003);
    expect(crc32c(large)).toBe(kafkajsCrc32c(large));
    // a view into a larger buffer, at an odd offset
    expect(crc32c(large.subarray(3, 60_001))).toBe(kafkajsCrc32c(large.subarray(3, 60_001)));
  });
});

describe('encodeProduceRequest', () => {
  it("writes the same bytes as kafkajs for the bridge's records", async () => {
    const args = request(Array.from({ length: 40 }, (_, n) => message(n)));
    expect(produceRequest.encodeProduceRequest(args)).toEqual(await kafkajsBytes(args));
  });

  it('writes the same bytes for several topics and partitions', async () => {
    const args = request([], {
      topicData: [
        {
          topic: 'a',
          partitions: [
            { partition: 2, firstSequence: 0, messages: [message(1), message(2)] },
            { partition: 0, firstSequence: 2_147_483_000, messages: [message(3)] },
          ],
        },
        { topic: 'b.ü', partitions: [{ partition: 1, messages: [message(4)] }] },
      ],
    });
    expect(produceRequest.encodeProduceRequest(args)).toEqual(await kafkajsBytes(args));
  });

  it('writes the same bytes for null and empty keys, values and headers, and string values', async () => {
    const messages: ProduceMessage[] = [
      { key: null, value: null },
      { key: '', value: '', headers: {} },
      { key: Buffer.alloc(0), value: Buffer.from([0, 255]) },
      { value: 'ünïcödé 🎉', headers: { '': '', nul: 'a\u0000b' } },
      { key: 'k', value: 'v', headers: { repeated: ['one', Buffer.from('two'), 'three'] } },
      // sizes on both sides of varint steps (127/128 and 16383/16384 bytes)
      { key: 'x'.repeat(127), value: Buffer.alloc(128, 1) },
      { key: 'y'.repeat(16_383), value: Buffer.alloc(16_384, 2) },
    ];
    const args = request(messages);
    expect(produceRequest.encodeProduceRequest(args)).toEqual(await kafkajsBytes(args));
  });

  it('writes the same bytes with message timestamps, a transactional id and defaults', async () => {
    const stamped = [
      message(1, { timestamp: String(NOW - 5000) }),
      message(2),
      message(3, { timestamp: NOW - 9000 }),
      message(4, { timestamp: String(NOW + 3_000_000_000) }), // delta past 32 bits
    ];
    const transactional = request(stamped, { transactionalId: 'tx-1' });
    expect(produceRequest.encodeProduceRequest(transactional)).toEqual(
      await kafkajsBytes(transactional),
    );
    const defaults = { acks: 1, timeout: 5, topicData: request([message(5)]).topicData };
    expect(produceRequest.encodeProduceRequest(defaults)).toEqual(await kafkajsBytes(defaults));
  });

  it('stores a checksum Kafka can verify: any changed byte after the CRC field changes it', () => {
    const bytes = produceRequest.encodeProduceRequest(request([message(1), message(2)]));
    // request: null transactional id (2), acks (2), timeout (4), topics (4), name, partitions (4),
    // partition (4), record set size (4); then the batch
    const batchAt = 2 + 2 + 4 + 4 + 2 + 'live.room-events.v1'.length + 4 + 4 + 4;
    const batch = bytes.subarray(batchAt);
    expect(batch.readInt8(16)).toBe(2); // magic
    expect(batch.readInt32BE(8)).toBe(batch.length - 12); // batch length
    const stored = batch.readUInt32BE(17);
    expect(crc32c(batch.subarray(21))).toBe(stored);
    batch[batch.length - 1]! ^= 1;
    expect(crc32c(batch.subarray(21))).not.toBe(stored);
  });
});

describe('useOwnProduceEncoder', () => {
  it(`replaces kafkajs ${KAFKAJS_VERSION}' Produce request encoding for versions 3 to 7, except compressed batches`, async () => {
    expect(kafkajsVersion()).toBe(KAFKAJS_VERSION);
    type Built = { request: { apiVersion: number; encode(): Promise<{ buffer: Buffer }> } };
    const { protocol } = kafkajsModule<{
      protocol: (at: { version: number }) => (args: object) => Built;
    }>('kafkajs/src/protocol/requests/produce');
    const versions = (version: number) => protocol({ version });
    // A null header value tells the two apart: kafkajs cannot encode it (it throws), ours
    // writes Kafka's null (length -1).
    const withNull = request([{ key: 'k', value: 'v', headers: { gone: null } }]);
    await expect(kafkajsRequest(withNull).encode()).rejects.toThrow(/"string" argument must be/);

    expect(useOwnProduceEncoder()).toBe(true);
    expect(useOwnProduceEncoder()).toBe(true); // once

    const args = request([message(1), message(2)]);
    const expected = await kafkajsBytes(args);
    for (const version of [3, 4, 5, 6, 7]) {
      const { request: built } = versions(version)(args);
      expect(built.apiVersion).toBe(version);
      expect((await built.encode()).buffer).toEqual(expected);
      const nulled = (await versions(version)(withNull).request.encode()).buffer;
      expect(nulled).toEqual(produceRequest.encodeProduceRequest(withNull));
    }
    // the record's only header: name "gone" (varint 4, 4 bytes), value null (zigzag -1 = 0x01)
    expect(produceRequest.encodeProduceRequest(withNull).subarray(-7)).toEqual(
      Buffer.from([0x02, 0x08, ...Buffer.from('gone'), 0x01]),
    );
    // gzip (CompressionTypes.GZIP = 1) stays with kafkajs
    await expect(versions(7)({ ...withNull, compression: 1 }).request.encode()).rejects.toThrow(
      /"string" argument must be/,
    );
  });
});
