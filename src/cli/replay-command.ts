import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { BridgeConfig } from '../config/types';
import { createKafkaPublisher } from '../kafka/kafka-publisher';
import type { TopicRange } from '../kafka/topic-reader';
import { readTopicRange } from '../kafka/topic-reader';
import { createMetrics } from '../metrics';
import type { ReplayVerdict } from '../pipeline/replay-quarantine';
import { createQuarantineReplayer } from '../pipeline/replay-quarantine';

/** One line of `replay-quarantine`'s report. */
export interface ReplayLine {
  partition: number;
  offset: string;
  /** The quarantine record's own `ce_id`. */
  quarantineId: string | null;
  /** Why it was quarantined. */
  quarantineReason: string | null;
  outcome: 'published' | 'would_publish' | 'still_fails' | 'skipped';
  /** The event's id and where it went (published, would_publish). */
  eventId?: string;
  eventType?: string;
  topic?: string;
  /** Why it still fails or was skipped. */
  reason?: string;
  detail?: string;
}

/** The totals printed at the end. */
export interface ReplaySummary {
  read: number;
  published: number;
  wouldPublish: number;
  stillFails: number;
  skipped: number;
}

/**
 * Reads the quarantine topic's `range`, re-runs each record through the receiver's code path
 * with the current schemas, and publishes those that pass (unless `dryRun`) to their topic with
 * the bridge's own publisher (acks=all). Each record's outcome goes to `report` as it is known.
 * @throws whatever reading the topic or publishing throws (the records before it are reported).
 */
export async function replayQuarantine(options: {
  config: Readonly<BridgeConfig>;
  logger: Logger;
  range: TopicRange;
  dryRun: boolean;
  timeoutMs: number;
  report: (line: ReplayLine) => void;
  progress: (done: number, total: bigint) => void;
}): Promise<ReplaySummary> {
  const { config } = options;
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const replayer = createQuarantineReplayer({
    metrics,
    topic: config.kafka.topic,
    topicByEntity: config.kafka.topicByEntity,
    quarantineTopic: config.kafka.quarantineTopic,
    contentMode: config.events.contentMode,
    dataSchemaBaseUrl: config.events.dataSchemaBaseUrl,
  });
  const publisher = options.dryRun
    ? undefined
    : createKafkaPublisher({ settings: config.kafka, logger: options.logger, metrics });
  const summary: ReplaySummary = {
    read: 0,
    published: 0,
    wouldPublish: 0,
    stillFails: 0,
    skipped: 0,
  };
  let total = 0n;
  const ticker = setInterval(() => options.progress(summary.read, total), 1000);
  try {
    await readTopicRange({
      settings: config.kafka,
      logger: options.logger,
      topic: config.kafka.quarantineTopic,
      range: options.range,
      timeoutMs: options.timeoutMs,
      onPlanned: (count) => (total = count),
      onRecord: async (record) => {
        summary.read += 1;
        const verdict: ReplayVerdict = await replayer.replay(record);
        const line: ReplayLine = {
          partition: record.partition,
          offset: record.offset,
          quarantineId: record.headers.ce_id ?? null,
          quarantineReason: record.headers.ce_quarantinereason ?? null,
          outcome: verdict.outcome === 'passes' ? 'would_publish' : verdict.outcome,
        };
        if (verdict.outcome === 'passes') {
          const { record: event } = verdict;
          Object.assign(line, {
            eventId: event.eventId,
            eventType: event.eventType,
            topic: event.topic,
          });
          if (publisher === undefined) summary.wouldPublish += 1;
          else {
            await publisher.publish(event, config.kafka.requestTimeoutMs);
            line.outcome = 'published';
            summary.published += 1;
          }
        } else {
          Object.assign(line, { reason: verdict.reason, detail: verdict.detail });
          if (verdict.outcome === 'still_fails') summary.stillFails += 1;
          else summary.skipped += 1;
        }
        options.report(line);
      },
    });
  } finally {
    clearInterval(ticker);
    await publisher?.close(5000).catch(() => undefined);
  }
  return summary;
}
