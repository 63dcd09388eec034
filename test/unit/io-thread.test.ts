import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load';
import { startIoThread } from '../../src/io-thread';
import { createWorkerSpool } from '../../src/spool';
import { CONFIG_DIR } from '../helpers/bridge';

const settings = loadConfig({
  configDir: CONFIG_DIR,
  env: { TENCENT_SDK_APP_ID: '1', TENCENT_CALLBACK_TOKEN: 't', KAFKA_BROKERS: '127.0.0.1:1' },
}).kafka;

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

  it('runs both parts in one thread and stops only after the last part released it, quietly', async () => {
    const thread = startIoThread({ kafka: { settings }, spool: spoolOptions() });
    const stops: Error[] = [];
    thread.onExit((error) => stops.push(error));
    expect(thread.kafka).toBeDefined();
    expect(thread.spool).toBeDefined();
    const spool = await createWorkerSpool({ ...spoolOptions(), thread });
    // the first release returns at once (a part that waited for the thread to stop here would
    // wait for the other part's close: the shutdown deadlock this test guards against)
    await thread.release();
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

  it('refuses to start with nothing to run', () => {
    expect(() => startIoThread({})).toThrow(/nothing to run/);
  });
});
