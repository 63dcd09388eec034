import type { Admin, Kafka } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { TopicLimits } from './kafkajs-publisher';

/** What the last metadata check found. */
export interface TopicCheck {
  /** Configured topics the cluster does not have. */
  missing: string[];
}

/**
 * Watches the configured topics (issue #15): whether each exists
 * (`live_bridge_kafka_topic_available{topic}`), and the largest record batch each takes
 * (`max.message.bytes`, read with DescribeConfigs), so a record that cannot fit is refused before
 * it is sent.
 */
export interface TopicMonitor {
  /**
   * Checks now. Rejects when the cluster does not answer (the gauges keep their last values).
   * With `report: false` a missing topic is not logged (the caller reports it).
   */
  check(options?: { report?: boolean }): Promise<TopicCheck>;
  /** Checks every `intervalMs` in the background until `stop`. */
  start(): void;
  stop(): Promise<void>;
  /** `max.message.bytes` of a topic as last read; undefined before the first check. */
  maxMessageBytes: TopicLimits;
}

/** One line naming the topic and both ways to fix it. */
export function missingTopicMessage(topic: string, brokers: readonly string[]): string {
  return (
    `Kafka topic "${topic}" does not exist on ${brokers.join(',')}: create it ` +
    `(kafka-topics.sh --bootstrap-server ${brokers[0] ?? 'BROKER'} --create --topic ${topic}), ` +
    'or set kafka.createTopics.enabled=true (env KAFKA_CREATE_TOPICS_ENABLED=true) so the bridge creates it'
  );
}

/** A missing topic is logged at most this often (not per request or per metadata call). */
const MISSING_LOG_INTERVAL_MS = 60_000;

export function createTopicMonitor(options: {
  kafka: Kafka;
  topics: readonly string[];
  brokers: readonly string[];
  intervalMs: number;
  metrics: Metrics;
  logger: Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;
  now?: () => number;
}): TopicMonitor {
  const { metrics, logger } = options;
  const now = options.now ?? Date.now;
  const topics = [...new Set(options.topics)];
  const limits = new Map<string, number>();
  /** When each missing topic was last logged; absent while it exists. */
  const missingSince = new Map<string, number>();
  let configsRefused = false;
  let admin: Admin | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();

  async function connectedAdmin(): Promise<Admin> {
    if (admin) return admin;
    const created = options.kafka.admin();
    await created.connect();
    admin = created;
    return created;
  }

  async function readLimits(client: Admin, present: readonly string[]): Promise<void> {
    if (present.length === 0) return;
    try {
      const { resources } = await client.describeConfigs({
        includeSynonyms: false,
        resources: present.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['max.message.bytes'],
        })),
      });
      for (const resource of resources) {
        const entry = resource.configEntries.find((e) => e.configName === 'max.message.bytes');
        const value = Number(entry?.configValue);
        if (Number.isInteger(value) && value > 0) limits.set(resource.resourceName, value);
      }
      configsRefused = false;
    } catch (error) {
      // E.g. no DescribeConfigs permission: records are still sent, and the broker's refusal
      // takes an oversized one off the path.
      if (!configsRefused) {
        logger.warn({ err: error }, "cannot read the topics' max.message.bytes");
      }
      configsRefused = true;
    }
  }

  async function check(report = true): Promise<TopicCheck> {
    let client: Admin;
    let existing: Set<string>;
    try {
      client = await connectedAdmin();
      existing = new Set(await client.listTopics());
    } catch (error) {
      const stale = admin;
      admin = undefined;
      await stale?.disconnect().catch(() => undefined);
      throw error;
    }
    const missing = topics.filter((topic) => !existing.has(topic));
    for (const topic of topics) {
      const available = existing.has(topic);
      metrics.kafkaTopicAvailable.set({ topic }, available ? 1 : 0);
      const lastLogged = missingSince.get(topic);
      if (available) {
        if (lastLogged !== undefined) logger.info({ topic }, 'Kafka topic exists again');
        missingSince.delete(topic);
      } else {
        limits.delete(topic);
        if (!report) continue;
        if (lastLogged === undefined || now() - lastLogged >= MISSING_LOG_INTERVAL_MS) {
          logger.error({ topic }, missingTopicMessage(topic, options.brokers));
          missingSince.set(topic, now());
        }
      }
    }
    await readLimits(
      client,
      topics.filter((topic) => existing.has(topic)),
    );
    return { missing };
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = check()
        .catch((error: unknown) => logger.debug({ err: error }, 'topic check failed'))
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  }

  return {
    check: (checkOptions) => {
      const result = check(checkOptions?.report ?? true);
      running = result.catch(() => undefined);
      return result;
    },
    start: schedule,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await admin?.disconnect().catch(() => undefined);
      admin = undefined;
    },
    maxMessageBytes: (topic) => limits.get(topic),
  };
}
