import { CallbackRejectedError, PublishError } from '../errors';
import type { KafkaRecord } from '../events/cloudevents';
import type { EventPublisher } from '../kafka/publisher';
import { createBatcher } from '../kafka/batcher';
import type { Metrics } from '../metrics';
import type { Drainer, Spool, SpooledMessage } from '../spool';
import { SpoolFullError } from '../spool';
import type { Dedupe } from './dedupe';

/** How an event became durable, or why it needed nothing. */
export type Delivery = 'published' | 'spooled' | 'duplicate';

export interface Deliverer {
  /**
   * Makes the record durable before the caller answers Tencent: acked by Kafka, or else
   * fsync'd to the local spool.
   * @throws CallbackRejectedError `OVERLOADED` when the spool is full, `SPOOL_UNAVAILABLE` when
   * it cannot be written; PublishError when Kafka failed and there is no spool.
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
      send: (messages) => {
        spool.store.append(messages);
        return Promise.resolve();
      },
    });

  const spooling = (): boolean =>
    spool !== undefined && (spool.drainer.isActive() || !spool.store.isEmpty());

  async function toSpool(record: KafkaRecord): Promise<Delivery> {
    if (!spool || !spoolWriter) throw new Error('spool disabled');
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
      if (error instanceof SpoolFullError) {
        throw new CallbackRejectedError('OVERLOADED', 'spool is full', { cause: error });
      }
      throw new CallbackRejectedError('SPOOL_UNAVAILABLE', 'spool cannot be written', {
        cause: error,
      });
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
      await publisher.publish(record, options.publishTimeoutMs);
    } catch (error) {
      if (!spool || !(error instanceof PublishError)) throw error;
      if (!entry.diverted) divertPending();
    } finally {
      pending.delete(entry);
    }
    return entry.diverted ?? 'published';
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
