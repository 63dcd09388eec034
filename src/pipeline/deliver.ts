import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/types';
import { CallbackRejectedError, PublishError, RecordRefusedError } from '../errors';
import type { KafkaRecord } from '../events/cloudevents';
import { recordType } from '../events/cloudevents';
import { deadLetterRecord, isDeadLetterCopy } from '../events/quarantine';
import type { EventPublisher } from '../kafka/publisher';
import { createBatcher } from '../kafka/batcher';
import type { Metrics } from '../metrics';
import type {
  DeadLetterMark,
  Drainer,
  DrainerOptions,
  Spool,
  SpooledMessage,
  SpoolRecord,
} from '../spool';
import { SpoolFullError, createDrainer } from '../spool';
import type { Dedupe } from './dedupe';

/**
 * How an event became durable, or why it needed nothing. `dead_lettered`: Kafka refused it for
 * good on its topic; its copy went to the quarantine topic (or the spool, on its way there) or
 * to the spool's dead-letter table.
 */
export type Delivery = 'published' | 'spooled' | 'duplicate' | 'dead_lettered';

export interface Deliverer {
  /**
   * Makes the record durable before the caller answers Tencent: acked by Kafka, or else
   * fsync'd to the local spool.
   * @throws CallbackRejectedError `OVERLOADED` when the spool is full, `SPOOL_UNAVAILABLE` when
   * it cannot be written; PublishError when Kafka failed and there is no spool; RecordRefusedError
   * when Kafka refused it for good and there is neither room in the quarantine topic nor a spool.
   */
  deliver(record: KafkaRecord): Promise<Delivery>;
  /** True while new records go to the spool (it holds records, or a drain is running). */
  spooling(): boolean;
}

export interface DelivererOptions {
  publisher: EventPublisher;
  publishTimeoutMs: number;
  metrics: Metrics;
  now: () => number;
  /** Absent: spooling is disabled, a failed publish is the caller's error. */
  spool?: { store: Spool; drainer: Drainer } | undefined;
  dedupe?: Dedupe | undefined;
  /** Where copies of records Kafka refused for good go (issue #15). */
  quarantineTopic: string;
  logger: Pick<Logger, 'error'>;
}

/**
 * Counts and logs (once, with its event id) a record Kafka refused for good. Shared by the
 * deliverer and the spool drainer.
 */
export function reportDeadLetter(
  metrics: Metrics,
  logger: Pick<Logger, 'error'>,
  record: Pick<KafkaRecord, 'eventId' | 'topic'>,
  kafkaError: string,
): void {
  metrics.eventsDeadLettered.inc({ reason: kafkaError.toLowerCase() });
  logger.error(
    { eventId: record.eventId, topic: record.topic, kafkaError },
    'Kafka refused an event for good: it goes to the quarantine topic or the dead-letter table',
  );
}

/** The answer to a callback the spool could not take: full (any bound) or not writable. */
function spoolRejection(error: unknown): CallbackRejectedError {
  return error instanceof SpoolFullError
    ? new CallbackRejectedError('OVERLOADED', 'spool is full', { cause: error })
    : new CallbackRejectedError('SPOOL_UNAVAILABLE', 'spool cannot be written', { cause: error });
}

/**
 * The publish-or-spool step of the pipeline (design §3.9) with dedupe.
 *
 * Order: while the spool holds records, new records go behind them into the spool, so no record
 * of a key overtakes an earlier one. When a direct publish fails, everything still queued for
 * Kafka is turned away too and follows it into the spool, in acceptance order.
 */
