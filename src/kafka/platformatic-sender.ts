/**
 * The `KafkaSender` over @platformatic/kafka (`kafka.client: platformatic`): the maintained
 * second client behind the same seam as kafkajs (issue 16). Only this file and
 * platformatic-admin.ts import it, and only when that client is chosen: loading it costs ~0.5 s
 * and ~50 MB of RSS per thread, which the default (kafkajs) should not pay.
 */
import type { BaseOptions, Producer, ProducerOptions, SASLOptions } from '@platformatic/kafka';
import type { BridgeConfig } from '../config/types';
import { createBisectingSend } from './bisecting-send';
import type { KafkaLog, KafkaSender, OutboundRecord } from './kafkajs-publisher';
import { keyHash } from './partitioner';
import { saslCredentials, tlsOptions } from './security';

type KafkaSettings = BridgeConfig['kafka'];

/** Our records as the producer takes them: every field already bytes (see below). */
type BufferProducer = Producer<Buffer, Buffer, Buffer, Buffer>;
type BufferProducerOptions = ProducerOptions<Buffer, Buffer, Buffer, Buffer>;

const SASL_MECHANISMS = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
} as const;

/**
 * Delay before retry `attempt` (1, 2, …) in ms, as kafkajs computes it from the same settings:
 * `initialRetryTimeMs · 2^(attempt-1)`, randomized by ±20 %, at most `maxRetryTimeMs`.
 */
export function retryDelayMs(
  retry: KafkaSettings['retry'],
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(
    retry.initialRetryTimeMs * 2 ** Math.max(0, attempt - 1),
    retry.maxRetryTimeMs,
  );
  return Math.min(Math.round(base * (0.8 + 0.4 * random())), retry.maxRetryTimeMs);
}

/**
 * @platformatic/kafka client options shared by the producer and the admin client, from the
 * bridge's `kafka` settings: `connectTimeout` ← `connectionTimeoutMs`; `requestTimeout` (client
 * side) and `timeout` (the broker's side, e.g. the Produce ack timeout) ← `requestTimeoutMs`, as
 * kafkajs uses them; `retries` and `retryDelay` ← `retry.*`; TLS and SASL from `ssl` and `sasl`.
 * @throws the `readFileSync` error of an unreadable TLS or password file
 */
export function platformaticClientOptions(settings: KafkaSettings): BaseOptions {
  const options: BaseOptions = {
    clientId: settings.clientId,
    bootstrapBrokers: settings.brokers,
    autocreateTopics: false,
    connectTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    timeout: settings.requestTimeoutMs,
    retries: settings.retry.retries,
    retryDelay: (_client, _operation, attempt) => retryDelayMs(settings.retry, attempt),
    metadataMaxAge: settings.metadataMaxAgeMs,
  };
  const tls = tlsOptions(settings.ssl);
  if (tls) options.tls = tls;
  const sasl = saslCredentials(settings.sasl);
  if (sasl) {
    const mapped: SASLOptions = {
      mechanism: SASL_MECHANISMS[sasl.mechanism],
      username: sasl.username,
      password: sasl.password,
    };
    options.sasl = mapped;
  }
  return options;
}

/**
 * @platformatic/kafka producer options: the client options above, plus
 * - idempotent (which makes it `acks=all` and one request in flight per broker), no topic
 *   auto-creation; its idempotent producer turns `retries` ≤ 1 into unlimited ones, so the
 *   config loader refuses 1 with this client;
 * - no serializers: keys, values and headers are passed as Buffers. Its `stringSerializer` turns
 *   anything that is not a string (our Buffer values) into undefined, i.e. a null value;
 * - `partitioner`: the Java client's placement. Its default hashes to `murmur2 >>> 0`, not Java's
 *   `murmur2 & 0x7fffffff`, so keys would land elsewhere than with kafkajs or the Java client. It
 *   takes the remainder by the partition count itself (`producer.js` `#performSend`).
 * @throws the `readFileSync` error of an unreadable TLS or password file
 */
export function platformaticProducerOptions(settings: KafkaSettings): BufferProducerOptions {
  const options: BufferProducerOptions = {
    ...platformaticClientOptions(settings),
    idempotent: true,
    acks: -1, // ProduceAcks.ALL
    autocreateTopics: false,
    // every bridge record has a key
    partitioner: (_message, key) => (key ? keyHash(key) : 0),
  };
  if (settings.compression === 'gzip') options.compression = 'gzip';
  return options;
}

