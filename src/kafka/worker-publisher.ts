import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/types';
import { PublishError } from '../errors';
import type { KafkaRecord } from '../events/cloudevents';
import type { Metrics } from '../metrics';
import type { Refusal, TopicLimits } from './kafkajs-publisher';
import { connectionState, createBatchingPublisher } from './kafkajs-publisher';
import type { EventPublisher } from './publisher';
import type { FromWorker, PackedBatch, WorkerData } from './worker-protocol';
import { packRecords } from './worker-protocol';

/**
 * Heap of the worker thread. It only holds the batch in flight (at most `batch.maxMessages`
 * records) and kafkajs' buffers for it; a worker that outgrows this dies and is replaced.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 };

/** A message to the worker before it gets its call id. */
type Outgoing = { op: 'send'; batch: PackedBatch } | { op: 'connect' } | { op: 'close' };

function startWorker(data: WorkerData): Worker {
  const options = { workerData: data, resourceLimits: WORKER_LIMITS, name: 'kafka-publisher' };
  const compiled = join(__dirname, 'publisher-worker.js');
  if (existsSync(compiled)) return new Worker(compiled, options);
  // Running from the TypeScript sources (tests, `npm run dev`): load the entry through tsx.
  const tsx = require.resolve('tsx/cjs/api');
  const source = join(__dirname, 'publisher-worker.ts');
  return new Worker(
    `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(source)});`,
    { ...options, eval: true },
  );
}

/**
 * The Kafka publisher with the configured client (`kafka.client`) on a worker thread. Batching, deadlines and metrics stay on
 * the main thread (the same `createBatchingPublisher` as the in-thread publisher); each batch is
 * posted to the worker, which produces it with its own idempotent producer and answers. Encoding
 * and network work (a third of the bridge's CPU per request) thus leave the event loop that
 * answers Tencent. If the worker dies, the batches it held fail (their callers spool them) and
 * the next batch starts a new worker.
 */
export function createWorkerPublisher(options: {
  settings: BridgeConfig['kafka'];
  logger: Logger;
  metrics: Metrics;
  limits?: TopicLimits | undefined;
  /** Tests: sees each worker started. */
  onWorker?: (worker: Worker) => void;
}): EventPublisher {
  const { settings, logger, metrics } = options;
  const pending = new Map<
    number,
    { resolve: (refusals: Refusal[]) => void; reject: (error: Error) => void }
  >();
  let worker: Worker | undefined;
  let nextId = 1;
  let closing = false;
  const connection = connectionState(metrics, logger);

  function failAll(error: Error): void {
    const waiting = [...pending.values()];
    pending.clear();
    for (const call of waiting) call.reject(error);
  }

  function onMessage(message: FromWorker): void {
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
  }

  function spawn(): Worker {
    const started = startWorker({ settings });
    started.on('message', onMessage);
    started.on('error', (error) => logger.error({ err: error }, 'Kafka worker thread failed'));
    started.on('exit', (code) => {
      if (worker === started) worker = undefined;
      connection.set(false);
      failAll(new PublishError('PUBLISH_FAILED', `the Kafka worker thread stopped (code ${code})`));
      if (!closing)
        logger.error({ code }, 'Kafka worker thread stopped; the next batch starts one');
    });
    options.onWorker?.(started);
    return started;
  }

  function call(message: Outgoing): Promise<Refusal[]> {
    const target = (worker ??= spawn());
    const id = nextId++;
    return new Promise<Refusal[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      const transfer = message.op === 'send' ? [message.batch.values, message.batch.layout] : [];
      target.postMessage({ ...message, id }, transfer);
    });
  }

  const publisher = createBatchingPublisher({
    limits: options.limits,
    sender: {
      send: (records: KafkaRecord[]) => call({ op: 'send', batch: packRecords(records) }),
      connect: () => call({ op: 'connect' }).then(() => undefined),
      async disconnect() {
        if (!worker) return;
        closing = true;
        const stopping = worker;
        try {
          await call({ op: 'close' });
        } finally {
          await stopping.terminate();
        }
      },
      isConnected: connection.get,
    },
    batch: settings.batch,
    metrics,
  });
  return publisher;
}
