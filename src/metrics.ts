import type { Registry } from 'prom-client';
import type { SpoolStats } from './spool';
import { Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import { REJECTIONS } from './errors';
import { CALLBACK_QUARANTINED_V1 } from './events/quarantine';
import { PRODUCE_ERRORS } from './kafka/kafka-errors';
import { BEFORE_COMMANDS, COMMAND_NAMES, COMMAND_TABLE } from './pipeline/command-table';

/**
 * prom-client's default metrics include three gauges named `…_total`
 * (`nodejs_active_handles_total`, `nodejs_active_requests_total`, `nodejs_active_resources_total`),
 * which `promtool check metrics` refuses: `_total` is for counters. Their per-type twins
 * (`nodejs_active_handles{type}` …) carry the same numbers (`sum()` of them), so these are dropped.
 */
export const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/**
 * Bodies the receiver keeps in the quarantine topic, by reason: the refusals caused by the body of
 * an authenticated request, and commands without an event (src/pipeline/receive-callback.ts).
 */
const QUARANTINE_REASONS = [
  'json_invalid',
  'command_mismatch',
  'payload_invalid',
  'unsupported_command',
];

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
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  // Read at scrape time from the spool's in-memory counters (set by watchSpool).
  let spoolStats: (() => SpoolStats) | undefined;
  // Read at scrape time: the verdict /readyz gives (set by watchReadiness).
  let readiness: (() => boolean) | undefined;
  const metrics = {
    watchSpool(stats: () => SpoolStats): void {
      spoolStats = stats;
    },
    watchReadiness(ready: () => boolean): void {
      readiness = ready;
    },
    ready: new Gauge({
      name: 'live_bridge_ready',
      help: '1 when /readyz answers 200 (Kafka connected or the spool accepts, not stopping), else 0.',
      registers,
      collect() {
        this.set(readiness?.() === true ? 1 : 0);
      },
    }),
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
    webhookCertificateExpiry: new Gauge({
      name: 'live_bridge_tls_expiry_timestamp_seconds',
      help: 'notAfter of the certificate the webhook listener serves (server.tls), Unix seconds; 0 when it serves plain HTTP.',
      registers,
    }),
  };
  zeroKnownSeries(metrics);
  return metrics;
}

/**
 * Creates every series whose label values are known in advance at 0 (prom-client's "zeroing"
 * advice), so dashboards, `rate()` and alerts see a 0 from the first scrape rather than nothing
 * until the first event of each kind. The values come from the same tables that bound the labels:
 * the command table, the rejection table, Kafka's permanent produce errors.
 */
function zeroKnownSeries(metrics: Metrics): void {
  for (const command of [...COMMAND_NAMES, 'other', 'none']) {
    metrics.callbacksReceived.inc({ command }, 0);
  }
  for (const { reason } of Object.values(REJECTIONS)) metrics.callbacksRejected.inc({ reason }, 0);
  for (const reason of ['unsupported_command', 'probe'])
    metrics.callbacksIgnored.inc({ reason }, 0);
  for (const [command, verdicts] of BEFORE_COMMANDS) {
    for (const verdict of Object.keys(verdicts))
      metrics.beforeCallbacks.inc({ command, verdict }, 0);
  }
  for (const type of new Set([...COMMAND_TABLE.map((row) => row.type), CALLBACK_QUARANTINED_V1])) {
    metrics.eventsForwarded.inc({ type }, 0);
  }
  for (const outcome of ['ok', 'rejected']) metrics.requestDuration.zero({ outcome });
  for (const outcome of ['ok', 'error']) metrics.publishDuration.zero({ outcome });
  for (const reason of QUARANTINE_REASONS) metrics.eventsQuarantined.inc({ reason }, 0);
  for (const [name, kind] of Object.entries(PRODUCE_ERRORS)) {
    if (kind === 'permanent') metrics.eventsDeadLettered.inc({ reason: name.toLowerCase() }, 0);
  }
}

export type Metrics = ReturnType<typeof createMetrics>;
