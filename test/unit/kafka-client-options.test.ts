import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import { kafkaClientConfig } from '../../src/kafka/kafkajs-publisher';
import { partitionForKey } from '../../src/kafka/partitioner';
import { platformaticProducerOptions, retryDelayMs } from '../../src/kafka/platformatic-sender';
import { testTempDir } from '../helpers/temp-dir';

const CONFIG_DIR = join(__dirname, '..', '..', 'config');
const logger = pino({ level: 'silent' });

function settings(env: Record<string, string>) {
  return loadConfig({
    configDir: CONFIG_DIR,
    env: { TENCENT_SDK_APP_ID: '1', TENCENT_CALLBACK_TOKEN: 't', ...env },
  }).kafka;
}

type Settings = ReturnType<typeof settings>;

/**
 * What each `kafka.client` makes of the same TLS and SASL settings: where it puts them, and how
 * it names the SASL mechanisms.
 */
const CLIENTS: {
  client: string;
  security: (settings: Settings) => { tls: unknown; sasl: unknown };
  mechanisms: Record<string, string>;
}[] = [
  {
    client: 'kafkajs',
    security: (kafka) => {
      const config = kafkaClientConfig(kafka, logger);
      return { tls: config.ssl, sasl: config.sasl };
    },
    mechanisms: {
      plain: 'plain',
      'scram-sha-256': 'scram-sha-256',
      'scram-sha-512': 'scram-sha-512',
    },
  },
  {
    client: 'platformatic',
    security: (kafka) => {
      const options = platformaticProducerOptions(kafka);
      return { tls: options.tls, sasl: options.sasl };
    },
    mechanisms: {
      plain: 'PLAIN',
      'scram-sha-256': 'SCRAM-SHA-256',
      'scram-sha-512': 'SCRAM-SHA-512',
    },
  },
];

describe.each(CLIENTS)(
  '$client client options: TLS and SASL',
  ({ client, security, mechanisms }) => {
    const withClient = (env: Record<string, string>) => settings({ KAFKA_CLIENT: client, ...env });

    it('neither TLS nor SASL by default', () => {
      expect(security(withClient({}))).toEqual({ tls: undefined, sasl: undefined });
    });

    it.each(Object.keys(mechanisms))(
      'passes SASL %s with the password read from its file',
      (mechanism) => {
        const dir = testTempDir('sasl-');
        writeFileSync(join(dir, 'password'), 's3cret\n');
        const { sasl } = security(
          withClient({
            KAFKA_SASL_MECHANISM: mechanism,
            KAFKA_SASL_USERNAME: 'bridge',
            KAFKA_SASL_PASSWORD_FILE: join(dir, 'password'),
          }),
        );
        expect(sasl).toEqual({
          mechanism: mechanisms[mechanism],
          username: 'bridge',
          password: 's3cret',
        });
      },
    );

    it('builds TLS options from PEM files', () => {
      const dir = testTempDir('tls-');
      for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, name), name);
      const { tls } = security(
        withClient({
          KAFKA_SSL_ENABLED: 'true',
          KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
          KAFKA_SSL_CA_FILE: join(dir, 'ca.pem'),
          KAFKA_SSL_CERT_FILE: join(dir, 'cert.pem'),
          KAFKA_SSL_KEY_FILE: join(dir, 'key.pem'),
        }),
      );
      expect(tls).toEqual({
        rejectUnauthorized: false,
        ca: [Buffer.from('ca.pem')],
        cert: Buffer.from('cert.pem'),
        key: Buffer.from('key.pem'),
      });
    });

    it('enables TLS with the system CAs when no file is given', () => {
      expect(security(withClient({ KAFKA_SSL_ENABLED: 'true' })).tls).toEqual({
        rejectUnauthorized: true,
      });
    });
  },
);

describe('kafkaClientConfig', () => {
  it('sets every timeout and retry explicitly', () => {
    const config = kafkaClientConfig(settings({ KAFKA_BROKERS: 'a:9092,b:9092' }), logger);
    expect(config).toMatchObject({
      clientId: 'tencent-live-kafka-bridge',
      brokers: ['a:9092', 'b:9092'],
      connectionTimeout: 3000,
      authenticationTimeout: 3000,
      requestTimeout: 5000,
      enforceRequestTimeout: true,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  });
});

describe('platformaticProducerOptions', () => {
  const platformatic = (env: Record<string, string>) =>
    platformaticProducerOptions(settings({ KAFKA_CLIENT: 'platformatic', ...env }));

  it('an idempotent acks=all producer with every timeout and retry from the settings', () => {
    const options = platformatic({
      KAFKA_BROKERS: 'a:9092,b:9092',
      KAFKA_METADATA_MAX_AGE_MS: '7000',
    });
    expect(options).toMatchObject({
      clientId: 'tencent-live-kafka-bridge',
      bootstrapBrokers: ['a:9092', 'b:9092'],
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
      connectTimeout: 3000,
      requestTimeout: 5000,
      timeout: 5000,
      retries: 5,
      metadataMaxAge: 7000,
    });
    // no serializers: its string serializers would turn our Buffer values into null values
    expect(options.serializers).toBeUndefined();
    expect(options.compression).toBeUndefined();
  });

  it('compresses with gzip when configured', () => {
    expect(platformatic({ KAFKA_COMPRESSION: 'gzip' }).compression).toBe('gzip');
  });

  it('waits between retries as kafkajs does: doubling from the initial time, ±20 %, at most the maximum', () => {
    const retry = { retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 };
    expect([1, 2, 3, 4, 5].map((attempt) => retryDelayMs(retry, attempt, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(retryDelayMs(retry, 1, () => 0)).toBe(80);
    expect(retryDelayMs(retry, 1, () => 1)).toBe(120);
    expect(retryDelayMs(retry, 9, () => 1)).toBe(1000);
    const options = platformatic({ KAFKA_RETRY_INITIAL_RETRY_TIME_MS: '50' });
    const delay = options.retryDelay as (client: object, op: string, attempt: number) => number;
    expect(delay({}, 'produce', 1)).toBeGreaterThanOrEqual(40);
    expect(delay({}, 'produce', 1)).toBeLessThanOrEqual(60);
  });

  it('places keys as the Java client does (its own default partitioner does not)', () => {
    const { partitioner } = platformatic({});
    // the client takes the remainder by the partition count itself
    for (const key of ['room-1', 'rüm', '', 'a-much-longer-room-id-0123456789']) {
      const hash = partitioner!({ topic: 't' }, Buffer.from(key), { metadata: undefined });
      expect(hash).toBeGreaterThanOrEqual(0);
      for (const partitions of [1, 3, 7, 12]) {
        expect(hash % partitions).toBe(partitionForKey(key, partitions));
      }
    }
  });
});
