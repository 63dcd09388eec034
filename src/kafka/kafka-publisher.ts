import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/types';
import type { Metrics } from '../metrics';
import type { KafkaLog, KafkaSender, TopicLimits } from './kafkajs-publisher';
import { createKafkaSender, publisherOverSender } from './kafkajs-publisher';
import { createPlatformaticSender } from './platformatic-sender';
import type { EventPublisher } from './publisher';

/**
 * The sender of the client `kafka.client` names (kafkajs or @platformatic/kafka), with the same
 * contract (`KafkaSender`).
 */
function createSender(options: {
  settings: BridgeConfig['kafka'];
  logger: KafkaLog;
  onConnected: (connected: boolean) => void;
  onConnectionLost?: () => void;
}): KafkaSender {
  return options.settings.client === 'platformatic'
    ? createPlatformaticSender(options)
    : createKafkaSender(options);
}

/**
 * The Kafka publisher on the calling thread (the event loop: docs/decisions.md, "Kafka back on
 * the main thread"), over the client `kafka.client` names.
 */
export function createKafkaPublisher(options: {
  settings: BridgeConfig['kafka'];
  logger: Logger;
  metrics: Metrics;
  limits?: TopicLimits | undefined;
}): EventPublisher {
  return publisherOverSender(options, (callbacks) =>
    createSender({ settings: options.settings, logger: options.logger, ...callbacks }),
  );
}
