import type { Registry } from 'prom-client';
import type { SpoolStats } from './spool';
import { Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';

/**
 * `child(value)` resolved once per label value: prom-client hashes the labels on every
 * `inc({…})`/`observe({…})`, which showed in the per-request profile. Only for labels whose values
 * are bounded (as all of ours are).
 */
export function perLabelValue<T>(child: (value: string) => T): (value: string) => T {
  const children = new Map<string, T>();
  return (value) => {
    let resolved = children.get(value);
    if (resolved === undefined) children.set(value, (resolved = child(value)));
    return resolved;
  };
}

/**
 * Every metric the bridge exposes, registered into the registry it is given (never the global
 * one), so tests and several instances in one process do not collide. Label values are bounded:
 * commands Tencent documents (else `other`), reason codes, event types, outcomes.
 */
export function createMetrics(registry: Registry, options: { defaultMetrics?: boolean } = {}) {
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Read at scrape time from the spool's in-memory counters (set by watchSpool).
  let spoolStats: (() => SpoolStats) | undefined;
  return {
    watchSpool(stats: () => SpoolStats): void {
      spoolStats = stats;
    },
    callbacksReceived: new Counter({
      name: 'live_bridge_callbacks_received_total',
      help: 'Callback requests received on the webhook route, by CallbackCommand.',
      labelNames: ['command'] as const,
      registers,
    }),
    callbacksRejected: new Counter({
      name: 'live_bridge_callbacks_rejected_total',
      help: 'Requests answered with a FAIL body, by reason code.',
      labelNames: ['reason'] as const,
      registers,
    }),
    callbacksIgnored: new Counter({
      name: 'live_bridge_callbacks_ignored_total',
      help: 'Authenticated callbacks answered OK without an event (unsupported command, probe).',
      labelNames: ['reason'] as const,
      registers,
    }),
    beforeCallbacks: new Counter({
      name: 'live_bridge_before_callbacks_total',
      help: 'Before-callbacks (a user action waits on them) answered, by command and the verdict given.',
      labelNames: ['command', 'verdict'] as const,
      registers,
    }),
    eventsForwarded: new Counter({
      name: 'live_bridge_events_forwarded_total',
      help: 'Events acknowledged by Kafka (acks=all), by CloudEvents type.',
      labelNames: ['type'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'live_bridge_request_duration_seconds',
      help: 'Time from request received to answer sent on the webhook route, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 5],
      registers,
    }),
    publishDuration: new Histogram({
      name: 'live_bridge_kafka_publish_duration_seconds',
      help: 'Time for one produce request (a batch) to be acknowledged by Kafka, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    publishBatchSize: new Histogram({
      name: 'live_bridge_kafka_batch_size',
      help: 'Events per produce request.',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    }),
    eventsSpooled: new Counter({
      name: 'live_bridge_events_spooled_total',
      help: 'Events written to the local spool because Kafka did not ack in time.',
      registers,
    }),
    spoolDrained: new Counter({
      name: 'live_bridge_spool_drained_total',
      help: 'Spooled events republished to Kafka and acked.',
      registers,
    }),
    spoolDrainFailures: new Counter({
      name: 'live_bridge_spool_drain_failures_total',
      help: 'Drain attempts (one batch each) that Kafka did not ack; the batch is retried.',
      registers,
    }),
    spoolDepth: new Gauge({
      name: 'live_bridge_spool_depth',
      help: 'Events in the local spool waiting for Kafka.',
      registers,
      collect() {
        if (spoolStats) this.set(spoolStats().depth);
      },
    }),
    spoolOldestAge: new Gauge({
      name: 'live_bridge_spool_oldest_age_seconds',
      help: 'Age of the oldest spooled event (0 when the spool is empty).',
      registers,
      collect() {
        const oldest = spoolStats?.().oldestAcceptedAt;
        this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
      },
    }),
    eventsQuarantined: new Counter({
      name: 'live_bridge_events_quarantined_total',
      help: 'Authenticated callbacks that failed parsing or validation, stored raw in the quarantine topic.',
      labelNames: ['reason'] as const,
      registers,
    }),
    eventsDeadLettered: new Counter({
      name: 'live_bridge_events_dead_lettered_total',
      help: 'Events Kafka refused for good (e.g. message_too_large), taken off the path to the quarantine topic or the dead-letter table, by Kafka error.',
      labelNames: ['reason'] as const,
      registers,
    }),
    spoolDeadLetters: new Gauge({
      name: 'live_bridge_spool_dead_letters',
      help: "Events in the spool's dead-letter table (refused by Kafka and by the quarantine topic); an operator re-queues or exports them.",
      registers,
      collect() {
        if (spoolStats) this.set(spoolStats().deadLetters);
      },
    }),
    kafkaTopicAvailable: new Gauge({
      name: 'live_bridge_kafka_topic_available',
      help: '1 when the configured topic exists on the cluster with a leader for every partition, 0 when it is missing, by topic (last metadata check).',
      labelNames: ['topic'] as const,
      registers,
    }),
    duplicates: new Counter({
      name: 'live_bridge_duplicates_total',
      help: 'Re-delivered callbacks (same event id) answered OK without a second Kafka record.',
      registers,
    }),
    kafkaConnected: new Gauge({
      name: 'live_bridge_kafka_connected',
      help: '1 when the last contact with Kafka succeeded, else 0.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
