import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, Message, Producer, SASLOptions } from 'kafkajs';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/types';
import { PublishError } from '../errors';
import type { KafkaRecord } from '../events/cloudevents';
import type { Metrics } from '../metrics';
import { perLabelValue } from '../metrics';
import { createBatcher } from './batcher';
import { KAFKAJS_VERSION, kafkajsVersion, useOwnProduceEncoder } from './kafkajs-encoder';
import { keyHashPartitioner } from './partitioner';
import type { EventPublisher } from './publisher';

type KafkaSettings = BridgeConfig['kafka'];

function sslOptions(ssl: KafkaSettings['ssl']): ConnectionOptions | undefined {
  if (!ssl.enabled) return undefined;
  const read = (file: string): Buffer | undefined => (file ? readFileSync(file) : undefined);
  const options: ConnectionOptions = { rejectUnauthorized: ssl.rejectUnauthorized };
  const ca = read(ssl.caFile);
  const cert = read(ssl.certFile);
  const key = read(ssl.keyFile);
  if (ca) options.ca = [ca];
  if (cert) options.cert = cert;
  if (key) options.key = key;
  return options;
}

function saslOptions(sasl: KafkaSettings['sasl']): SASLOptions | undefined {
  if (sasl.mechanism === 'none') return undefined;
  const password = sasl.passwordFile
    ? readFileSync(sasl.passwordFile, 'utf8').replace(/\r?\n$/, '')
    : sasl.password;
  return { mechanism: sasl.mechanism, username: sasl.username, password };
}

/**
 * Makes this thread's process warnings JSON log lines instead of free text on stderr. kafkajs
 * 2.2.4 sets a negative timer in its request queue (throttledUntil starts at -1), which Node 24
 * reports as TimeoutNegativeWarning; Node clamps it to 1 ms, so that one is harmless and logged at
 * debug. Each thread (main, Kafka worker) has its own `process` warnings.
 */
export function logProcessWarnings(logger: KafkaLog): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const level = warning.name === 'TimeoutNegativeWarning' ? 'debug' : 'warn';
    logger[level]({ warning: { name: warning.name, message: warning.message } }, 'process warning');
  });
}

/** kafkajs client settings, every one set explicitly (kafkajs is unmaintained: no surprises). */
export function kafkaClientConfig(settings: KafkaSettings, logger: KafkaLog): KafkaConfig {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: settings.connectionTimeoutMs,
    authenticationTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    enforceRequestTimeout: true,
    retry: {
      retries: settings.retry.retries,
      initialRetryTime: settings.retry.initialRetryTimeMs,
      maxRetryTime: settings.retry.maxRetryTimeMs,
      factor: 0.2,
      multiplier: 2,
    },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        let method: 'error' | 'warn' | 'debug' =
          level <= logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : 'debug';
        // We bound retries on purpose: a publish that outlives its deadline goes to the spool.
        // Idempotence still dedupes retries within the session, which is all we rely on.
        if (message.startsWith('Limiting retries for the idempotent producer')) method = 'debug';
        logger[method]({ kafkajs: extra }, message);
      },
  };
  const ssl = sslOptions(settings.ssl);
  if (ssl) config.ssl = ssl;
  const sasl = saslOptions(settings.sasl);
  if (sasl) config.sasl = sasl;
  return config;
}

/** Broker answers that mean this producer id's state is unusable; only a new producer helps. */
const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

