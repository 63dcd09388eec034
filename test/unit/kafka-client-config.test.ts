import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import { kafkaClientConfig } from '../../src/kafka/kafkajs-publisher';

const CONFIG_DIR = join(__dirname, '..', '..', 'config');
const logger = pino({ level: 'silent' });

function settings(env: Record<string, string>) {
  return loadConfig({
    configDir: CONFIG_DIR,
    env: { TENCENT_SDK_APP_ID: '1', TENCENT_CALLBACK_TOKEN: 't', ...env },
  }).kafka;
}

describe('kafkaClientConfig', () => {
  it('sets every timeout and retry explicitly, without TLS or SASL by default', () => {
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
    expect(config.ssl).toBeUndefined();
    expect(config.sasl).toBeUndefined();
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'])(
    'passes SASL %s with the password read from its file',
    (mechanism) => {
      const dir = mkdtempSync(join(tmpdir(), 'sasl-'));
      writeFileSync(join(dir, 'password'), 's3cret\n');
      const config = kafkaClientConfig(
        settings({
          KAFKA_SASL_MECHANISM: mechanism,
          KAFKA_SASL_USERNAME: 'bridge',
          KAFKA_SASL_PASSWORD_FILE: join(dir, 'password'),
        }),
        logger,
      );
      expect(config.sasl).toEqual({ mechanism, username: 'bridge', password: 's3cret' });
    },
  );

  it('builds TLS options from PEM files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, name), name);
    const config = kafkaClientConfig(
      settings({
        KAFKA_SSL_ENABLED: 'true',
        KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
        KAFKA_SSL_CA_FILE: join(dir, 'ca.pem'),
        KAFKA_SSL_CERT_FILE: join(dir, 'cert.pem'),
        KAFKA_SSL_KEY_FILE: join(dir, 'key.pem'),
      }),
      logger,
    );
    expect(config.ssl).toEqual({
      rejectUnauthorized: false,
      ca: [Buffer.from('ca.pem')],
      cert: Buffer.from('cert.pem'),
      key: Buffer.from('key.pem'),
    });
  });

  it('enables TLS with the system CAs when no file is given', () => {
    const config = kafkaClientConfig(settings({ KAFKA_SSL_ENABLED: 'true' }), logger);
    expect(config.ssl).toEqual({ rejectUnauthorized: true });
  });
});
