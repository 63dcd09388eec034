import type { Kafka } from 'kafkajs';
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

/**
 * What the monitor asks of a Kafka admin client; one per client library (kafkajs below,
 * @platformatic/kafka in platformatic-admin.ts). Each connects on first use.
 */
export interface TopicAdmin {
  /** Names of the cluster's topics. Rejects when no broker answers. */
  listTopics(): Promise<string[]>;
  /**
   * `max.message.bytes` (bytes) of each named topic, read with DescribeConfigs; topics without a
   * usable value are left out. Rejects when refused (e.g. no DescribeConfigs permission).
   */
  maxMessageBytes(topics: readonly string[]): Promise<Map<string, number>>;
  /** Closes its connections; the next call connects again. */
  close(): Promise<void>;
}

/** `max.message.bytes` as the broker wrote it, if it is a positive integer. */
export function parseMaxMessageBytes(value: string | null | undefined): number | undefined {
  const bytes = Number(value);
  return Number.isInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** The TopicAdmin over a kafkajs admin client of `kafka`. */
export function kafkajsTopicAdmin(kafka: Kafka): TopicAdmin {
  const admin = kafka.admin();
  let connecting: Promise<void> | undefined;
  const connected = (): Promise<void> =>
    (connecting ??= admin.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    }));
  return {
    async listTopics() {
      await connected();
      return admin.listTopics();
    },
    async maxMessageBytes(topics) {
      await connected();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['max.message.bytes'],
        })),
      });
      const limits = new Map<string, number>();
      for (const resource of resources) {
        const entry = resource.configEntries.find((e) => e.configName === 'max.message.bytes');
        const bytes = parseMaxMessageBytes(entry?.configValue);
        if (bytes !== undefined) limits.set(resource.resourceName, bytes);
      }
      return limits;
    },
    async close() {
      connecting = undefined;
      await admin.disconnect();
    },
  };
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
  /** Builds the admin client (again after one failed). */
  createAdmin: () => TopicAdmin;
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
  let admin: TopicAdmin | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();

  async function readLimits(client: TopicAdmin, present: readonly string[]): Promise<void> {
    if (present.length === 0) return;
    try {
      for (const [topic, bytes] of await client.maxMessageBytes(present)) limits.set(topic, bytes);
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
    const client = (admin ??= options.createAdmin());
    let existing: Set<string>;
    try {
      existing = new Set(await client.listTopics());
    } catch (error) {
      admin = undefined;
      await client.close().catch(() => undefined);
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
      await admin?.close().catch(() => undefined);
      admin = undefined;
    },
    maxMessageBytes: (topic) => limits.get(topic),
  };
}
