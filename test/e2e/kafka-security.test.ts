import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka } from 'kafkajs';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import { kafkaClientConfig } from '../../src/kafka/kafkajs-publisher';
import { platformaticTopicAdmin } from '../../src/kafka/platformatic-admin';
import { CONFIG_DIR } from '../helpers/bridge';
import { readMetrics, startBridgeProcess } from '../helpers/bridge-process';
import type { LocalBroker } from '../helpers/kafka-broker';
import {
  createTopic,
  findFreePorts,
  startLocalBroker,
  waitForRecord,
} from '../helpers/kafka-broker';
import { APP_ID, TOKEN, callbackUrl, createRoomBody } from '../helpers/tencent';
import { testTempDir } from '../helpers/temp-dir';

// A private broker with TLS and SASL listeners (scripts/kafka-local.sh KAFKA_SSL_PORT,
// KAFKA_SASL_SSL_PORT), on free ports in its own run dir. Topics are made and records read back
// over its PLAINTEXT listener; the bridge only ever talks to the secured ones.
const PASSWORD = 'bridge-secret-7f3a';
let broker: LocalBroker;
let plain: string;
let sslPort: number;
let saslPort: number;
let caFile: string;

beforeAll(async () => {
  const [port, controllerPort, ssl, sasl] = await findFreePorts(4);
  sslPort = ssl!;
  saslPort = sasl!;
  const runDir = testTempDir('kafka-secure-');
  broker = await startLocalBroker({
    runDir,
    port: port!,
    controllerPort: controllerPort!,
    sslPort,
    saslSslPort: saslPort,
    saslUsers: `bridge:${PASSWORD}`,
  });
  plain = broker.brokers;
  caFile = join(runDir, 'tls', 'ca.crt');
}, 300_000);

afterAll(async () => {
  await broker?.reset();
});

const CASES: { name: string; env: () => Record<string, string> }[] = [
  {
    name: 'TLS (SSL listener, broker certificate checked against the CA file)',
    env: () => ({
      KAFKA_BROKERS: `127.0.0.1:${sslPort}`,
      KAFKA_SSL_ENABLED: 'true',
      KAFKA_SSL_CA_FILE: caFile,
    }),
  },
  ...(['plain', 'scram-sha-256', 'scram-sha-512'] as const).map((mechanism) => ({
    name: `SASL ${mechanism} over TLS`,
    env: (): Record<string, string> => {
      // the password from a file, as the chart mounts it (scram-sha-512), or the environment
      const passwordFile = join(testTempDir('sasl-'), 'password');
      writeFileSync(passwordFile, `${PASSWORD}\n`);
      return {
        KAFKA_BROKERS: `127.0.0.1:${saslPort}`,
        KAFKA_SSL_ENABLED: 'true',
        KAFKA_SSL_CA_FILE: caFile,
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: 'bridge',
        ...(mechanism === 'scram-sha-512'
          ? { KAFKA_SASL_PASSWORD_FILE: passwordFile }
          : { KAFKA_SASL_PASSWORD: PASSWORD }),
      };
    },
  })),
];

/** Each case with each Kafka client (`kafka.client`). */
const CLIENT_CASES = CASES.flatMap((c) =>
  (['kafkajs', 'platformatic'] as const).map((client) => ({ ...c, client })),
);

