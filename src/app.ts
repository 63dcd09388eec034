import Hapi from '@hapi/hapi';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BridgeConfig, ResolvedApp } from './config/types';
import { adminPlugin } from './http/admin-plugin';
import { callbackPlugin } from './http/callback-plugin';
import type { EventPublisher } from './kafka/publisher';
import type { Metrics } from './metrics';
import { createCallbackReceiver } from './pipeline/receive-callback';
import { createRequestVerifier } from './pipeline/verify-request';

export interface BridgeDependencies {
  config: Readonly<BridgeConfig>;
  apps: readonly ResolvedApp[];
  publisher: EventPublisher;
  registry: Registry;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

export interface Bridge {
  webhook: Hapi.Server;
  admin: Hapi.Server;
  /** Starts both listeners. */
  start(): Promise<void>;
  /**
   * Graceful stop: readiness off, stop accepting, finish in-flight requests, flush the
   * publisher, disconnect; all within `graceMs`.
   */
  stop(graceMs: number): Promise<void>;
  isReady(): boolean;
}

/** Builds the webhook and admin servers from config and dependencies. Reads no environment. */
export async function createBridge(deps: BridgeDependencies): Promise<Bridge> {
  const { config, publisher, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  let stopping = false;

  const webhook = Hapi.server({
    host: config.server.host,
    port: config.server.port,
    routes: { timeout: { server: config.server.requestTimeoutMs } },
  });
  webhook.listener.keepAliveTimeout = config.server.keepAliveTimeoutMs;
  webhook.listener.headersTimeout = config.server.keepAliveTimeoutMs + 1000;
  await webhook.register({
    plugin: callbackPlugin,
    options: {
      path: config.server.callbackPath,
      bodyLimitBytes: config.server.bodyLimitBytes,
      payloadTimeoutMs: config.server.payloadTimeoutMs,
      requestTimeoutMs: config.server.requestTimeoutMs,
      verifier: createRequestVerifier({
        apps: deps.apps,
        signatureWindowSeconds: config.tencent.signatureWindowSeconds,
        now,
      }),
      receiver: createCallbackReceiver({
        publisher,
        topic: config.kafka.topic,
        contentMode: config.events.contentMode,
        dataSchemaBaseUrl: config.events.dataSchemaBaseUrl,
        publishTimeoutMs: config.kafka.publishTimeoutMs,
        now,
      }),
      metrics,
      logger,
    },
  });

  const readiness = () => {
    const checks = { kafka: publisher.isConnected(), notStopping: !stopping };
    return { ready: checks.kafka && checks.notStopping, checks };
  };
  const admin = Hapi.server({ host: config.admin.host, port: config.admin.port });
  await admin.register({ plugin: adminPlugin, options: { registry: deps.registry, readiness } });

  return {
    webhook,
    admin,
    async start() {
      await admin.start();
      await webhook.start();
      logger.info(
        { webhook: webhook.info.uri + config.server.callbackPath, admin: admin.info.uri },
        'listening',
      );
    },
    async stop(graceMs) {
      stopping = true;
      const deadline = now() + graceMs;
      // hapi stops accepting, lets in-flight requests finish (each ends with its Kafka ack or
      // its publish deadline), then closes idle keep-alive connections.
      await webhook.stop({ timeout: Math.max(0, deadline - now()) });
      await publisher.close(Math.max(0, deadline - now()));
      await admin.stop({ timeout: 1000 });
    },
    isReady: () => readiness().ready,
  };
}
