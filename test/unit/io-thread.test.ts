import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startIoThread } from '../../src/io-thread';
import { createWorkerSpool } from '../../src/spool';

describe('the I/O thread', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'io-thread-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const spoolOptions = () => ({
    path: join(dir, 'spool.sqlite'),
    maxEvents: 10,
    maxBytes: 1 << 20,
    maxAgeSeconds: 3600,
  });

  it('stops when the spool is closed, quietly', async () => {
    const thread = startIoThread({ spool: spoolOptions() });
    const stops: Error[] = [];
    thread.onExit((error) => stops.push(error));
    const spool = await createWorkerSpool({ ...spoolOptions(), thread });
    expect(thread.stopped()).toBe(false);
    await spool.close();
    expect(thread.stopped()).toBe(true);
    expect(stops).toEqual([]);
  });

  it('tells every listener once when it stops on its own', async () => {
    const thread = startIoThread({ spool: spoolOptions() });
    const stops: Error[] = [];
    thread.onExit((error) => stops.push(error));
    thread.onExit((error) => stops.push(error));
    await createWorkerSpool({ ...spoolOptions(), thread });
    await thread.worker.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    expect(thread.stopped()).toBe(true);
    expect(stops).toHaveLength(2);
    expect(stops[0]!.message).toMatch(/I\/O thread stopped/);
  });
});
