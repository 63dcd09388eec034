import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import type { DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import type { Bridge } from '../../src/app';
import type { BridgeConfig } from '../../src/config/types';
import { inThreadSpool } from '../../src/spool';
import { createTestBridge, testSetup } from './bridge';
import type { MemoryPublisher } from './memory-publisher';
import { createMemoryPublisher } from './memory-publisher';
import type { MemorySpool } from './memory-spool';
import { createMemorySpool } from './memory-spool';

/** A loopback port free right now (the config schema refuses port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface MemoryBridge {
  bridge: Bridge;
  config: Readonly<BridgeConfig>;
  registry: Registry;
  publisher: MemoryPublisher;
  spool: MemorySpool;
  /** `http://127.0.0.1:<port>` of the started webhook listener. */
  origin: string;
  port: number;
}

/**
 * A bridge built like main.ts builds it but over the in-memory publisher and spool (no broker),
 * started on loopback ports chosen by the OS. For tests of the HTTP edge (fuzz, slow clients,
 * allowlist) where Kafka adds nothing but time.
 */
export async function startMemoryBridge(
  env: Record<string, string> = {},
  options: { logTo?: DestinationStream; ackDelayMs?: number } = {},
): Promise<MemoryBridge> {
  const setup = testSetup(
    {
      KAFKA_BROKERS: '127.0.0.1:1',
      SERVER_PORT: String(await freePort()),
      ADMIN_PORT: String(await freePort()),
      SPOOL_ENABLED: 'true',
      ...env,
    },
    options.logTo,
  );
  const { config, registry } = setup;
  const publisher = createMemoryPublisher({ ackDelayMs: options.ackDelayMs ?? 0 });
  await publisher.connect();
  const spool = createMemorySpool();
  const bridge = await createTestBridge(setup, publisher, inThreadSpool(spool));
  await bridge.start();
  const port = Number(bridge.webhook.info.port);
  return { bridge, config, registry, publisher, spool, origin: `http://127.0.0.1:${port}`, port };
}
