/**
 * The Kafka part of the I/O thread (io-worker.ts): one `KafkaSender` of the configured client
 * (`kafka.client`) that produces the batches the main thread posts (worker-publisher.ts), so the
 * client's encoding and network work runs off the event loop that answers Tencent. Its log lines
 * and connection state go back as messages.
 */
import type { MessagePort } from 'node:worker_threads';
import { PublishError } from '../errors';
import type { KafkaLog, Refusal } from './kafkajs-publisher';
import { logProcessWarnings } from './kafkajs-publisher';
import { createSender } from './kafka-publisher';
import type { ToWorker, WorkerData, FromWorker } from './worker-protocol';
import { plainLogValue, unpackRecords } from './worker-protocol';

/** Answers the calls that arrive on `port` (one `ToWorker` each). */
export function startKafkaPart(port: MessagePort, data: WorkerData): void {
  const post = (message: FromWorker): void => port.postMessage(message);
  const level = (name: 'error' | 'warn' | 'info' | 'debug') => (obj: object, msg?: string) =>
    post({ op: 'log', level: name, fields: plainLogValue(obj) as object, msg: msg ?? '' });
  const logger: KafkaLog = {
    error: level('error'),
    warn: level('warn'),
    info: level('info'),
    debug: level('debug'),
  };

  logProcessWarnings(logger);

  let connected: boolean | undefined;
  const sender = createSender({
    settings: data.settings,
    logger,
    onConnected(value) {
      if (value === connected) return;
      connected = value;
      post({ op: 'connected', value });
    },
    onConnectionLost: () => post({ op: 'connection-lost' }),
  });

  const run = async (message: ToWorker): Promise<Refusal[] | undefined> => {
    switch (message.op) {
      case 'send':
        return sender.send(unpackRecords(message.batch));
      case 'connect':
        return sender.connect().then(() => undefined);
      case 'close':
        return sender.disconnect().then(() => undefined);
    }
  };

  port.on('message', (message: ToWorker) => {
    run(message).then(
      (refusals) =>
        post(
          refusals && refusals.length > 0
            ? { op: 'done', id: message.id, refusals }
            : { op: 'done', id: message.id },
        ),
      (error: unknown) => {
        const cause = error instanceof Error ? error.cause : undefined;
        post({
          op: 'done',
          id: message.id,
          error: {
            code: error instanceof PublishError ? error.code : 'PUBLISH_FAILED',
            message: error instanceof Error ? error.message : String(error),
            kafkaError: error instanceof PublishError ? error.kafkaError : undefined,
            cause: plainLogValue(cause ?? error),
          },
        });
      },
    );
  });
}
