import { join } from 'node:path';
import { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { createBridge } from './app';
import { ConfigError, loadConfig, resolveApps } from './config/load';
import { configuredTopics } from './config/topics';
import { createKafkaPublisher } from './kafka/kafka-publisher';
import { kafkaClientConfig, logProcessWarnings } from './kafka/kafkajs-publisher';
import { platformaticTopicAdmin } from './kafka/platformatic-admin';
import { createTopicMonitor, kafkajsTopicAdmin, missingTopicMessage } from './kafka/topic-monitor';
import { ensureTopics } from './kafka/topics';
import { createLogger } from './logger';
import { listenProblem } from './listen-problem';
import { createMetrics } from './metrics';
import { ServerTlsError } from './server-tls';
import { createWorkerSpool, isSpoolError, isSpoolHeld } from './spool';

/** The only module that touches `process`: environment, arguments, signals and exit codes. */
async function main(): Promise<void> {
  const configDir = process.env.CONFIG_DIR ?? join(process.cwd(), 'config');
  let config;
  try {
    config = loadConfig({ configDir, env: process.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (process.argv.includes('--check-config')) {
    process.stdout.write('config ok\n');
    return;
  }

  const logger = createLogger(config.log.level);
  logProcessWarnings(logger);
  let apps;
  try {
    apps = resolveApps(config.tencent.apps);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.fatal({ problems: error.problems }, 'invalid configuration');
    process.exit(1);
  }
  for (const app of apps.filter((app) => app.unsigned)) {
    logger.warn(
      { app: app.sdkAppId },
      'app accepts UNSIGNED callbacks: anyone who knows the URL can post events for it',
    );
  }

  const registry = new Registry();
  const metrics = createMetrics(registry);
  const kafka = new Kafka(kafkaClientConfig(config.kafka, logger));
  const topics = configuredTopics(config.kafka);
  const monitor = createTopicMonitor({
    createAdmin:
      config.kafka.client === 'platformatic'
        ? () => platformaticTopicAdmin(config.kafka, logger)
        : () => kafkajsTopicAdmin(kafka),
    topics,
    brokers: config.kafka.brokers,
    intervalMs: config.kafka.metadataMaxAgeMs,
    metrics,
    logger,
  });
  const limits = monitor.maxMessageBytes;
  const publisher = createKafkaPublisher({ settings: config.kafka, logger, metrics, limits });
  let spool;
  if (config.spool.enabled) {
    try {
      // The spool runs on its I/O thread (src/io-thread.ts). A thread that stops on its own
      // stops the bridge: a new process reopens the spool.
      spool = await createWorkerSpool({
        path: join(config.spool.dir, 'spool.sqlite'),
        maxEvents: config.spool.maxEvents,
        maxBytes: config.spool.maxBytes,
        maxAgeSeconds: config.spool.maxAgeSeconds,
        minFreeBytes: config.spool.minFreeBytes,
        onCrash(error) {
          logger.fatal({ err: error }, 'the I/O thread stopped: exiting');
          process.exit(1);
        },
      });
    } catch (error) {
      if (!isSpoolError(error)) throw error;
      logger.fatal(
        { err: error, dir: config.spool.dir },
        isSpoolHeld(error)
          ? `the spool in ${config.spool.dir} is held by another process (another bridge, or a spool or dead-letters command of the CLI): stop it, or give this bridge a spool.dir of its own (env SPOOL_DIR)`
          : 'cannot open the spool',
      );
      process.exit(1);
    }
    const { depth, deadLetters } = spool.stats();
    if (depth > 0) logger.info({ depth }, 'spool holds events from an earlier run: draining');
    if (deadLetters > 0) {
      logger.warn({ deadLetters }, 'the spool holds dead letters (records Kafka refused for good)');
    }
  }
  let bridge;
  try {
    bridge = await createBridge({ config, apps, publisher, registry, metrics, logger, spool });
  } catch (error) {
    if (!(error instanceof ServerTlsError)) throw error;
    logger.fatal({ err: error }, 'cannot serve HTTPS');
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, graceMs: config.shutdown.graceMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('graceful shutdown took too long');
      process.exit(1);
    }, config.shutdown.graceMs + 5000);
    timer.unref();
    void monitor.stop();
    bridge.stop(config.shutdown.graceMs).then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  if (config.kafka.createTopics.enabled) {
    await ensureTopics({
      kafka,
      topics,
      partitions: config.kafka.createTopics.partitions,
      replicationFactor: config.kafka.createTopics.replicationFactor,
      logger,
    });
  }
  // A configured topic the cluster does not have is a deployment mistake: say so and stop,
  // rather than answer OK and spool forever. When Kafka does not answer yet, start anyway (the
  // spool takes the callbacks) and let the periodic check report what it finds.
  const found = await withTimeout(
    monitor.check({ report: false }),
    config.kafka.connectionTimeoutMs + config.kafka.requestTimeoutMs,
  ).catch(() => undefined);
  if (found && found.missing.length > 0) {
    for (const topic of found.missing) {
      logger.fatal({ topic }, missingTopicMessage(topic, config.kafka.brokers));
    }
    await monitor.stop();
    process.exit(1);
  }
  monitor.start();
  try {
    await bridge.start();
  } catch (error) {
    const problem = listenProblem(error, config);
    if (problem === undefined) throw error;
    logger.fatal({ err: error }, problem);
    process.exit(1);
  }
  void connectWithRetry(
    () => publisher.connect(),
    logger,
    () => stopping,
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Kafka may be down at start; keep trying in the background (readiness stays false meanwhile).
 * The first failure is a warning; the retries are debug lines (the bridge logs the connection
 * when it comes).
 */
async function connectWithRetry(
  connect: () => Promise<void>,
  logger: ReturnType<typeof createLogger>,
  stopping: () => boolean,
): Promise<void> {
  for (let delay = 500, attempt = 1; !stopping(); delay = Math.min(delay * 2, 10_000), attempt++) {
    try {
      await connect();
      return;
    } catch (error) {
      logger[attempt === 1 ? 'warn' : 'debug'](
        { err: error, retryInMs: delay },
        'cannot connect to Kafka yet: callbacks are spooled meanwhile',
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
