import { join } from 'node:path';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { BridgeConfig } from '../config/types';
import { createKafkaPublisher } from '../kafka/kafka-publisher';
import { createMetrics } from '../metrics';
import { createSpoolDrainer } from '../pipeline/deliver';
import type { SpoolRecord, SyncSpool } from '../spool';
import { createSqliteSpool, inThreadSpool, isSpoolError, isSpoolHeld } from '../spool';

/** Exit codes of the spool commands (also the drain Job's contract in the Helm chart). */
export const EXIT = { ok: 0, notDrained: 1, usage: 2, spoolHeld: 3 } as const;

/** Why a spool could not be opened: another process holds it, or something else. */
export class SpoolOpenError extends Error {
  override readonly name = 'SpoolOpenError';
  constructor(
    message: string,
    readonly held: boolean,
  ) {
    super(message);
  }
}

/**
 * Opens the spool of `config.spool.dir` on this thread. A spool held by a running bridge (SQLite's
 * exclusive lock) is refused, never shared: two drainers would send the same records twice.
 * @throws SpoolOpenError (`held` true when another process holds it).
 */
export function openSpool(config: Readonly<BridgeConfig>): SyncSpool {
  try {
    return createSqliteSpool({
      path: join(config.spool.dir, 'spool.sqlite'),
      maxEvents: config.spool.maxEvents,
      maxBytes: config.spool.maxBytes,
      maxAgeSeconds: config.spool.maxAgeSeconds,
      minFreeBytes: config.spool.minFreeBytes,
    });
  } catch (error) {
    if (!isSpoolError(error)) throw error;
    const held = isSpoolHeld(error);
    throw new SpoolOpenError(
      held
        ? `the spool in ${config.spool.dir} is held by another process (a running bridge?); stop it first`
        : error.message,
      held,
    );
  }
}

/** What `spool status` prints: depth, oldest age, dead letters and the first records. */
export function spoolStatus(spool: SyncSpool, sample: number, now = Date.now()) {
  const { depth, bytes, oldestAcceptedAt, deadLetters } = spool.stats();
  const describe = (record: SpoolRecord) => ({
    seq: record.seq,
    eventId: record.eventId,
    topic: record.topic,
    key: record.key,
    type: record.headers.ce_type,
    bytes: record.value.length,
    acceptedAt: new Date(record.acceptedAt).toISOString(),
  });
  return {
    depth,
    bytes,
    oldestAgeSeconds:
      oldestAcceptedAt === undefined ? 0 : Math.max(0, Math.round((now - oldestAcceptedAt) / 1000)),
    deadLetters,
    sample: spool.peek(sample).map(describe),
  };
}

/**
 * Drains the spool to Kafka with the bridge's own drainer and publisher (records Kafka refuses for
 * good go to the quarantine topic or the dead-letter table, as in the server). Reports progress
 * through `progress` at most once a second, when the depth has changed.
 * @returns true when the spool is empty at the end.
 */
export async function drainSpool(options: {
  config: Readonly<BridgeConfig>;
  spool: SyncSpool;
  logger: Logger;
  timeoutMs: number;
  progress: (left: number) => void;
}): Promise<boolean> {
  const { config, spool, logger } = options;
  if (spool.isEmpty()) return true;
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const publisher = createKafkaPublisher({ settings: config.kafka, logger, metrics });
  const drainer = createSpoolDrainer({
    config,
    spool: inThreadSpool(spool),
    publisher,
    metrics,
    logger,
    onError: (error, attempt) =>
      logger[attempt === 1 ? 'warn' : 'debug']({ err: error, attempt }, 'drain failed, retrying'),
  });
  // A line when the depth moved, not every second while Kafka is away (the drainer warns once).
  let reported = spool.stats().depth;
  const ticker = setInterval(() => {
    const { depth } = spool.stats();
    if (depth === reported) return;
    reported = depth;
    options.progress(depth);
  }, 1000);
  try {
    drainer.kick();
    return await drainer.drainNow(options.timeoutMs);
  } finally {
    clearInterval(ticker);
    await drainer.stop();
    await publisher.close(5000).catch(() => undefined);
  }
}
