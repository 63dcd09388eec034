import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, Message, Producer, SASLOptions } from 'kafkajs';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/types';
import { PublishError } from '../errors';
import type { KafkaRecord } from '../events/cloudevents';
import type { Metrics } from '../metrics';
import { createBatcher } from './batcher';
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

/** kafkajs client settings, every one set explicitly (kafkajs is unmaintained: no surprises). */
export function kafkaClientConfig(settings: KafkaSettings, logger: Logger): KafkaConfig {
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

/**
 * The Kafka publisher: an idempotent kafkajs producer (`acks=all`, one request in flight, so
 * retries never reorder or duplicate within a partition) fed by a micro-batcher.
 */
export function createKafkajsPublisher(options: {
  settings: KafkaSettings;
  logger: Logger;
  metrics: Metrics;
  /** Injected for tests; defaults to a client built from `settings`. */
  kafka?: Kafka;
}): EventPublisher {
  const { settings, logger, metrics } = options;
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
      setConnected(false);
    });
    return created;
  };
  const compression =
    settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  let connected = false;
  const setConnected = (value: boolean): void => {
    connected = value;
    metrics.kafkaConnected.set(value ? 1 : 0);
  };
  // kafkajs emits CONNECT before an idempotent producer has its producer id (InitProducerId).
  // A batch sent in that gap goes out without one and can fail after Kafka stored it, so the
  // spool would send it again. Nothing is sent, and nothing reported connected, until
  // connect() has resolved.
  let connecting: Promise<void> | undefined;
  let producer = newProducer();
  const ensureConnected = (): Promise<void> => {
    connecting ??= producer.connect().then(
      () => setConnected(true),
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
    setConnected(false);
    old.disconnect().catch(() => undefined);
  };

  async function send(records: KafkaRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const record of records) {
      let messages = byTopic.get(record.topic);
      if (!messages) byTopic.set(record.topic, (messages = []));
      messages.push({ key: record.key, value: record.value, headers: record.headers });
    }
    const stopTimer = metrics.publishDuration.startTimer();
    try {
      await ensureConnected();
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        acks: -1,
        timeout: settings.requestTimeoutMs,
        compression,
      });
      stopTimer({ outcome: 'ok' });
      setConnected(true);
      for (const record of records) metrics.eventsForwarded.inc({ type: record.eventType });
    } catch (error) {
      stopTimer({ outcome: 'error' });
      setConnected(false);
      const fatal = producerStateError(error);
      if (fatal) resetProducer(fatal);
      throw new PublishError('PUBLISH_FAILED', 'Kafka did not acknowledge the batch', {
        cause: error,
      });
    }
  }

  const batcher = createBatcher<KafkaRecord>({
    send,
    maxItems: settings.batch.maxMessages,
    lingerMs: settings.batch.lingerMs,
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
    connect: ensureConnected,
    abandonQueued() {
      batcher.abandonQueued(new PublishError('PUBLISH_FAILED', 'an earlier publish failed'));
    },
    async close(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([batcher.flush(), timeout]);
      clearTimeout(timer);
      await producer.disconnect();
      setConnected(false);
    },
    isConnected: () => connected,
  };
}
