import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { encodeProduceRequest } from '../../src/kafka/produce-request';
import type { ProduceMessage } from '../../src/kafka/produce-request';
import { brokers, uniqueTopic } from '../helpers/bridge';
import { consumeAll, createTopic } from '../helpers/kafka-broker';

/**
 * Our Produce encoder against the broker itself, without kafkajs: requests written by
 * `encodeProduceRequest` go over a plain socket, and the broker's answer is read by hand. This
 * shows that Kafka takes our bytes as they are, and that it checks the batch's CRC-32C (so every
 * other test that sees an ack also saw our checksum verified).
 */

const PRODUCE = 0;
const VERSION = 3;
const CORRUPT_MESSAGE = 2;

function connectTo(address: string): Promise<Socket> {
  const [host, port] = address.split(',')[0]!.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: host!, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends one Produce request (header v1) and resolves with its one partition's error code. */
async function produce(body: Buffer, correlationId: number): Promise<number> {
  const socket = await connectTo(brokers());
  try {
    const clientId = Buffer.from('produce-request-test');
    const header = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    header.writeInt16BE(PRODUCE, 0);
    header.writeInt16BE(VERSION, 2);
    header.writeInt32BE(correlationId, 4);
    header.writeInt16BE(clientId.length, 8);
    clientId.copy(header, 10);
    const size = Buffer.alloc(4);
    size.writeInt32BE(header.length + body.length);
    socket.write(Buffer.concat([size, header, body]));

    const response = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) resolve(all);
      });
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('the broker closed the connection')));
    });
    // size, correlation id, [topic: name, [partition: index, error code, …]]
    expect(response.readInt32BE(4)).toBe(correlationId);
    let at = 8;
    expect(response.readInt32BE(at)).toBe(1); // topics
    at += 4;
    at += 2 + response.readInt16BE(at); // topic name
    expect(response.readInt32BE(at)).toBe(1); // partitions
    at += 4;
    expect(response.readInt32BE(at)).toBe(0); // partition index
    return response.readInt16BE(at + 4);
  } finally {
    socket.destroy();
  }
}

function messages(tag: string): ProduceMessage[] {
  return Array.from({ length: 5 }, (_, n) => ({
    key: `key-${n}`,
    value: JSON.stringify({ tag, n }),
    headers: { ce_id: `${tag}-${n}`, ce_type: 'test.v1', 'content-type': 'application/json' },
  }));
}

function body(topic: string, tag: string): Buffer {
  return encodeProduceRequest({
    acks: -1,
    timeout: 10_000,
    topicData: [{ topic, partitions: [{ partition: 0, messages: messages(tag) }] }],
  });
}

describe("the bridge's Produce encoder, straight to the broker", () => {
  it('is accepted as it is and read back by a consumer, headers and keys intact', async () => {
    const topic = uniqueTopic('encoder-raw');
    await createTopic(brokers(), topic, 1);
    expect(await produce(body(topic, 'plain'), 7)).toBe(0);
    const read = await consumeAll(brokers(), topic, { expected: 5, timeoutMs: 20_000 });
    expect(read.map((m) => [m.key, m.headers.ce_id, m.value.toString()])).toEqual(
      Array.from({ length: 5 }, (_, n) => [
        `key-${n}`,
        `plain-${n}`,
        JSON.stringify({ tag: 'plain', n }),
      ]),
    );
  });

  it('is refused with CORRUPT_MESSAGE when one byte the CRC covers is changed', async () => {
    const topic = uniqueTopic('encoder-corrupt');
    await createTopic(brokers(), topic, 1);
    const corrupted = body(topic, 'corrupt');
    corrupted[corrupted.length - 1]! ^= 0x01; // the last header value's last byte
    expect(await produce(corrupted, 8)).toBe(CORRUPT_MESSAGE);
    // nothing of it was stored; a correct request to the same topic still is
    expect(await produce(body(topic, 'after'), 9)).toBe(0);
    const read = await consumeAll(brokers(), topic, { expected: 5, timeoutMs: 20_000 });
    expect(read.map((m) => m.headers.ce_id)).toEqual(
      Array.from({ length: 5 }, (_, n) => `after-${n}`),
    );
  });
});
