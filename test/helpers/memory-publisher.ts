import { PublishError } from '../../src/errors';
import type { KafkaRecord } from '../../src/events/cloudevents';
import type { EventPublisher } from '../../src/kafka/publisher';

/**
 * An in-memory `EventPublisher` for the pipeline's unit tests: acks every record at once and
 * keeps it in `records`, in publish order, until told to fail.
 */
export interface MemoryPublisher extends EventPublisher {
  /** Every record acked so far. */
  readonly records: KafkaRecord[];
  /** From now on every publish fails with this code (undefined: ack again). */
  failWith(code: 'PUBLISH_FAILED' | 'PUBLISH_TIMEOUT' | undefined): void;
  /** How many publishes were refused. */
  readonly refused: number;
  /** How many times `abandonQueued` was called. */
  readonly abandoned: number;
}

/**
 * @param options.ackDelayMs acks each record this long after it was published (default at once),
 *   as a broker does: for tests that need requests to stay under way for a while.
 */
export function createMemoryPublisher(options: { ackDelayMs?: number } = {}): MemoryPublisher {
  const { ackDelayMs = 0 } = options;
  const records: KafkaRecord[] = [];
  let failure: 'PUBLISH_FAILED' | 'PUBLISH_TIMEOUT' | undefined;
  let refused = 0;
  let abandoned = 0;
  let connected = false;
  return {
    records,
    get refused() {
      return refused;
    },
    get abandoned() {
      return abandoned;
    },
    failWith(code) {
      failure = code;
    },
    publish(record) {
      if (failure !== undefined) {
        refused++;
        return Promise.reject(new PublishError(failure, `memory publisher: ${failure}`));
      }
      records.push(record);
      if (ackDelayMs === 0) return Promise.resolve();
      return new Promise((resolve) => setTimeout(resolve, ackDelayMs));
    },
    connect() {
      connected = true;
      return Promise.resolve();
    },
    close() {
      connected = false;
      return Promise.resolve();
    },
    abandonQueued() {
      abandoned++;
    },
    isConnected: () => connected && failure === undefined,
  };
}
