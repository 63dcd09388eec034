import type { Kafka } from 'kafkajs';
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
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: options.partitions,
        replicationFactor: options.replicationFactor,
      })),
    });
    options.logger.info({ topics: missing }, 'created Kafka topics');
  } finally {
    await admin.disconnect();
  }
}
