import type { KafkaConfig, Message, Producer, SASLOptions } from 'kafkajs';
import type { ISocketFactory } from 'kafkajs';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { connect, isIP } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { BridgeConfig } from '../config/types';
import { PublishError, RecordRefusedError } from '../errors';
import type { KafkaRecord } from '../events/cloudevents';
import type { Metrics } from '../metrics';
import { perLabelValue } from '../metrics';
import { createBatcher } from './batcher';
import { createBisectingSend } from './bisecting-send';
import { KAFKAJS_VERSION, kafkajsVersion, useOwnProduceEncoder } from './kafkajs-encoder';
import { keyHashPartitioner } from './partitioner';
import { saslCredentials, tlsOptions } from './security';
import type { EventPublisher } from './publisher';

type KafkaSettings = BridgeConfig['kafka'];

function saslOptions(sasl: KafkaSettings['sasl']): SASLOptions | undefined {
  const credentials = saslCredentials(sasl);
  if (!credentials) return undefined;
  return credentials;
}

/**
 * Makes this thread's process warnings JSON log lines instead of free text on stderr. kafkajs
 * 2.2.4 sets a negative timer in its request queue (throttledUntil starts at -1), which Node 24
 * reports as TimeoutNegativeWarning; Node clamps it to 1 ms, so that one is harmless and logged at
 * debug.
 */
export function logProcessWarnings(logger: KafkaLog): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const level = warning.name === 'TimeoutNegativeWarning' ? 'debug' : 'warn';
    logger[level]({ warning: { name: warning.name, message: warning.message } }, 'process warning');
  });
}

/**
 * A kafkajs socket factory (same sockets as kafkajs' own: TCP or TLS, keep-alive) that tells the
 * caller about each broker connection: `onOpen` runs when a socket is created and returns what to
 * call when it closes. So publishes waiting on a connection that drops can go to the spool at
 * once instead of at their deadline (issue #15).
 */
export function observedSocketFactory(onOpen: () => (hadError: boolean) => void): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    socket.once('close', onOpen());
    return socket;
  };
}

/**
 * kafkajs client settings, every one set explicitly (kafkajs is unmaintained: no surprises).
 * kafkajs' own log lines go to debug: the bridge logs each state change itself, once
 * (connected, lost, topic missing, record dead-lettered), and kafkajs repeats its protocol
 * errors several times a second while a broker is away.
 */
export function kafkaClientConfig(
  settings: KafkaSettings,
  logger: KafkaLog,
  socketFactory?: ISocketFactory,
): KafkaConfig {
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
      ({ log }) => {
        const { message, ...extra } = log;
        logger.debug({ kafkajs: extra }, message);
      },
  };
  if (socketFactory) config.socketFactory = socketFactory;
  const ssl = tlsOptions(settings.ssl);
  if (ssl) config.ssl = ssl;
  const sasl = saslOptions(settings.sasl);
  if (sasl) config.sasl = sasl;
  return config;
}

/** What a produce request needs of a record (a `KafkaRecord` is one). */
export interface OutboundRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** A record of a batch that Kafka refused for good (see kafka-errors.ts). */
export interface Refusal {
  /** Its index in the batch. */
  index: number;
  /** Kafka's error name, e.g. `MESSAGE_TOO_LARGE`. */
  kafkaError: string;
}

/**
 * One idempotent producer, used one batch at a time: kafkajs' (`createKafkaSender`) or
 * @platformatic/kafka's (`createPlatformaticSender`), as `kafka.client` says.
 */
