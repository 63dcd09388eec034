import { join } from 'node:path';
import pino from 'pino';
import { drainSpool } from '../../src/cli/spool-commands';
import { createSqliteSpool } from '../../src/spool';
import { testSetup } from '../helpers/bridge';
import { testTempDir } from '../helpers/temp-dir';

describe('spool drain while Kafka does not answer', () => {
  it('gives up at its timeout, says so once and reports no progress that did not happen', async () => {
    const { config } = testSetup({
      KAFKA_BROKERS: '127.0.0.1:1',
      KAFKA_CONNECTION_TIMEOUT_MS: '200',
      KAFKA_RETRY_RETRIES: '1',
    });
    const spool = createSqliteSpool({
      path: join(testTempDir('cli-drain-'), 'spool.sqlite'),
      maxEvents: 100,
      maxBytes: 1_000_000,
      maxAgeSeconds: 3600,
    });
    spool.append([
      {
        topic: 'events',
        key: 'k',
        value: Buffer.from('{}'),
        headers: { ce_id: 'id-1' },
        eventId: 'id-1',
        acceptedAt: Date.now(),
      },
    ]);
    const lines: { level: number; msg: string }[] = [];
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
    );
    const progress: number[] = [];
    try {
      const drained = await drainSpool({
        config,
        spool,
        logger,
        timeoutMs: 3500,
        progress: (left) => progress.push(left),
      });
      expect(drained).toBe(false);
      expect(spool.stats().depth).toBe(1);
      expect(progress).toEqual([]);
      const loud = lines.filter((line) => line.level >= 40 && !('kafkajs' in line));
      expect(loud.map((line) => line.msg)).toEqual(['drain failed, retrying']);
    } finally {
      spool.close();
    }
  });
});
