import { Kafka } from 'kafkajs';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import { kafkaClientConfig } from '../../src/kafka/kafkajs-publisher';
import { platformaticTopicAdmin } from '../../src/kafka/platformatic-admin';
import type { TopicAdmin } from '../../src/kafka/topic-monitor';
import { kafkajsTopicAdmin } from '../../src/kafka/topic-monitor';
import { CONFIG_DIR, brokers, uniqueTopic } from '../helpers/bridge';
import { createTopic } from '../helpers/kafka-broker';

type Client = 'kafkajs' | 'platformatic';
const logger = pino({ level: 'silent' });

/** The monitor's admin as main.ts builds it for `client`. */
function adminFor(client: Client, env: Record<string, string> = {}): TopicAdmin {
  const settings = loadConfig({
    configDir: CONFIG_DIR,
    env: {
      TENCENT_SDK_APP_ID: '1',
      TENCENT_CALLBACK_TOKEN: 't',
      KAFKA_BROKERS: brokers(),
      KAFKA_CLIENT: client,
      ...env,
    },
  }).kafka;
  return client === 'platformatic'
    ? platformaticTopicAdmin(settings, logger)
    : kafkajsTopicAdmin(new Kafka(kafkaClientConfig(settings, logger)));
}

describe.each<Client>(['kafkajs', 'platformatic'])(
  'the topic monitor admin over %s, real broker',
  (client) => {
    it("lists the cluster's topics and reads each topic's max.message.bytes", async () => {
      const limited = uniqueTopic('admin-limited');
      const plain = uniqueTopic('admin-plain');
      await createTopic(brokers(), limited, 1, [{ name: 'max.message.bytes', value: '4000' }]);
      await createTopic(brokers(), plain, 1);
      const admin = adminFor(client);
      try {
        const topics = await admin.listTopics();
        expect(topics).toEqual(expect.arrayContaining([limited, plain]));
        expect(topics).not.toContain(uniqueTopic('admin-absent'));
        const limits = await admin.maxMessageBytes([limited, plain]);
        expect(limits.get(limited)).toBe(4000);
        // the broker's default (message.max.bytes) applies to a topic that sets none
        expect(limits.get(plain)).toBeGreaterThan(4000);
      } finally {
        await admin.close();
      }
    });

    it('rejects when no broker answers', async () => {
      const admin = adminFor(client, {
        KAFKA_BROKERS: '127.0.0.1:1',
        KAFKA_CONNECTION_TIMEOUT_MS: '200',
        KAFKA_RETRY_RETRIES: '2',
      });
      try {
        await expect(admin.listTopics()).rejects.toThrow();
      } finally {
        await admin.close().catch(() => undefined);
      }
    });
  },
);