export interface KafkaSender {
  /**
   * Produces the records with `acks=all`. Resolves once every record was either acknowledged or
   * refused for good; the refused ones are returned (empty: all acknowledged). When a batch is
   * refused, it is split in halves until each refused record stands alone, so one bad record
   * never keeps the others out of Kafka.
   * @throws PublishError `PUBLISH_FAILED` (with `kafkaError` when a broker named one) when Kafka
   * did not take them for a reason that may pass (broker down, leader moving, topic missing …).
   */
  send(records: readonly OutboundRecord[]): Promise<Refusal[]>;
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
  /**
   * A broker connection closed while a batch was in flight (not one we closed): the callers
   * waiting for that batch need not wait for their deadline.
   */
  onConnectionLost?: () => void;
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
  let disconnecting = false;
  /** Bumped when the producer is replaced: the old one's sockets closing is not a lost connection. */
  let generation = 0;
  const kafka =
    options.kafka ??
    new Kafka(
      kafkaClientConfig(
        settings,
        logger,
        observedSocketFactory(() => {
          const openedBy = generation;
          return () => {
            if (openedBy === generation && bisecting.sending() && !disconnecting) {
              options.onConnectionLost?.();
            }
          };
        }),
      ),
    );
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
   * its caller, at least once, with the same event ids. The cluster still answers: the
   * connection state does not change.
   */
  const resetProducer = (reason: string): void => {
    logger.warn({ reason }, 'replacing the Kafka producer (new producer id)');
    const old = producer;
    generation++;
    producer = newProducer();
    connecting = undefined;
    old.disconnect().catch(() => undefined);
  };

  /** One produce request for `records`; throws kafkajs' error as it is. */
  async function produce(records: readonly OutboundRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const record of records) {
      let messages = byTopic.get(record.topic);
      if (!messages) byTopic.set(record.topic, (messages = []));
      messages.push({ key: record.key, value: record.value, headers: record.headers });
    }
    await ensureConnected();
    await producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: -1,
      timeout: settings.requestTimeoutMs,
      compression,
    });
  }

  const bisecting = createBisectingSend({
    produce,
    onConnected: options.onConnected,
    onProducerStateLost: (kafkaError) => resetProducer(kafkaError ?? 'producer state'),
    // kafkajs fails the whole request on one partition's error and rolls back the sequence
    // numbers of every partition in it, also of those the broker just stored. Sending any of
    // those again under this producer id would be refused (OUT_OF_ORDER_SEQUENCE_NUMBER) for
    // ever; under a new one they are stored again (duplicates with the same event ids).
    beforeSplit: (kafkaError) => resetProducer(`split a batch Kafka refused (${kafkaError})`),
  });

  return {
    send: bisecting.send,
    connect: ensureConnected,
    async disconnect() {
      disconnecting = true;
      await producer.disconnect();
      options.onConnected(false);
    },
  };
}

/**
 * Whether the Kafka cluster answers, as the publisher reports it (`isConnected`, readiness) and
 * as the `live_bridge_kafka_connected` gauge shows it: one state, so the two never disagree. A
 * record Kafka refuses does not change it: a broker that answers with an error is reachable.
 * Each change is logged once.
 */
function connectionState(
  metrics: Metrics,
  logger?: Pick<Logger, 'info' | 'warn'>,
): {
  set: (connected: boolean) => void;
  get: () => boolean;
  /** The bridge is disconnecting on purpose: the next `set(false)` is not a lost connection. */
  closing: () => void;
} {
  let connected = false;
  let everConnected = false;
  let closing = false;
  return {
    set: (value) => {
      if (value === connected) return;
      connected = value;
      metrics.kafkaConnected.set(value ? 1 : 0);
      if (value) {
        logger?.info(everConnected ? 'Kafka answers again' : 'connected to Kafka');
        everConnected = true;
      } else if (closing) {
        logger?.info('disconnected from Kafka');
      } else if (everConnected) {
        logger?.warn('lost the connection to Kafka: new events are spooled until it answers');
      }
    },
    get: () => connected,
    closing: () => {
      closing = true;
    },
  };
}

/** The least time `close` gives the client to disconnect, in ms. */
const DISCONNECT_MIN_MS = 1000;

/** Waits for `promise` (its rejection included) or `ms`, whichever comes first. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a batching publisher needs from whoever talks to Kafka. */
export interface BatchSender {
  /** See KafkaSender.send: resolves with the refused records, throws PublishError otherwise. */
  send(records: KafkaRecord[]): Promise<Refusal[]>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
}