/** The kafkajs error type of `error` or of one of its causes, when it is a producer-state error. */
function producerStateError(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string' && PRODUCER_STATE_ERRORS.has(type)) return type;
    current =
      (current as { cause?: unknown }).cause ??
      (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/** What a produce request needs of a record (a `KafkaRecord` is one). */
export interface OutboundRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** One idempotent kafkajs producer, used one batch at a time. */
export interface KafkaSender {
  /**
   * Produces the records with `acks=all`.
   * @throws PublishError `PUBLISH_FAILED` when Kafka did not acknowledge them.
   */
  send(records: readonly OutboundRecord[]): Promise<void>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** The logger methods kafkajs' log lines are written with (a pino logger, or a proxy of one). */
export type KafkaLog = Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;

/**
 * An idempotent kafkajs producer (`acks=all`, one request in flight, so retries never reorder or
 * duplicate within a partition) that connects before its first send and replaces itself when
 * the broker no longer knows its producer id. `onConnected` hears every change of state.
 */
export function createKafkaSender(options: {
  settings: KafkaSettings;
  logger: KafkaLog;
  onConnected: (connected: boolean) => void;
  /** Injected for tests; defaults to a client built from `settings`. */
  kafka?: Kafka;
}): KafkaSender {
  const { settings, logger } = options;
  if (settings.produceEncoder === 'bridge' && !useOwnProduceEncoder()) {
    logger.warn(
      { kafkajs: kafkajsVersion() },
      "the bridge's Produce encoder is not in use (it is written for kafkajs " +
        `${KAFKAJS_VERSION}, and must be installed before kafkajs' first produce in a thread); ` +
        "kafkajs' own encodes",
    );
  }
  const kafka = options.kafka ?? new Kafka(kafkaClientConfig(settings, logger));
  const newProducer = (): Producer => {
    const created = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Same placement as kafkajs' DefaultPartitioner (Java-compatible murmur2), much cheaper.
      createPartitioner: keyHashPartitioner,
      retry: {
        retries: settings.retry.retries,
        initialRetryTime: settings.retry.initialRetryTimeMs,
        maxRetryTime: settings.retry.maxRetryTimeMs,
      },
    });
    created.on(created.events.DISCONNECT, () => {
      if (producer !== created) return;
      connecting = undefined;
      options.onConnected(false);
    });
    return created;
  };
  const compression =
    settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  // kafkajs emits CONNECT before an idempotent producer has its producer id (InitProducerId).
  // A batch sent in that gap goes out without one and can fail after Kafka stored it, so the
  // spool would send it again. Nothing is sent, and nothing reported connected, until
  // connect() has resolved.
  let connecting: Promise<void> | undefined;
  let producer = newProducer();
  const ensureConnected = (): Promise<void> => {
    connecting ??= producer.connect().then(
      () => options.onConnected(true),
      (error: unknown) => {
        connecting = undefined;
        throw error;
      },
    );
    return connecting;
  };
  /**
   * After a broker lost records it had not yet replicated (e.g. a single broker SIGKILLed), the
   * producer's sequence numbers run ahead of the broker's and every later batch is refused with
   * OUT_OF_ORDER_SEQUENCE_NUMBER. kafkajs never resets its producer id, so the spool would never
   * drain. A new producer (new producer id, sequences from 0) recovers; the batch is retried by
   * its caller, at least once, with the same event ids.
   */
  const resetProducer = (reason: string): void => {
    logger.warn({ reason }, 'replacing the Kafka producer (new producer id)');
    const old = producer;
    producer = newProducer();
    connecting = undefined;
    options.onConnected(false);
    old.disconnect().catch(() => undefined);
  };

  return {
    async send(records) {
      const byTopic = new Map<string, Message[]>();
      for (const record of records) {
        let messages = byTopic.get(record.topic);
        if (!messages) byTopic.set(record.topic, (messages = []));
        messages.push({ key: record.key, value: record.value, headers: record.headers });
      }
      try {
        await ensureConnected();
        await producer.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          acks: -1,
          timeout: settings.requestTimeoutMs,
          compression,
        });
        options.onConnected(true);
      } catch (error) {
        options.onConnected(false);
        const fatal = producerStateError(error);
        if (fatal) resetProducer(fatal);
        throw new PublishError('PUBLISH_FAILED', 'Kafka did not acknowledge the batch', {
          cause: error,
        });
      }
    },
    connect: ensureConnected,
    async disconnect() {
      await producer.disconnect();
      options.onConnected(false);
    },
  };
}

/**
 * Whether Kafka is reachable, as the publisher reports it (`isConnected`, readiness) and as the
 * `live_bridge_kafka_connected` gauge shows it: one state, so the two never disagree.
 */
export function connectionState(metrics: Metrics): {
  set: (connected: boolean) => void;
  get: () => boolean;
} {
  let connected = false;
  return {
    set: (value) => {
      connected = value;
      metrics.kafkaConnected.set(value ? 1 : 0);
    },
    get: () => connected,
  };
}

/** What a batching publisher needs from whoever talks to Kafka. */
export interface BatchSender {
  send(records: KafkaRecord[]): Promise<void>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
}

/**
 * The `EventPublisher` over a sender: a micro-batcher (everything published while a batch is in
 * flight goes out in the next one), a deadline per record, and the publish metrics.
 */
export function createBatchingPublisher(options: {
  sender: BatchSender;
  batch: KafkaSettings['batch'];
  metrics: Metrics;
}): EventPublisher {
  const { sender, metrics } = options;
  const forwarded = perLabelValue((type) => metrics.eventsForwarded.labels({ type }));
  const batcher = createBatcher<KafkaRecord>({
    async send(records) {
      const stopTimer = metrics.publishDuration.startTimer();
      try {
        await sender.send(records);
      } catch (error) {
        stopTimer({ outcome: 'error' });
        throw error;
      }
      stopTimer({ outcome: 'ok' });
      for (const record of records) forwarded(record.eventType).inc();
    },
    maxItems: options.batch.maxMessages,
    lingerMs: options.batch.lingerMs,
    onBatch: (size) => metrics.publishBatchSize.observe(size),
  });

  return {
    async publish(record, deadlineMs) {
      const signal = { expired: false };
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          signal.expired = true;
          reject(new PublishError('PUBLISH_TIMEOUT', `no Kafka ack within ${deadlineMs} ms`));
        }, deadlineMs);
      });
      try {
        await Promise.race([batcher.add(record, signal), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    connect: () => sender.connect(),
    abandonQueued() {
      batcher.abandonQueued(new PublishError('PUBLISH_FAILED', 'an earlier publish failed'));
    },
    async close(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([batcher.flush(), timeout]);
      clearTimeout(timer);
      await sender.disconnect();
    },
    isConnected: () => sender.isConnected(),
  };
}

/**
 * The Kafka publisher on the calling thread: a batching publisher over one `KafkaSender`.
 * (`createWorkerPublisher` runs the same sender on a worker thread.)
 */
export function createKafkajsPublisher(options: {
  settings: KafkaSettings;
  logger: Logger;
  metrics: Metrics;
  /** Injected for tests; defaults to a client built from `settings`. */
  kafka?: Kafka;
}): EventPublisher {
  const { settings, metrics } = options;
  const connection = connectionState(metrics);
  const sender = createKafkaSender({
    settings,
    logger: options.logger,
    ...(options.kafka ? { kafka: options.kafka } : {}),
    onConnected: connection.set,
  });
  return createBatchingPublisher({
    sender: { ...sender, isConnected: connection.get },
    batch: settings.batch,
    metrics,
  });
}
