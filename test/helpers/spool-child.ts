/**
 * Child process for the spool SIGKILL durability test (test/unit/spool/sqlite-spool-crash.test.ts).
 *
 *   node --import tsx test/helpers/spool-child.ts <db-path> <first-batch-number>
 *
 * Appends batches of deterministic messages (see crashTestMessage) forever and, after each
 * append() has returned, writes one line "<batch> <seq>,<seq>,..." to stdout synchronously. The
 * parent kills it with SIGKILL at some point and checks that every printed seq is in the spool.
 */
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { createSqliteSpool } from '../../src/spool';
import type { SpooledMessage } from '../../src/spool';

/** Batch sizes cycle through 1..MAX_BATCH so single appends and group commits both get killed. */
export const MAX_BATCH = 20;

export function crashTestBatchSize(batch: number): number {
  return (batch % MAX_BATCH) + 1;
}

/** Message `item` of batch `batch`: content is a pure function of (batch, item). */
export function crashTestMessage(batch: number, item: number): SpooledMessage {
  const digest = createHash('sha256').update(`${batch}:${item}`).digest();
  const repeats = 1 + ((batch * 31 + item * 7) % 64);
  return {
    topic: 'crash-test',
    key: `room-${batch % 7}`,
    value: Buffer.concat(Array.from({ length: repeats }, () => digest)),
    headers: { 'ce-id': `ev-${batch}-${item}`, batch: String(batch), item: String(item) },
    eventId: `ev-${batch}-${item}`,
    acceptedAt: 1_700_000_000_000 + batch,
  };
}

function main(): void {
  const [path, firstArg] = process.argv.slice(2);
  if (path === undefined || firstArg === undefined) {
    throw new Error('usage: spool-child.ts <db-path> <first-batch-number>');
  }
  const spool = createSqliteSpool({
    path,
    maxEvents: 10_000_000,
    maxBytes: 10 * 1024 ** 3,
    maxAgeSeconds: 10 * 365 * 24 * 3600,
    now: () => 1_700_000_000_000,
  });
  writeSync(1, 'ready\n');
  // Bounded so an orphaned child cannot run forever; the parent kills it long before.
  for (let batch = Number(firstArg); batch < Number(firstArg) + 100_000; batch++) {
    const messages = Array.from({ length: crashTestBatchSize(batch) }, (_, i) =>
      crashTestMessage(batch, i),
    );
    const records = spool.append(messages);
    // Synchronous write: once the parent has read this line, append() had returned.
    writeSync(1, `${batch} ${records.map((r) => r.seq).join(',')}\n`);
  }
  spool.close();
}

if (require.main === module) main();