/**
 * Bytes a record takes in a record batch of its own, at most: the batch header (61 bytes), the
 * record's fixed fields and length prefixes (varints, at most 5 bytes each), key, value and
 * headers. The broker compares this batch size with the topic's `max.message.bytes`.
 * https://kafka.apache.org/documentation/#recordbatch
 */
export function recordBatchBytes(record: OutboundRecord): number {
  let bytes = 61 + 5 + 1 + 10 + 5 + 5 + Buffer.byteLength(record.key) + 5 + record.value.length + 5;
  for (const name in record.headers) {
    bytes += 10 + Buffer.byteLength(name) + Buffer.byteLength(record.headers[name]!);
  }
  return bytes;
}

/** The largest record batch each topic takes (`max.message.bytes`), when known. */
export type TopicLimits = (topic: string) => number | undefined;

/**
 * Cuts a batch, in order, into produce requests in which each topic's records add up to at most
 * its `max.message.bytes` (counted as if they all went to one partition), so the broker never
 * refuses a batch only for its total size. Unknown limits do not cut.
 */
export function fitToLimits<T extends OutboundRecord>(
  records: readonly T[],
  limits: TopicLimits | undefined,
): T[][] {
  if (!limits) return [records as T[]];
  const chunks: T[][] = [];
  let chunk: T[] = [];
  const used = new Map<string, number>();
  for (const record of records) {
    const limit = limits(record.topic);
    const bytes = limit === undefined ? 0 : recordBatchBytes(record) - 61;
    const total = (used.get(record.topic) ?? 61) + bytes;
    if (limit !== undefined && total > limit && chunk.length > 0) {
      chunks.push(chunk);
      chunk = [];
      used.clear();
    }
    chunk.push(record);
    used.set(record.topic, (used.get(record.topic) ?? 61) + bytes);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** The EventPublisher plus the hook a sender calls when a connection drops mid-batch. */
export interface BatchingPublisher extends EventPublisher {
  /** Fails every `failFast` publish still waiting, so its caller can spool it now (issue #15). */
  connectionLost(): void;
}

/**
 * The `EventPublisher` over a sender: a micro-batcher (everything published while a batch is in
 * flight goes out in the next one), a deadline per record, the publish metrics, records larger
 * than their topic takes refused before sending, and every waiting publish failed at once when
 * the connection to Kafka drops.
 */
export function createBatchingPublisher(options: {
  sender: BatchSender;
  batch: KafkaSettings['batch'];
  metrics: Metrics;
  limits?: TopicLimits | undefined;
}): BatchingPublisher {
  const { sender, metrics } = options;
  const forwarded = perLabelValue((type) => metrics.eventsForwarded.labels({ type }));
  const batcher = createBatcher<KafkaRecord>({
    async send(records) {
      const stopTimer = metrics.publishDuration.startTimer();
      const refusals: Refusal[] = [];
      try {
        let offset = 0;
        for (const chunk of fitToLimits(records, options.limits)) {
          for (const refusal of await sender.send(chunk)) {
            refusals.push({ ...refusal, index: refusal.index + offset });
          }
          offset += chunk.length;
        }
      } catch (error) {
        stopTimer({ outcome: 'error' });
        // Nothing queued behind a failed produce request may reach Kafka before the callers have
        // reacted to the failure (the deliverer spools in acceptance order, the drainer retries
        // its whole batch): the batcher would otherwise send the next batch in this same turn.
        batcher.abandonQueued(
          new PublishError('PUBLISH_FAILED', 'an earlier produce request failed', { cause: error }),
        );
        throw error;
      }
      stopTimer({ outcome: 'ok' });
      const refused = new Set<number>();
      for (const { index } of refusals) refused.add(index);
      records.forEach((record, index) => {
        if (!refused.has(index)) forwarded(record.eventType).inc();
      });
      return refusals.map(({ index, kafkaError }) => ({
        index,
        error: new RecordRefusedError(kafkaError, records[index]!.topic),
      }));
    },
    maxItems: options.batch.maxMessages,
    lingerMs: options.batch.lingerMs,
    onBatch: (size) => metrics.publishBatchSize.observe(size),
  });
  /** `failFast` publishes not yet settled: failed together when the connection drops. */
  const waiting = new Set<(error: PublishError) => void>();

  return {
    async publish(record, deadlineMs, publishOptions) {
      const limit = options.limits?.(record.topic);
      if (limit !== undefined && recordBatchBytes(record) > limit) {
        throw new RecordRefusedError('MESSAGE_TOO_LARGE', record.topic);
      }
      const signal = { expired: false };
      let timer: NodeJS.Timeout | undefined;
      let fail: (error: PublishError) => void = () => undefined;
      const cutShort = new Promise<never>((_, reject) => {
        fail = (error) => {
          signal.expired = true;
          reject(error);
        };
        timer = setTimeout(
          () => fail(new PublishError('PUBLISH_TIMEOUT', `no Kafka ack within ${deadlineMs} ms`)),
          deadlineMs,
        );
      });
      if (publishOptions?.failFast) waiting.add(fail);
      try {
        await Promise.race([batcher.add(record, signal), cutShort]);
      } finally {
        clearTimeout(timer);
        waiting.delete(fail);
      }
    },
    connectionLost() {
      const failing = [...waiting];
      waiting.clear();
      const error = new PublishError('PUBLISH_FAILED', 'the connection to Kafka was lost');
      for (const fail of failing) fail(error);
    },
    connect: () => sender.connect(),
    abandonQueued() {
      batcher.abandonQueued(new PublishError('PUBLISH_FAILED', 'an earlier publish failed'));
    },
    async close(timeoutMs) {
      const until = Date.now() + timeoutMs;
      await within(batcher.flush(), timeoutMs);
      // A client disconnecting from a broker that does not answer waits for its requests under
      // way (kafkajs: up to kafka.requestTimeoutMs); the process is stopping, so it gets the
      // rest of the time, at least DISCONNECT_MIN_MS, and no more.
      const disconnected = sender.disconnect();
      disconnected.catch(() => undefined);
      await within(disconnected, Math.max(DISCONNECT_MIN_MS, until - Date.now()));
    },
    isConnected: () => sender.isConnected(),
  };
}

/** What a sender hears from the publisher that owns it (see `publisherOverSender`). */
export interface SenderCallbacks {
  onConnected: (connected: boolean) => void;
  onConnectionLost: () => void;
}

/**
 * A batching publisher over one sender (kafkajs or @platformatic/kafka): `makeSender` builds the
 * sender with callbacks that keep `live_bridge_kafka_connected` current and divert waiting
 * publishes when a connection is lost.
 */
export function publisherOverSender(
  options: {
    settings: KafkaSettings;
    logger: Logger;
    metrics: Metrics;
    limits?: TopicLimits | undefined;
  },
  makeSender: (callbacks: SenderCallbacks) => KafkaSender,
): EventPublisher {
  const { settings, metrics } = options;
  const connection = connectionState(metrics, options.logger);
  const sender = makeSender({
    onConnected: connection.set,
    onConnectionLost: () => publisher.connectionLost(),
  });
  const publisher = createBatchingPublisher({
    sender: { ...sender, isConnected: connection.get },
    batch: settings.batch,
    metrics,
    limits: options.limits,
  });
  return {
    ...publisher,
    async close(timeoutMs) {
      connection.closing();
      await publisher.close(timeoutMs);
    },
  };
}

/** The kafkajs publisher on the calling thread (tests and the bench inject a `kafka` client). */
export function createKafkajsPublisher(options: {
  settings: KafkaSettings;
  logger: Logger;
  metrics: Metrics;
  limits?: TopicLimits | undefined;
  /** Injected for tests; defaults to a client built from `settings`. */
  kafka?: Kafka;
}): EventPublisher {
  return publisherOverSender(options, (callbacks) =>
    createKafkaSender({
      settings: options.settings,
      logger: options.logger,
      ...(options.kafka ? { kafka: options.kafka } : {}),
      ...callbacks,
    }),
  );
}
