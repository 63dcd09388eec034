import { MessageChannel } from 'node:worker_threads';
import type { OutboundRecord } from '../../src/kafka/kafkajs-publisher';
import { packRecords, plainLogValue, unpackRecords } from '../../src/kafka/worker-protocol';
import type { PackedBatch } from '../../src/kafka/worker-protocol';

const records: OutboundRecord[] = [
  {
    topic: 'events',
    key: '1400000000:room-1',
    value: Buffer.from(JSON.stringify({ roomName: 'é中🙂' })),
    headers: { ce_id: 'a1', ce_type: 'com.example.v1', 'content-type': 'application/json' },
  },
  {
    topic: 'events',
    key: '1400000000:rüm\u0000\n🙂',
    value: Buffer.from('{}'),
    headers: { ce_subject: 'rüm\u0000\n🙂', '': 'empty name', ce_time: '' },
  },
  { topic: 'events.quarantine', key: '', value: Buffer.alloc(0), headers: {} },
  { topic: 'events', key: 'k', value: Buffer.from([0, 255, 10]), headers: { h: '' } },
];

/** Sends through a real MessagePort with the value bytes transferred, as the worker gets them. */
async function acrossThreads(batch: PackedBatch): Promise<PackedBatch> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<PackedBatch>((resolve) => port2.once('message', resolve));
  port1.postMessage(batch, [batch.values, batch.layout]);
  const copy = await received;
  port1.close();
  return copy;
}

describe('packed batches for the Kafka worker', () => {
  it('arrive on the other side as the same records, values as Buffers', async () => {
    const batch = packRecords(records);
    const unpacked = unpackRecords(await acrossThreads(batch));
    expect(unpacked).toEqual(records);
    for (const record of unpacked) expect(Buffer.isBuffer(record.value)).toBe(true);
    // transferred, not copied: the sender's buffers are detached
    expect(batch.values.byteLength).toBe(0);
    expect(batch.layout.byteLength).toBe(0);
  });

  it('keep values intact when the originals share one pool slab', async () => {
    const small = Array.from({ length: 50 }, (_, n) => ({
      topic: 't',
      key: `k${n}`,
      value: Buffer.from(`{"n":${n}}`),
      headers: { ce_id: String(n) },
    }));
    expect(small[0]!.value.buffer).toBe(small[1]!.value.buffer); // Node's 8 KiB pool
    const unpacked = unpackRecords(await acrossThreads(packRecords(small)));
    expect(unpacked.map((r) => r.value.toString())).toEqual(small.map((r) => r.value.toString()));
    expect(unpacked.map((r) => r.headers.ce_id)).toEqual(small.map((r) => r.headers.ce_id));
  });
});

describe('plainLogValue', () => {
  it('turns errors (with causes and kafkajs fields) into plain objects that survive cloning', () => {
    const cause = Object.assign(new Error('socket closed'), { code: 'ECONNRESET' });
    const error = Object.assign(new Error('request failed', { cause }), {
      type: 'REQUEST_TIMED_OUT',
      retriable: true,
    });
    const plain = plainLogValue({ err: error, broker: '127.0.0.1:9092', fn: () => 1 }) as {
      err: Record<string, unknown>;
      broker: string;
    };
    expect(plain.broker).toBe('127.0.0.1:9092');
    expect(plain.err).toMatchObject({
      message: 'request failed',
      type: 'REQUEST_TIMED_OUT',
      retriable: true,
      cause: { message: 'socket closed', code: 'ECONNRESET' },
    });
    expect(structuredClone(plain)).toEqual(plain);
    expect('fn' in plain).toBe(true);
    expect((plain as Record<string, unknown>).fn).toBeUndefined();
  });
});
