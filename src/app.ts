import Hapi from '@hapi/hapi';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BridgeConfig, ResolvedApp } from './config/types';
import { loadEventSchemas } from './events/schemas';
import { adminPlugin } from './http/admin-plugin';
import { callbackPlugin } from './http/callback-plugin';
import { createSourceAllowlist } from './http/source-allowlist';
import type { EventPublisher } from './kafka/publisher';
import type { Metrics } from './metrics';
import { createDedupe } from './pipeline/dedupe';
import { createDeliverer, createSpoolDrainer } from './pipeline/deliver';
import { createCallbackReceiver } from './pipeline/receive-callback';
import { createRequestVerifier } from './pipeline/verify-request';
import type { SecureContextTarget } from './server-tls';
import { readServerCertificate, watchServerCertificate } from './server-tls';
import type { Drainer, Spool } from './spool';
import { volumeFreeBytes } from './spool';

export interface BridgeDependencies {
  config: Readonly<BridgeConfig>;
  apps: readonly ResolvedApp[];
  publisher: EventPublisher;
  registry: Registry;
  metrics: Metrics;
  logger: Logger;
  /** The durable spool (config `spool.enabled`); absent: a failed publish answers 503. */
  spool?: Spool | undefined;
  now?: () => number;
  /** Event type → JSON Schema bytes for the admin port; default the shipped `schemas/`. */
  schemas?: ReadonlyMap<string, Buffer>;
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
  /** The spool drainer, when spooling is on. */
  drainer: Drainer | undefined;
}

/**
 * Limits against slow and abusive clients (issue 14), on Node's listener: request line and
 * headers within `connections.headersTimeoutMs` (Node counts from a request's first byte, so an
 * idle keep-alive connection is governed by `keepAliveTimeoutMs` alone; a new connection from its
 * opening, src/http/client-error.ts), the whole request
 * within that plus the payload timeout, and at most `maxConnections` sockets. Pipelined requests
 * are answered in order, at most `maxPipelinedRequests` behind the one under way (the callback
 * plugin's src/http/pipeline-limit.ts), and Node stops reading a socket whose answers are not
 * being read. Node's own `maxRequestsPerSocket` stays off: it answers a bare 503.
 * Node checks the two timeouts on an interval, 30 s by default: far too coarse for a 10 s limit.
 */