describe('the built bridge publishes to a broker that requires TLS and SASL', () => {
  it.each(CLIENT_CASES)('$name, with $client', async ({ name, env, client }) => {
    const topic = `secure-${client}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${Date.now()}`;
    await createTopic(plain, topic, 1);
    await createTopic(plain, `${topic}.quarantine`, 1);
    const bridge = await startBridgeProcess({
      TENCENT_SDK_APP_ID: APP_ID,
      TENCENT_CALLBACK_TOKEN: TOKEN,
      KAFKA_TOPIC: topic,
      KAFKA_QUARANTINE_TOPIC: `${topic}.quarantine`,
      // a publish that does not make it in time would be spooled and still answered OK: give it
      // time, and check below that it went straight to Kafka
      KAFKA_PUBLISH_TIMEOUT_MS: '1500',
      LOG_LEVEL: 'info',
      KAFKA_CLIENT: client,
      ...env(),
    });
    try {
      const response = await fetch(bridge.webhook + callbackUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(createRoomBody('secure-room')),
      });
      expect(response.status).toBe(200);
      const eventId = response.headers.get('x-event-id');
      const record = await waitForRecord(plain, topic, {
        matches: (message) => message.headers.ce_id === eventId,
        timeoutMs: 20_000,
      });
      expect(record.key).toBe(`${APP_ID}:secure-room`);
      const metrics = await readMetrics(bridge);
      expect(metrics.get('live_bridge_kafka_connected')).toBe(1);
      expect(metrics.get('live_bridge_events_spooled_total')).toBe(0);
      expect(
        metrics.get(
          'live_bridge_events_forwarded_total{type="com.tencentcloud.live.room.created.v1"}',
        ),
      ).toBe(1);
      expect(bridge.output()).not.toContain(PASSWORD);
    } finally {
      bridge.signal('SIGTERM');
      expect(await bridge.exited).toBe(0);
    }
  });

  /** The bridge's own client config for these settings: connect, describe the cluster. */
  async function connectWith(env: Record<string, string>): Promise<void> {
    const config = loadConfig({
      configDir: CONFIG_DIR,
      env: {
        TENCENT_SDK_APP_ID: APP_ID,
        TENCENT_CALLBACK_TOKEN: TOKEN,
        KAFKA_RETRY_RETRIES: '2', // the fewest platformatic takes (kafkajs: 0 below)
        ...env,
      },
    });
    if (env.KAFKA_CLIENT === 'platformatic') {
      const admin = platformaticTopicAdmin(config.kafka, pino({ level: 'silent' }));
      try {
        await admin.listTopics();
      } finally {
        await admin.close().catch(() => undefined);
      }
      return;
    }
    const admin = new Kafka({
      ...kafkaClientConfig(config.kafka, pino({ level: 'silent' })),
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      await admin.describeCluster();
    } finally {
      await admin.disconnect();
    }
  }

  /** `code: message` of an error and every error inside it (cause, aggregated errors). */
  function errorChain(error: unknown, depth = 0): string[] {
    if (error === null || typeof error !== 'object' || depth > 8) return [];
    const { code, message, cause, errors } = error as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    return [
      `${String(code)}: ${String(message)}`,
      ...errorChain(cause, depth + 1),
      ...(Array.isArray(errors) ? errors.flatMap((inner) => errorChain(inner, depth + 1)) : []),
    ];
  }

  it('is refused by the broker with a wrong password, an untrusted certificate or no TLS (platformatic)', async () => {
    const refusal = (env: Record<string, string>) =>
      connectWith({ ...env, KAFKA_CLIENT: 'platformatic' }).then(
        () => undefined,
        (error: unknown) => errorChain(error).join('\n'),
      );
    const sasl = {
      KAFKA_BROKERS: `127.0.0.1:${saslPort}`,
      KAFKA_SSL_ENABLED: 'true',
      KAFKA_SSL_CA_FILE: caFile,
      KAFKA_SASL_USERNAME: 'bridge',
    };
    expect(
      await refusal({ ...sasl, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: PASSWORD }),
    ).toBeUndefined();
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512']) {
      expect(
        await refusal({ ...sasl, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_PASSWORD: 'wrong' }),
      ).toMatch(/PLT_KFK_AUTHENTICATION/);
    }
    expect(
      await refusal({ KAFKA_BROKERS: `127.0.0.1:${sslPort}`, KAFKA_SSL_ENABLED: 'true' }),
    ).toMatch(/certificate/i);
    expect(await refusal({ KAFKA_BROKERS: `127.0.0.1:${sslPort}` })).toEqual(expect.any(String));
  });

  it('is refused by the broker with a wrong password, an untrusted certificate or no TLS', async () => {
    const sasl = {
      KAFKA_BROKERS: `127.0.0.1:${saslPort}`,
      KAFKA_SSL_ENABLED: 'true',
      KAFKA_SSL_CA_FILE: caFile,
      KAFKA_SASL_USERNAME: 'bridge',
    };
    await expect(
      connectWith({ ...sasl, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: PASSWORD }),
    ).resolves.toBeUndefined();
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512']) {
      await expect(
        connectWith({ ...sasl, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_PASSWORD: 'wrong' }),
      ).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
    }
    // without the CA file the broker's certificate is not trusted
    await expect(
      connectWith({ KAFKA_BROKERS: `127.0.0.1:${sslPort}`, KAFKA_SSL_ENABLED: 'true' }),
    ).rejects.toThrow(/certificate/i);
    // the secured listener does not speak plaintext
    await expect(connectWith({ KAFKA_BROKERS: `127.0.0.1:${sslPort}` })).rejects.toThrow();
  });
});
