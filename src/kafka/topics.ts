import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * Creates the event and quarantine topics when they do not exist yet (config
 * `kafka.createTopics.enabled`). Existing topics are left as they are.
 */
export async function ensureTopics(options: {
  kafka: Kafka;
  topics: string[];
  partitions: number;
  replicationFactor: number;
  logger: Logger;
}): Promise<void> {
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(options.topics)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: options.partitions,
        replicationFactor: options.replicationFactor,
      })),
    });
    await waitForLeaders(admin, missing, 30_000);
    options.logger.info({ topics: missing }, 'created Kafka topics');
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until every partition of the topics has a leader (and, with `partitions`, until each topic
 * shows exactly that many). kafkajs' `waitForLeaders` gives up on UNKNOWN_TOPIC_OR_PARTITION
 * while a KRaft cluster is still propagating a new topic, so topics are created without it and
 * polled here.
 */
export async function waitForLeaders(
  admin: Admin,
  topics: string[],
  timeoutMs: number,
  partitions?: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.topics.every(
        (topic) =>
          (partitions === undefined
            ? topic.partitions.length > 0
            : topic.partitions.length === partitions) &&
          topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (ready && metadata.topics.length === topics.length) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`no leaders for ${topics.join(', ')} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
