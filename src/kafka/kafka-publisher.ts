import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/types';
import type { Metrics } from '../metrics';
import type { KafkaLog, KafkaSender, TopicLimits } from './kafkajs-publisher';
import { connectionState, createBatchingPublisher, createKafkaSender } from './kafkajs-publisher';
import { createPlatformaticSender } from './platformatic-sender';
import type { EventPublisher } from './publisher';

/**
 * The sender of the client `kafka.client` names (kafkajs or @platformatic/kafka), with the same
 * contract (`KafkaSender`). Used on the calling thread and by the I/O thread (io-thread.ts).
 */
export function createSender(options: {
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
 * The Kafka publisher on the calling thread, over the client `kafka.client` names: a batching
 * publisher over one sender. (`createWorkerPublisher` runs the same sender on the I/O thread.)
 */
export function createKafkaPublisher(options: {
  settings: BridgeConfig['kafka'];
  logger: Logger;
  metrics: Metrics;
  limits?: TopicLimits | undefined;
}): EventPublisher {
  const { settings, metrics } = options;
  const connection = connectionState(metrics, options.logger);
  const sender = createSender({
    settings,
    logger: options.logger,
    onConnected: connection.set,
    onConnectionLost: () => publisher.connectionLost(),
  });
  const publisher = createBatchingPublisher({
    sender: { ...sender, isConnected: connection.get },
    batch: settings.batch,
    metrics,
    limits: options.limits,
  });
  return publisher;
}