function limitConnections(listener: Server, config: Readonly<BridgeConfig>): void {
  const { headersTimeoutMs, maxConnections } = config.connections;
  listener.headersTimeout = headersTimeoutMs;
  listener.requestTimeout = headersTimeoutMs + config.server.payloadTimeoutMs;
  listener.maxConnections = maxConnections;
  // Read by Node when the listener starts listening.
  (listener as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(1000, headersTimeoutMs);
}

/**
 * Builds the webhook and admin servers from config and dependencies. Reads no environment.
 * @throws ServerTlsError when `server.tls` names files that are not a usable certificate and key.
 */
export async function createBridge(deps: BridgeDependencies): Promise<Bridge> {
  const { config, publisher, logger, metrics, spool } = deps;
  const now = deps.now ?? Date.now;
  let stopping = false;

  const drainer =
    spool &&
    createSpoolDrainer({
      config,
      spool,
      publisher,
      metrics,
      logger,
      onStart: () => logger.info({ depth: spool.stats().depth }, 'spool draining'),
      onEmpty: () => logger.info('spool drained'),
      onDrained: (records) => metrics.spoolDrained.inc(records.length),
      // Loud once: the first failure of a batch is a warning, its retries are debug lines (the
      // connection state and the spool depth metrics say the rest).
      onError: (error, attempt) => {
        metrics.spoolDrainFailures.inc();
        logger[attempt === 1 ? 'warn' : 'debug'](
          { err: error, attempt, depth: spool.stats().depth },
          'spool drain failed, retrying',
        );
      },
    });
  if (spool) metrics.watchSpool(() => spool.stats());
  const deliverer = createDeliverer({
    publisher,
    publishTimeoutMs: config.kafka.publishTimeoutMs,
    metrics,
    now,
    spool: spool && drainer ? { store: spool, drainer } : undefined,
    quarantineTopic: config.kafka.quarantineTopic,
    logger,
    dedupe: config.dedupe.enabled
      ? createDedupe({
          windowMs: config.dedupe.windowSeconds * 1000,
          maxEntries: config.dedupe.maxEntries,
          now,
        })
      : undefined,
  });
  /** The spool's volume has more than spool.minFreeBytes free (a statfs; true if unreadable). */
  const spoolVolumeHasRoom = (): boolean => {
    try {
      return volumeFreeBytes(config.spool.dir) >= config.spool.minFreeBytes;
    } catch {
      return true; // the spool's own writes report what is wrong
    }
  };
  /** The spool has room under every bound, so a callback can be made durable without Kafka. */
  const spoolAccepts = (): boolean => {
    if (!spool) return false;
    const stats = spool.stats();
    const oldest = stats.oldestAcceptedAt;
    return (
      stats.depth < config.spool.maxEvents &&
      stats.bytes < config.spool.maxBytes &&
      (oldest === undefined || now() - oldest < config.spool.maxAgeSeconds * 1000) &&
      spoolVolumeHasRoom()
    );
  };

  // HTTPS when server.tls names a certificate (else plain HTTP behind a TLS-terminating proxy)
  const tlsFiles = config.server.tls.certFile === '' ? undefined : config.server.tls;
  const certificate = tlsFiles && readServerCertificate(tlsFiles);
  let certificateWatch: { stop(): void } | undefined;
  if (certificate) metrics.webhookCertificateExpiry.set(certificate.notAfterMs / 1000);
  const webhook = Hapi.server({
    host: config.server.host,
    port: config.server.port,
    routes: { timeout: { server: config.server.requestTimeoutMs } },
    ...(certificate ? { tls: { cert: certificate.cert, key: certificate.key } } : {}),
  });
  webhook.listener.keepAliveTimeout = config.server.keepAliveTimeoutMs;
  limitConnections(webhook.listener, config);
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
        deliverer,
        metrics,
        topic: config.kafka.topic,
        topicByEntity: config.kafka.topicByEntity,
        quarantineTopic: config.kafka.quarantineTopic,
        quarantineUnsupported: config.callbacks.quarantineUnsupported,
        beforeVerdicts: config.callbacks.beforeVerdicts,
        publishBeforeEvents: config.callbacks.publishBeforeEvents,
        contentMode: config.events.contentMode,
        dataSchemaBaseUrl: config.events.dataSchemaBaseUrl,
        now,
      }),
      metrics,
      logger,
      allowlist: createSourceAllowlist(config.allowlist),
      maxPipelinedRequests: config.connections.maxPipelinedRequests,
    },
  });

  const readiness = () => {
    const checks = {
      kafka: publisher.isConnected(),
      spool: spoolAccepts(),
      notStopping: !stopping,
    };
    return { ready: (checks.kafka || checks.spool) && checks.notStopping, checks };
  };
  metrics.watchReadiness(() => readiness().ready);
  const admin = Hapi.server({ host: config.admin.host, port: config.admin.port });
  await admin.register({
    plugin: adminPlugin,
    options: { registry: deps.registry, readiness, schemas: deps.schemas ?? loadEventSchemas() },
  });

  return {
    webhook,
    admin,
    drainer,
    async start() {
      await admin.start();
      await webhook.start();
      if (tlsFiles) {
        certificateWatch = watchServerCertificate({
          files: tlsFiles,
          // hapi types its listener as http.Server; with `tls` it is an https.Server
          server: webhook.listener as unknown as SecureContextTarget,
          logger,
          onLoaded: (renewed) => metrics.webhookCertificateExpiry.set(renewed.notAfterMs / 1000),
        });
      }
      // Events spooled before a restart go out first: new ones queue behind them.
      drainer?.kick();
      logger.info(
        { webhook: webhook.info.uri + config.server.callbackPath, admin: admin.info.uri },
        'listening',
      );
    },
    async stop(graceMs) {
      stopping = true;
      certificateWatch?.stop();
      const deadline = now() + graceMs;
      // hapi stops accepting, lets in-flight requests finish (each ends with its Kafka ack or
      // its publish deadline), then closes idle keep-alive connections.
      await webhook.stop({ timeout: Math.max(0, deadline - now()) });
      if (drainer && spool) {
        // Flush what Kafka takes in the time left; the rest stays on disk for the next start.
        // While Kafka is away, waiting out the grace period would only delay the stop; but the
        // flag can be stale (the drainer may be asleep in a backoff), so one short attempt first.
        // drainer.stop() then waits for a drain publish under way (its deadline is
        // kafka.requestTimeoutMs): that time is kept out of the drain's share of the grace period.
        const left = (): number => Math.max(0, deadline - now() - config.kafka.requestTimeoutMs);
        let drained = spool.isEmpty();
        if (!drained && !publisher.isConnected()) {
          drained = await drainer.drainNow(Math.min(left(), config.kafka.connectionTimeoutMs));
        }
        if (!drained && publisher.isConnected()) drained = await drainer.drainNow(left());
        await drainer.stop();
        if (!drained) logger.warn({ depth: spool.stats().depth }, 'spool not empty at shutdown');
      }
      await publisher.close(Math.max(0, deadline - now()));
      await spool?.close();
      await admin.stop({ timeout: 1000 });
    },
    isReady: () => readiness().ready,
  };
}
