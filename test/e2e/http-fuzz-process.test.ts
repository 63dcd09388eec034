/**
 * The HTTP fuzz run against the built service as a process and the real broker (issue 14): the
 * same seeded mutations as test/integration/http-fuzz.test.ts (which drives an in-process bridge
 * over in-memory twins), here checked where they end up for real: nothing unauthenticated in the
 * event topic, the quarantine topic or the spool file, and the bridge process's own RSS flat.
 * CI sends FUZZ_PROCESS_REQUESTS (default 5,000); more by hand.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createSqliteSpool } from '../../src/spool';
import { brokers, uniqueTopic } from '../helpers/bridge';
import { killBridge, startBridgeProcess } from '../helpers/bridge-process';
import {
  faultBridgeEnv,
  metric,
  portOf,
  readTopic,
  waitFor,
  waitKafkaConnected,
} from '../helpers/fault';
import { UNAUTHENTICATED_MARK, fuzzCase } from '../helpers/fuzz-cases';
import { createTopic } from '../helpers/kafka-broker';
import { seededRandom } from '../helpers/random';
import { rawRequest } from '../helpers/raw-http';

const REQUESTS = Number(process.env.FUZZ_PROCESS_REQUESTS ?? 5_000);
const SEED = Number(process.env.FUZZ_SEED ?? 21);
const CONCURRENCY = 16;

/** The process's resident set (VmRSS), in bytes. */
function rssOf(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? 0) * 1024;
}

const marked = (record: { key: string | null; value: Buffer; headers: Record<string, string> }) =>
  [record.value.toString('latin1'), record.key ?? '', JSON.stringify(record.headers)].some((text) =>
    text.includes(UNAUTHENTICATED_MARK),
  );

it(`the built bridge answers ${REQUESTS} mutated requests; nothing unauthenticated reaches Kafka or the spool; its RSS stays flat`, async () => {
  const topic = uniqueTopic('fuzz-process');
  const quarantine = `${topic}.quarantine`;
  await createTopic(brokers(), topic, 3);
  await createTopic(brokers(), quarantine, 1);
  const bridge = await startBridgeProcess(
    faultBridgeEnv(brokers(), topic, {
      KAFKA_QUARANTINE_TOPIC: quarantine,
      SERVER_PAYLOAD_TIMEOUT_MS: '300',
      CONNECTIONS_HEADERS_TIMEOUT_MS: '1000',
    }),
    { readyTimeoutMs: 30_000 },
  );
  const pid = bridge.process.pid!;
  try {
    await waitKafkaConnected(bridge);
    const port = Number(portOf(bridge.webhook));
    const random = seededRandom(SEED);
    const byStatus = new Map<number, number>();
    let next = 0;
    let rssAfterWarmUp = 0;
    let rssHalfway = 0;
    let fiveHundreds = 0;
    async function worker(): Promise<void> {
      while (next < REQUESTS) {
        const index = next++;
        const item = fuzzCase(random);
        if (index === Math.floor(REQUESTS / 10)) rssAfterWarmUp = rssOf(pid);
        if (index === Math.floor(REQUESTS / 2)) rssHalfway = rssOf(pid);
        const answer = await rawRequest(port, item.bytes, { waitMs: 5_000 });
        if (answer.status === undefined) continue;
        byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
        if (answer.status >= 500 && answer.status !== 503) fiveHundreds++;
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await waitFor(
      async () => (await metric(bridge, 'live_bridge_spool_depth')) === 0,
      30_000,
      () => 'the spool did not drain',
    );
    const rssEnd = rssOf(pid);
    const inKafka = [
      ...(await readTopic(brokers(), topic)),
      ...(await readTopic(brokers(), quarantine)),
    ];
    console.log(
      `HTTP fuzz against the process: ${JSON.stringify({
        seed: SEED,
        requests: REQUESTS,
        byStatus: Object.fromEntries([...byStatus].sort(([a], [z]) => a - z)),
        recordsInKafka: inKafka.length,
        rssMiB: [rssAfterWarmUp, rssHalfway, rssEnd].map((b) => Math.round(b / 2 ** 20)),
      })}`,
    );
    expect(fiveHundreds).toBe(0);
    expect(byStatus.get(200) ?? 0).toBeGreaterThan(0);
    expect(inKafka.length).toBeGreaterThan(0);
    expect(inKafka.filter(marked).map((m) => m.key)).toEqual([]);
    // Flat: over the second half, the bridge's RSS grows by less than 32 MiB.
    expect(rssEnd - rssHalfway).toBeLessThan(32 * 2 ** 20);

    bridge.signal('SIGTERM');
    expect(await bridge.exited).toBe(0);
    const spool = createSqliteSpool({
      path: join(bridge.spoolDir, 'spool.sqlite'),
      maxEvents: 1_000_000,
      maxBytes: 2 ** 30,
      maxAgeSeconds: 3600,
    });
    try {
      expect([...spool.peek(1_000_000), ...spool.deadLetters(1_000_000)].filter(marked)).toEqual(
        [],
      );
    } finally {
      spool.close();
    }
  } finally {
    await killBridge(bridge);
    rmSync(bridge.spoolDir, { recursive: true, force: true });
  }
}, 300_000);
