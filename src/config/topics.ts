import type { BridgeConfig } from './types';

/**
 * Every topic the bridge writes to: events (`kafka.topic` and the entity topics of
 * `kafka.topicByEntity`) and quarantine, each once. `kafka.createTopics` creates these.
 */
export function configuredTopics(kafka: BridgeConfig['kafka']): string[] {
  return [...new Set([kafka.topic, ...Object.values(kafka.topicByEntity), kafka.quarantineTopic])];
}