/** The client's events written as debug lines (the bridge logs each state change itself, once). */
const LOGGED_EVENTS = [
  'client:broker:connect',
  'client:broker:disconnect',
  'client:broker:failed',
  'client:performWithRetry:retry',
  'client:performWithRetry:failed',
] as const;

function describeEventArgument(value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message };
  if (Array.isArray(value)) return value.map(describeEventArgument);
  if (value !== null && typeof value === 'object' && 'broker' in value) {
    const { broker } = value as { broker?: { host?: unknown; port?: unknown } };
    return { broker: `${String(broker?.host)}:${String(broker?.port)}` };
  }
  return value;
}

/**
 * An idempotent @platformatic/kafka producer with the contract of `createKafkaSender` (see
 * `KafkaSender`): `acks=all`, one request in flight, refused records returned after splitting,
 * `PublishError('PUBLISH_FAILED')` for the rest, and a new producer id after producer-state loss.
 *
 * What differs from kafkajs, and why this stays small:
 * - It connects lazily; `connect()` asks for the producer id (InitProducerId), which needs a
 *   broker that answers, so "connected" means the same as with kafkajs.
 * - After any failed idempotent send it drops its producer id and sequence numbers, and the next
 *   send asks for a new id; on UNKNOWN_PRODUCER_ID or OUT_OF_ORDER_SEQUENCE_NUMBER it also gets
 *   a new id and resends the batch once by itself (platformatic/kafka#309, fixed in #310). So
 *   producer-state loss needs no new producer object here, unlike kafkajs (tulios/kafkajs#598).
 * - A broker connection closing or failing to open while a batch is in flight (not one we closed)
 *   is reported through `onConnectionLost`, from the client's `client:broker:disconnect` and
 *   `client:broker:failed` events.
 * - A topic missing from the metadata comes back as its own UserError ("Unknown topic …"), which
 *   kafka-errors.ts reads as UNKNOWN_TOPIC_OR_PARTITION (retriable, the cluster answered).
 */
export function createPlatformaticSender(options: {
  settings: KafkaSettings;
  logger: KafkaLog;
  onConnected: (connected: boolean) => void;
  onConnectionLost?: () => void;
}): KafkaSender {
  const { settings, logger } = options;
  let disconnecting = false;
  // Built now, so an unreadable TLS or password file fails at start, as with kafkajs.
  const producerOptions = platformaticProducerOptions(settings);
  let created: Promise<BufferProducer> | undefined;
  const producer = (): Promise<BufferProducer> =>
    (created ??= import('@platformatic/kafka').then(({ Producer }) => {
      const built: BufferProducer = new Producer(producerOptions);
      for (const event of LOGGED_EVENTS) {
        built.on(event, (...args: unknown[]) => {
          logger.debug({ platformatic: { event, args: args.map(describeEventArgument) } }, event);
        });
      }
      // As kafkajs' observed sockets: a connection closing, or failing to open, while a batch is in
      // flight means the broker is away (e.g. killed), so waiting publishes can be spooled now.
      const lost = (): void => {
        if (bisecting.sending() && !disconnecting) options.onConnectionLost?.();
      };
      built.on('client:broker:disconnect', lost);
      built.on('client:broker:failed', lost);
      return built;
    }));

  /** The producer, holding a producer id (asked for unless held; the client deduplicates). */
  async function withProducerId(): Promise<BufferProducer> {
    const current = await producer();
    if (current.producerId === undefined) await current.initIdempotentProducer({});
    return current;
  }

  async function produce(records: readonly OutboundRecord[]): Promise<void> {
    const messages = records.map((record) => {
      const headers = new Map<Buffer, Buffer>();
      for (const name in record.headers) {
        headers.set(Buffer.from(name), Buffer.from(record.headers[name]!));
      }
      return { topic: record.topic, key: Buffer.from(record.key), value: record.value, headers };
    });
    // Like kafkajs' sender: nothing is sent before the producer has its id.
    const current = await withProducerId();
    await current.send({ messages });
  }

  // Partitions the broker stored from a request it refused are sent again, after the split, under
  // the next producer id: duplicates with the same event ids (at least once), as with kafkajs.
  const bisecting = createBisectingSend({
    produce,
    onConnected: options.onConnected,
    // The client has already dropped its producer id; the next send asks for a new one.
    onProducerStateLost: (kafkaError) =>
      logger.warn({ reason: kafkaError }, 'requesting a new Kafka producer id'),
  });

  return {
    send: bisecting.send,
    async connect() {
      await withProducerId();
      options.onConnected(true);
    },
    async disconnect() {
      disconnecting = true;
      if (created) await (await created).close();
      options.onConnected(false);
    },
  };
}