export function createDeliverer(options: DelivererOptions): Deliverer {
  const { publisher, metrics, dedupe, spool } = options;
  const inFlight = new Map<string, Promise<Delivery>>();

  // Group commit: every record spooled in the same turn shares one transaction (one fsync).
  const spoolWriter =
    spool &&
    createBatcher<SpooledMessage>({
      maxItems: 1000,
      lingerMs: 0,
      send: (messages) => spool.store.append(messages),
    });

  /** Records on their way into the spool: later records must follow them there. */
  let spoolWrites = 0;
  const spooling = (): boolean =>
    spool !== undefined && (spoolWrites > 0 || spool.drainer.isActive() || !spool.store.isEmpty());

  async function toSpool(record: KafkaRecord): Promise<Delivery> {
    if (!spool || !spoolWriter) throw new Error('spool disabled');
    spoolWrites++;
    try {
      await spoolWriter.add({
        topic: record.topic,
        key: record.key,
        value: record.value,
        headers: record.headers,
        eventId: record.eventId,
        acceptedAt: options.now(),
      });
    } catch (error) {
      throw spoolRejection(error);
    } finally {
      spoolWrites--;
    }
    metrics.eventsSpooled.inc();
    spool.drainer.kick();
    return 'spooled';
  }

  /** Direct publishes not yet settled, in acceptance order. */
  interface Pending {
    record: KafkaRecord;
    /** Set when the record was sent to the spool after all. */
    diverted?: Promise<Delivery>;
  }
  const pending = new Set<Pending>(); // a Set keeps insertion order and deletes in O(1)

  /**
   * A direct publish failed: every record still waiting for Kafka (in flight or queued) goes to
   * the spool now, in acceptance order and in one synchronous pass, so none of them reaches
   * Kafka ahead of an earlier one. Copies already on the wire may still land: duplicates with
   * the same id, never a reordering.
   */
  function divertPending(): void {
    publisher.abandonQueued();
    const entries = [...pending];
    pending.clear();
    for (const entry of entries) entry.diverted = toSpool(entry.record);
  }

  async function makeDurable(record: KafkaRecord): Promise<Delivery> {
    if (spooling()) return toSpool(record);
    const entry: Pending = { record };
    pending.add(entry);
    try {
      await publisher.publish(record, options.publishTimeoutMs, { failFast: true });
    } catch (error) {
      // Already diverted to the spool by an earlier failure: that copy answers for it, and a
      // refusal meets the drainer again, which dead-letters it once.
      if (entry.diverted) return await entry.diverted;
      if (error instanceof RecordRefusedError) return await deadLetter(record, error);
      if (!spool || !(error instanceof PublishError)) throw error;
      divertPending();
    } finally {
      pending.delete(entry);
    }
    return entry.diverted ?? 'published';
  }

  /**
   * Takes a record Kafka refused for good off the path: its copy goes to the quarantine topic
   * (published or spooled like any record); when that topic refuses it too, the record goes to
   * the spool's dead-letter table. Either way it is durable when this resolves.
   */
  async function deadLetter(record: KafkaRecord, refusal: RecordRefusedError): Promise<Delivery> {
    // The quarantine copy was refused too: the caller below stores the original instead.
    if (isDeadLetterCopy(record)) throw refusal;
    reportDeadLetter(metrics, options.logger, record, refusal.kafkaError);
    if (record.topic !== options.quarantineTopic) {
      try {
        await makeDurable(deadLetterRecord(record, refusal.kafkaError, options.quarantineTopic));
        return 'dead_lettered';
      } catch (error) {
        if (!(error instanceof RecordRefusedError)) throw error;
      }
    }
    if (!spool) throw refusal;
    try {
      await spool.store.addDeadLetters([
        { ...record, acceptedAt: options.now(), kafkaError: refusal.kafkaError },
      ]);
    } catch (error) {
      throw spoolRejection(error);
    }
    return 'dead_lettered';
  }

  return {
    spooling,
    async deliver(record) {
      const id = record.eventId;
      if (dedupe?.seen(id)) {
        metrics.duplicates.inc();
        return 'duplicate';
      }
      const pending = inFlight.get(id);
      if (pending) {
        // The same callback is being delivered right now: share its outcome.
        const outcome = await pending.catch(() => undefined);
        if (outcome !== undefined) {
          metrics.duplicates.inc();
          return 'duplicate';
        }
      }
      const attempt = makeDurable(record);
      inFlight.set(id, attempt);
      try {
        const outcome = await attempt;
        dedupe?.remember(id);
        return outcome;
      } finally {
        if (inFlight.get(id) === attempt) inFlight.delete(id);
      }
    },
  };
}

/**
 * The spool drainer's publish step (see DrainerOptions.publish): republishes a batch of spooled
 * records; a record Kafka refused for good gets its copy published to the quarantine topic, or,
 * when that topic refuses it too, is named for the dead-letter table. Any other failure rejects,
 * so the drainer retries the whole batch (consumers dedupe by event id).
 */
export function createDrainPublish(options: {
  publisher: EventPublisher;
  deadlineMs: number;
  quarantineTopic: string;
  metrics: Metrics;
  logger: Pick<Logger, 'error'>;
}): (records: readonly SpoolRecord[]) => Promise<DeadLetterMark[]> {
  const { publisher, deadlineMs } = options;
  return async (records) => {
    // The CloudEvents type (for the metrics) is read back from each record once.
    const typed = records.map((record) => ({ ...record, eventType: recordType(record) }));
    const outcomes = await Promise.allSettled(
      typed.map((record) => publisher.publish(record, deadlineMs)),
    );
    const refused: { record: (typeof typed)[number]; refusal: RecordRefusedError }[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') return;
      if (!(outcome.reason instanceof RecordRefusedError)) throw outcome.reason;
      refused.push({ record: typed[index]!, refusal: outcome.reason });
    });
    const marks: DeadLetterMark[] = [];
    for (const { record, refusal } of refused) {
      const copy = isDeadLetterCopy(record);
      if (!copy) reportDeadLetter(options.metrics, options.logger, record, refusal.kafkaError);
      if (!copy && record.topic !== options.quarantineTopic) {
        const quarantined = deadLetterRecord(record, refusal.kafkaError, options.quarantineTopic);
        try {
          await publisher.publish(quarantined, deadlineMs);
          continue;
        } catch (error) {
          if (!(error instanceof RecordRefusedError)) throw error;
        }
      }
      marks.push({ seq: record.seq, kafkaError: refusal.kafkaError });
    }
    return marks;
  };
}

/**
 * The spool drainer of the server and of the `spool drain` command: batch size and backoff from
 * `config.spool`, publishing with `createDrainPublish` (ack deadline `kafka.requestTimeoutMs`,
 * records Kafka refuses for good to `kafka.quarantineTopic` or the dead-letter table). The
 * `on…` hooks are the caller's logs and metrics (see DrainerOptions).
 * @throws RangeError when `config.spool`'s batch size or backoff is out of range (createDrainer)
 */
export function createSpoolDrainer(
  options: {
    config: Readonly<BridgeConfig>;
    publisher: EventPublisher;
    metrics: Metrics;
    logger: Pick<Logger, 'error'>;
  } & Pick<DrainerOptions, 'spool' | 'onStart' | 'onEmpty' | 'onDrained' | 'onError'>,
): Drainer {
  const { config, publisher, metrics, logger, ...drainer } = options;
  return createDrainer({
    ...drainer,
    batchSize: config.spool.drainBatchSize,
    backoffMinMs: config.spool.drainBackoffMinMs,
    backoffMaxMs: config.spool.drainBackoffMaxMs,
    publish: createDrainPublish({
      publisher,
      deadlineMs: config.kafka.requestTimeoutMs,
      quarantineTopic: config.kafka.quarantineTopic,
      metrics,
      logger,
    }),
  });
}
