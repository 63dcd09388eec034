import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { DestinationStream } from 'pino';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Bridge } from '../../src/app';
import { createBridge } from '../../src/app';
import { loadConfig, resolveApps } from '../../src/config/load';
import type { BridgeConfig } from '../../src/config/types';
import { createKafkaPublisher } from '../../src/kafka/kafka-publisher';
import { createLogger } from '../../src/logger';
import type { EventPublisher } from '../../src/kafka/publisher';
import { createMetrics } from '../../src/metrics';
import type { Spool } from '../../src/spool';
import { createSqliteSpool, inThreadSpool } from '../../src/spool';
import { APP_ID, TOKEN } from './tencent';

export const CONFIG_DIR = join(__dirname, '..', '..', 'config');

/** The Kafka broker the test run uses (set by the jest global setup). */
export function brokers(): string {
  const value = process.env.KAFKA_BROKERS;
  if (!value) throw new Error('KAFKA_BROKERS is not set: the Kafka global setup did not run');
  return value;
}

export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface TestBridge {
  bridge: Bridge;
  config: Readonly<BridgeConfig>;
  registry: Registry;
  publisher: EventPublisher;
  spool: Spool | undefined;
}

/**
 * What every test bridge is built from: the config (the test apps, loopback listeners, silent
 * logs, then `env`), a registry with the bridge's metrics, and a logger (with `logTo`: the
 * production logger at debug, written there).
 */
export function testSetup(env: Record<string, string>, logTo?: DestinationStream) {
  const config = loadConfig({
    configDir: CONFIG_DIR,
    env: {
      TENCENT_APPS: JSON.stringify([
        { sdkAppId: APP_ID, token: TOKEN, previousTokens: ['previous-token'] },
        { sdkAppId: '1400000009', unsigned: true },
      ]),
      SERVER_HOST: '127.0.0.1',
      ADMIN_HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const logger = logTo ? createLogger('debug', logTo) : pino({ level: 'silent' });
  return { config, registry, metrics, logger };
}

/**
 * `createBridge` over what {@link testSetup} made, with `publisher` and `spool`, wired the way
 * main.ts wires it. Use it in the helpers that build test bridges over other publishers/spools.
 */
export function createTestBridge(
  setup: ReturnType<typeof testSetup>,
  publisher: EventPublisher,
  spool: Spool | undefined,
): Promise<Bridge> {
  return createBridge({
    ...setup,
    apps: resolveApps(setup.config.tencent.apps),
    publisher,
    spool,
  });
}

/**
 * A bridge built like main.ts builds it, with a real publisher of the configured client, not listening. With
 * `spoolPath` it gets a real SQLite spool there; without, a failed publish answers 503.
 */
export async function buildTestBridge(
  env: Record<string, string> = {},
  options: { spoolPath?: string; logTo?: DestinationStream } = {},
): Promise<TestBridge> {
  const setup = testSetup({ KAFKA_BROKERS: brokers(), ...env }, options.logTo);
  const { config, registry, metrics, logger } = setup;
  const publisher = createKafkaPublisher({ settings: config.kafka, logger, metrics });
  const spool =
    options.spoolPath === undefined
      ? undefined
      : inThreadSpool(
          createSqliteSpool({
            path: options.spoolPath,
            maxEvents: config.spool.maxEvents,
            maxBytes: config.spool.maxBytes,
            maxAgeSeconds: config.spool.maxAgeSeconds,
          }),
        );
  const bridge = await createTestBridge(setup, publisher, spool);
  return { bridge, config, registry, publisher, spool };
}

/** The value of one counter/gauge series, 0 when the series does not exist yet. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const match = values.find((value) =>
    Object.entries(labels).every(([key, label]) => value.labels[key] === label),
  );
  return match?.value ?? 0;
}
