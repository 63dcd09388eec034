import { Registry } from 'prom-client';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { createMetrics } from '../../src/metrics';
import type { ReceiverOptions } from '../../src/pipeline/receive-callback';
import { createCallbackReceiver } from '../../src/pipeline/receive-callback';
import type { CallbackQuery } from '../../src/tencent/query';

/**
 * Every record the receiver hands to Kafka for one callback of an unsigned app with exactly this
 * `query` (no broker: the deliverer only captures them). Use it when the test owns the whole
 * query (golden cases) or counts the records itself; otherwise use {@link receiveOnce}.
 */
export async function receiveRecords(options: {
  query: CallbackQuery;
  body: string;
  receivedAtMs: number;
  receiver: Omit<ReceiverOptions, 'deliverer' | 'metrics' | 'now'>;
}): Promise<KafkaRecord[]> {
  const records: KafkaRecord[] = [];
  const receiver = createCallbackReceiver({
    deliverer: {
      deliver: (record) => {
        records.push(record);
        return Promise.resolve('published');
      },
      spooling: () => false,
    },
    metrics: createMetrics(new Registry(), { defaultMetrics: false }),
    ...options.receiver,
    now: () => options.receivedAtMs,
  });
  const { query } = options;
  await receiver.receive(
    { query, app: { sdkAppId: query.sdkAppId, tokens: [], unsigned: true } },
    Buffer.from(options.body),
    'application/json',
  );
  return records;
}

/**
 * The record the receiver hands to Kafka for one authenticated callback (no broker: the deliverer
 * only captures it). Before-callbacks publish their observation event. Fails unless exactly one
 * record was made.
 */
export async function receiveOnce(options: {
  sdkAppId: string;
  command: string;
  body: string;
  receivedAtMs: number;
  clientIp?: string;
  optPlatform?: string;
  receiver: Omit<ReceiverOptions, 'deliverer' | 'metrics' | 'now'>;
}): Promise<KafkaRecord> {
  const { sdkAppId, command } = options;
  const records = await receiveRecords({
    query: {
      sdkAppId,
      command,
      contentType: 'json',
      clientIp: options.clientIp,
      optPlatform: options.optPlatform,
      sign: undefined,
      requestTime: undefined,
    },
    body: options.body,
    receivedAtMs: options.receivedAtMs,
    receiver: { publishBeforeEvents: true, ...options.receiver },
  });
  if (records.length !== 1) throw new Error(`${command}: ${records.length} records, not 1`);
  return records[0]!;
}
