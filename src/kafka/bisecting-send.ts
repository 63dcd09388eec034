import { PublishError } from '../errors';
import { classifyKafkaError } from './kafka-errors';
import type { OutboundRecord, Refusal } from './kafkajs-publisher';

/**
 * The `send` of a `KafkaSender`, for both clients' senders (kafkajs' and @platformatic/kafka's),
 * which differ only in how they produce and in what they do to their producer after an error.
 * A batch Kafka refuses for good is produced again in halves, each on its own and in order (so
 * a key's records keep their order), until each refused record stands alone: one bad record
 * never keeps the others out of Kafka.
 *
 * - `produce(records)`: one produce request for `records`; throws the client's error as it is.
 * - `onConnected(answered)`: after each request, whether the cluster answered (an error with a
 *   Kafka error code is an answer).
 * - `onProducerStateLost(kafkaError)`: Kafka no longer knows this producer's state (an error of
 *   kind `producer` in kafka-errors.ts, e.g. OUT_OF_ORDER_SEQUENCE_NUMBER); the batch fails as a
 *   retriable one and its caller sends it again.
 * - `beforeSplit(kafkaError)`: a refused batch of two or more records is about to be split.
 *
 * Returns `send(records)`, which resolves with the refused records (their index in `records`
 * and Kafka's error name, `UNKNOWN` when it gave none; empty: all acknowledged), and `sending()`,
 * true while a `send` is in flight (a connection lost then is one a batch was waiting on).
 * `send` throws PublishError `PUBLISH_FAILED` (with `kafkaError` when a broker named one, and
 * the client's error as `cause`) when Kafka did not take the records for a reason that may pass;
 * records of the batch refused before that are not reported.
 */
export function createBisectingSend(options: {
  produce: (records: readonly OutboundRecord[]) => Promise<void>;
  onConnected: (answered: boolean) => void;
  onProducerStateLost: (kafkaError: string | undefined) => void;
  beforeSplit?: (kafkaError: string) => void;
}): {
  send: (records: readonly OutboundRecord[]) => Promise<Refusal[]>;
  sending: () => boolean;
} {
  let sending = false;

  async function sendOrSplit(
    records: readonly OutboundRecord[],
    offset: number,
    refusals: Refusal[],
  ): Promise<void> {
    let verdict;
    try {
      await options.produce(records);
      options.onConnected(true);
      return;
    } catch (error) {
      verdict = classifyKafkaError(error);
      options.onConnected(verdict.answered);
      if (verdict.kind === 'producer') options.onProducerStateLost(verdict.name);
      if (verdict.kind !== 'permanent') {
        throw new PublishError('PUBLISH_FAILED', 'Kafka did not acknowledge the batch', {
          cause: error,
          kafkaError: verdict.name,
        });
      }
    }
    if (records.length === 1) {
      refusals.push({ index: offset, kafkaError: verdict.name ?? 'UNKNOWN' });
      return;
    }
    options.beforeSplit?.(verdict.name ?? 'UNKNOWN');
    const half = Math.ceil(records.length / 2);
    await sendOrSplit(records.slice(0, half), offset, refusals);
    await sendOrSplit(records.slice(half), offset + half, refusals);
  }

  return {
    send: async (records) => {
      const refusals: Refusal[] = [];
      sending = true;
      try {
        await sendOrSplit(records, 0, refusals);
      } finally {
        sending = false;
      }
      return refusals;
    },
    sending: () => sending,
  };
}
