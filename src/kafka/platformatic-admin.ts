import type { Admin } from '@platformatic/kafka';
import type { BridgeConfig } from '../config/types';
import type { KafkaLog } from './kafkajs-publisher';
import { platformaticClientOptions } from './platformatic-sender';
import type { TopicAdmin } from './topic-monitor';
import { parseMaxMessageBytes } from './topic-monitor';

/** ConfigResourceTypes.TOPIC (DescribeConfigs): https://kafka.apache.org/protocol#The_Messages_DescribeConfigs */
const TOPIC_RESOURCE = 2;

/**
 * The TopicAdmin over a @platformatic/kafka admin client, with the producer's connection settings
 * (`kafka.client: platformatic`, so that client uses no kafkajs for its topic checks). The
 * library is loaded on first use, as in platformatic-sender.ts. Its retries are the client's
 * (`retry.*`); its events are debug lines.
 * @throws the `readFileSync` error of an unreadable TLS or password file
 */
export function platformaticTopicAdmin(
  settings: BridgeConfig['kafka'],
  logger: Pick<KafkaLog, 'debug'>,
): TopicAdmin {
  const options = platformaticClientOptions(settings);
  let created: Promise<Admin> | undefined;
  const admin = (): Promise<Admin> =>
    (created ??= import('@platformatic/kafka').then(({ Admin }) => {
      const built = new Admin(options);
      built.on('client:broker:failed', () =>
        logger.debug(
          { platformatic: { event: 'client:broker:failed' } },
          'admin connection failed',
        ),
      );
      return built;
    }));
  return {
    async listTopics() {
      return (await admin()).listTopics();
    },
    async maxMessageBytes(topics) {
      const described = await (
        await admin()
      ).describeConfigs({
        resources: topics.map((name) => ({
          resourceType: TOPIC_RESOURCE,
          resourceName: name,
          configurationKeys: ['max.message.bytes'],
        })),
      });
      const limits = new Map<string, number>();
      for (const resource of described) {
        const entry = resource.configs.find((config) => config.name === 'max.message.bytes');
        const bytes = parseMaxMessageBytes(entry?.value);
        if (bytes !== undefined) limits.set(resource.resourceName, bytes);
      }
      return limits;
    },
    async close() {
      const closing = created;
      created = undefined;
      if (closing) await (await closing).close();
    },
  };
}
