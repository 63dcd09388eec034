import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/types';
import { PublishError } from '../errors';
import type { KafkaRecord } from '../events/cloudevents';
import type { IoThread } from '../io-thread';
import { startIoThread } from '../io-thread';
import type { Metrics } from '../metrics';
import type { Refusal, TopicLimits } from './kafkajs-publisher';
import { connectionState, createBatchingPublisher } from './kafkajs-publisher';
import type { EventPublisher } from './publisher';
import type { FromWorker, PackedBatch } from './worker-protocol';
import { packRecords } from './worker-protocol';

/** A message to the worker before it gets its call id. */
type Outgoing = { op: 'send'; batch: PackedBatch } | { op: 'connect' } | { op: 'close' };

/**
 * The Kafka publisher with the configured client (`kafka.client`) on the I/O thread
 * (io-thread.ts). Batching, deadlines and metrics stay on the main thread (the same
 * `createBatchingPublisher` as the in-thread publisher); each batch is posted to the thread,
 * which produces it with its own idempotent producer and answers. Encoding and network work thus
 * leave the event loop that answers Tencent: measured in issue 16, this placement answered
 * 26–39 % more callbacks per second than producing on the main thread (docs/decisions.md). If the
 * thread stops on its own, the batches it held fail (their callers spool them), so do all later
 * ones, and the server exits (src/main.ts).
 */
export function createWorkerPublisher(options: {
  settings: BridgeConfig['kafka'];
  logger: Logger;
  metrics: Metrics;
  limits?: TopicLimits | undefined;
  /** The I/O thread, started with a `kafka` part; default: a thread of its own. */
  thread?: IoThread | undefined;
}): EventPublisher {
  const { settings, logger, metrics } = options;
  const thread = options.thread ?? startIoThread({ kafka: { settings } });
  const port = thread.kafka;
  if (!port) throw new Error('createWorkerPublisher: the I/O thread has no Kafka part');
  const pending = new Map<
    number,
    { resolve: (refusals: Refusal[]) => void; reject: (error: Error) => void }
  >();
  let nextId = 1;
  let closed: Promise<void> | undefined;
  const connection = connectionState(metrics, logger);

  function failAll(error: Error): void {
    const waiting = [...pending.values()];
    pending.clear();
    for (const call of waiting) call.reject(error);
  }

  port.on('message', (message: FromWorker): void => {
    switch (message.op) {
      case 'done': {
        const call = pending.get(message.id);
        if (!call) return;
        pending.delete(message.id);
        if (!message.error) return call.resolve(message.refusals ?? []);
        const { code, message: text, cause, kafkaError } = message.error;
        return call.reject(new PublishError(code, text, { cause, kafkaError }));
      }
      case 'connected':
        return connection.set(message.value);
      case 'connection-lost':
        return publisher.connectionLost();
      case 'log':
        if (logger.isLevelEnabled(message.level)) {
          logger[message.level]({ ...message.fields, thread: 'kafka' }, message.msg);
        }
    }
  });
  thread.onExit((cause) => {
    connection.set(false);
    failAll(new PublishError('PUBLISH_FAILED', "the Kafka client's I/O thread stopped", { cause }));
  });

  function call(message: Outgoing): Promise<Refusal[]> {
    if (thread.stopped()) {
      return Promise.reject(
        new PublishError('PUBLISH_FAILED', "the Kafka client's I/O thread stopped"),
      );
    }
    const id = nextId++;
    return new Promise<Refusal[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      const transfer = message.op === 'send' ? [message.batch.values, message.batch.layout] : [];
      port!.postMessage({ ...message, id }, transfer);
    });
  }

  const publisher = createBatchingPublisher({
    limits: options.limits,
    sender: {
      send: (records: KafkaRecord[]) => call({ op: 'send', batch: packRecords(records) }),
      connect: () => call({ op: 'connect' }).then(() => undefined),
      disconnect() {
        if (thread.stopped()) return Promise.resolve();
        closed ??= call({ op: 'close' })
          .finally(() => thread.release())
          .then(() => undefined);
        return closed;
      },
      isConnected: connection.get,
    },
    batch: settings.batch,
    metrics,
  });
  return publisher;
}
