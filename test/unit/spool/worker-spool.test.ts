import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spool, SpooledMessage } from '../../../src/spool';
import { startIoThread } from '../../../src/io-thread';
import { SpoolFullError, SpoolUnavailableError, createWorkerSpool } from '../../../src/spool';

function message(n: number): SpooledMessage {
  return {
    topic: 'events',
    key: `k-${n}`,
    value: Buffer.from(`value-${n}`),
    headers: { ce_id: `id-${n}` },
    eventId: `id-${n}`,
    acceptedAt: Date.now(),
  };
}

describe('the spool on the I/O thread', () => {
  let dir: string;
  const open: Spool[] = [];
  const spoolAt = (maxEvents = 100) =>
    createWorkerSpool({
      path: join(dir, 'spool.sqlite'),
      maxEvents,
      maxBytes: 1 << 20,
      maxAgeSeconds: 3600,
    }).then((spool) => (open.push(spool), spool));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'worker-spool-'));
  });
  afterEach(async () => {
    for (const spool of open.splice(0)) await spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends, reads back byte for byte, removes and dead-letters, with counters kept on this side', async () => {
    const spool = await spoolAt();
    expect(spool.isEmpty()).toBe(true);
    await spool.append([message(1), message(2), message(3)]);
    expect(spool.stats()).toMatchObject({ depth: 3, deadLetters: 0 });
    const records = await spool.peek(10);
    expect(records.map((r) => r.eventId)).toEqual(['id-1', 'id-2', 'id-3']);
    expect(Buffer.isBuffer(records[0]!.value)).toBe(true);
    expect(records[1]!.value.toString()).toBe('value-2');
    expect(records[2]!.headers).toEqual({ ce_id: 'id-3' });
    await spool.removeThrough(records[1]!.seq, [
      { seq: records[0]!.seq, kafkaError: 'INVALID_RECORD' },
    ]);
    expect(spool.stats()).toMatchObject({ depth: 1, deadLetters: 1 });
    await spool.addDeadLetters([{ ...message(9), kafkaError: 'POLICY_VIOLATION' }]);
    expect(spool.stats()).toMatchObject({ depth: 1, deadLetters: 2 });
  });

  it('keeps what it stored across a reopen, and its errors keep their type', async () => {
    const first = await spoolAt(2);
    await first.append([message(1), message(2)]);
    await expect(first.append([message(3)])).rejects.toBeInstanceOf(SpoolFullError);
    await expect(first.append([message(3)])).rejects.toMatchObject({ reason: 'maxEvents' });
    // One process owns the file: a second spool on it is refused while the first is open.
    await expect(spoolAt()).rejects.toBeInstanceOf(SpoolUnavailableError);
    await first.close();
    const again = await spoolAt();
    expect(again.stats().depth).toBe(2);
  });

  it('after close, calls fail with SpoolUnavailableError', async () => {
    const spool = await spoolAt();
    await spool.close();
    await expect(spool.peek(1)).rejects.toBeInstanceOf(SpoolUnavailableError);
  });

  it('reports an I/O thread that stops without close() once, and fails every later call', async () => {
    const crashes: Error[] = [];
    const options = {
      path: join(dir, 'spool.sqlite'),
      maxEvents: 10,
      maxBytes: 1 << 20,
      maxAgeSeconds: 3600,
    };
    const thread = startIoThread({ spool: options });
    const spool = await createWorkerSpool({
      ...options,
      thread,
      onCrash: (error) => crashes.push(error),
    });
    await thread.worker.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toBeInstanceOf(SpoolUnavailableError);
    await expect(spool.append([message(1)])).rejects.toBeInstanceOf(SpoolUnavailableError);
    await spool.close();
    expect(crashes).toHaveLength(1);
  });

  it('does not report its own close as a crash', async () => {
    const crashes: Error[] = [];
    const spool = await createWorkerSpool({
      path: join(dir, 'spool.sqlite'),
      maxEvents: 10,
      maxBytes: 1 << 20,
      maxAgeSeconds: 3600,
      onCrash: (error) => crashes.push(error),
    });
    await spool.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(crashes).toEqual([]);
  });
});
