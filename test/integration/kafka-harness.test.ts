/**
 * Proves the Kafka test harness against a real broker: kafkajs and kcat (librdkafka) see the same
 * records, waitForRecord finds one record by its id, a private broker keeps its data across
 * SIGKILL + restart and survives pause/resume, and an interrupted start leaves no broker behind.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import {
  KAFKA_LOCAL_SCRIPT,
  consumeAll,
  createKafkaClient,
  createTopic,
  findFreePorts,
  startLocalBroker,
  waitForRecord,
} from '../helpers/kafka-broker';
import { canBind, processInfo, stillAlive } from '../helpers/process-tree';
import type { ConsumedMessage, LocalBroker } from '../helpers/kafka-broker';

type Row = {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
};

function sharedBrokers(): string {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: jest globalSetup did not run');
  return brokers;
}

function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomUUID().slice(0, 8)}`;
}

function toRow(m: ConsumedMessage): Row {
  return {
    partition: m.partition,
    offset: m.offset,
    key: m.key,
    value: m.value.toString('utf8'),
    headers: m.headers,
  };
}

/** kcat -J: one JSON object per record; headers are a flat [name, value, name, value, ...] list. */
type KcatRecord = {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
};

function readWithKcat(brokers: string, topic: string): Promise<Row[]> {
  const args = ['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q'];
  return new Promise((resolve, reject) => {
    execFile('kcat', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        const hint =
          (error as NodeJS.ErrnoException).code === 'ENOENT' ? ' (apt-get install -y kcat)' : '';
        reject(new Error(`kcat ${args.join(' ')} failed${hint}: ${error.message}\n${stderr}`));
        return;
      }
      const rows = stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line): Row => {
          const r = JSON.parse(line) as KcatRecord;
          const headers: Record<string, string> = {};
          const list = r.headers ?? [];
          for (let i = 0; i + 1 < list.length; i += 2) {
            headers[list[i] ?? ''] = list[i + 1] ?? '';
          }
          return {
            partition: r.partition,
            offset: String(r.offset),
            key: r.key,
            value: r.payload,
            headers,
          };
        })
        .sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
      resolve(rows);
    });
  });
}

async function produceIdempotent(
  brokers: string,
  topic: string,
  messages: { key: string; value: string; headers: Record<string, string> }[],
): Promise<void> {
  const producer = createKafkaClient(brokers, 'harness-producer').producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    const result = await producer.send({ topic, acks: -1, messages });
    expect(result.every((r) => r.errorCode === 0)).toBe(true);
  } finally {
    await producer.disconnect();
  }
}

describe('Kafka test harness', () => {
  it('kafkajs and kcat read back the same records from the shared broker', async () => {
    const brokers = sharedBrokers();
    const topic = uniqueTopic('harness');
    await createTopic(brokers, topic, 2);

    const sent = Array.from({ length: 12 }, (_, i) => ({
      key: `key-${i}`,
      value: JSON.stringify({ n: i, text: `event ${i}` }),
      headers: { 'ce-id': `id-${i}`, 'ce-type': 'harness.test' },
    }));
    await produceIdempotent(brokers, topic, sent);

    const viaKafkajs = (await consumeAll(brokers, topic, { expected: 12, timeoutMs: 30_000 })).map(
      toRow,
    );
    const viaKcat = await readWithKcat(brokers, topic);

    expect(viaKafkajs).toHaveLength(12);
    expect(viaKcat).toEqual(viaKafkajs);
    // every record arrived once, with its value and headers
    const byKey = new Map(viaKafkajs.map((r) => [r.key, r]));
    for (const m of sent) {
      expect(byKey.get(m.key)).toMatchObject({ value: m.value, headers: m.headers });
    }
    // both partitions were used and offsets are dense per partition
    expect(new Set(viaKafkajs.map((r) => r.partition))).toEqual(new Set([0, 1]));
    for (const p of [0, 1]) {
      const offsets = viaKafkajs.filter((r) => r.partition === p).map((r) => Number(r.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  }, 90_000);

  it('waitForRecord finds a record by its id, from given offsets, also when it arrives later', async () => {
    const brokers = sharedBrokers();
    const topic = uniqueTopic('find');
    await createTopic(brokers, topic, 2);
    // A reused broker may hold a record with the same (deterministic) id from an earlier run.
    await produceIdempotent(brokers, topic, [
      { key: 'room', value: 'earlier run', headers: { ce_id: 'same-id' } },
      { key: 'other', value: 'another event', headers: { ce_id: 'other-id' } },
    ]);
    const admin = createKafkaClient(brokers, 'harness-offsets').admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    const from = new Map(ends.map((o) => [o.partition, o.high]));

    const found = waitForRecord(brokers, topic, {
      matches: (m) => m.headers.ce_id === 'same-id',
      from,
      timeoutMs: 30_000,
    });
    // Sent once the reader is on its way, as a spooled event is when the drainer gets to it.
    await produceIdempotent(brokers, topic, [
      { key: 'other', value: 'another event', headers: { ce_id: 'other-id' } },
      { key: 'room', value: 'this run', headers: { ce_id: 'same-id' } },
    ]);
    const record = await found;
    expect(record.value.toString()).toBe('this run');
    expect(BigInt(record.offset)).toBeGreaterThanOrEqual(BigInt(from.get(record.partition)!));
  }, 90_000);

  it('waitForRecord gives up after its timeout, with one line naming the topic', async () => {
    const brokers = sharedBrokers();
    const topic = uniqueTopic('find-none');
    await createTopic(brokers, topic, 1);
    await produceIdempotent(brokers, topic, [{ key: 'k', value: 'v', headers: { ce_id: 'x' } }]);
    const since = Date.now();
    const error = await waitForRecord(brokers, topic, {
      matches: (m) => m.headers.ce_id === 'never-sent',
      timeoutMs: 5000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      new RegExp(`^no matching record on ${topic} within 5000 ms[^\\n]*$`),
    );
    expect(Date.now() - since).toBeLessThan(15_000); // bounded (plus the consumer's disconnect)
  }, 60_000);

  it('an interrupted start stops the broker it launched', async () => {
    const runDir = await mkdtemp(path.join(os.tmpdir(), 'kafka-interrupted-'));
    const [port, controllerPort] = await findFreePorts(2);
    if (port === undefined || controllerPort === undefined) throw new Error('no free ports');
    const env = {
      ...process.env,
      KAFKA_RUN_DIR: runDir,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
    };
    // its own process group, as under a terminal (whose Ctrl-C goes to the whole group)
    const start = spawn('bash', [KAFKA_LOCAL_SCRIPT, 'start'], {
      env,
      stdio: 'ignore',
      detached: true,
    });
    const exited = new Promise<number | null>((resolve) => start.once('exit', resolve));
    const pidFile = path.join(runDir, 'kafka.pid');
    try {
      // The broker is launched (its pid written) before start waits for it to come up; a Ctrl-C
      // reaches the script (and whatever it runs at that moment), not the broker (its own
      // session).
      const deadline = Date.now() + 60_000;
      while (!existsSync(pidFile) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(existsSync(pidFile)).toBe(true);
      const broker = processInfo(Number(readFileSync(pidFile, 'utf8').trim()));
      expect(broker?.cmdline).toContain(`-Dkafka.local.runDir=${runDir}`);
      process.kill(-start.pid!, 'SIGINT'); // Ctrl-C
      const code = await Promise.race([
        exited,
        new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 60_000)),
      ]);
      expect(code).toBe(130);
      expect(stillAlive(broker!)).toBe(false);
      expect(existsSync(pidFile)).toBe(false);
      expect(await canBind(port)).toBe(true);
      expect(await canBind(controllerPort)).toBe(true);
    } finally {
      start.kill('SIGKILL'); // if it is still running (a failed expectation above)
      await new Promise<void>((resolve) =>
        execFile('bash', [KAFKA_LOCAL_SCRIPT, 'kill'], { env }, () => resolve()),
      );
      await rm(runDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a private broker keeps its records across kill + start and survives pause/resume', async () => {
    const runDir = await mkdtemp(path.join(os.tmpdir(), 'kafka-private-'));
    let broker: LocalBroker | undefined;
    try {
      const [port, controllerPort] = await findFreePorts(2);
      if (port === undefined || controllerPort === undefined) throw new Error('no free ports');
      broker = await startLocalBroker({ runDir, port, controllerPort });
      expect(broker.brokers).toBe(`127.0.0.1:${port}`);
      const firstPid = broker.pid();
      expect(firstPid).toBeGreaterThan(0);

      const topic = uniqueTopic('durable');
      await createTopic(broker.brokers, topic);
      const sent = Array.from({ length: 5 }, (_, i) => ({
        key: `k${i}`,
        value: `before-kill-${i}`,
        headers: { seq: String(i) },
      }));
      await produceIdempotent(broker.brokers, topic, sent);

      await broker.kill();
      expect(broker.pid()).toBeUndefined();

      await broker.start();
      expect(broker.pid()).toBeGreaterThan(0);
      expect(broker.pid()).not.toBe(firstPid);
      const afterRestart = await consumeAll(broker.brokers, topic, {
        expected: 5,
        timeoutMs: 30_000,
      });
      expect(afterRestart.map((m) => m.value.toString())).toEqual(sent.map((m) => m.value));

      // a paused broker keeps its pid but does not answer; after resume it takes writes again
      await broker.pause();
      expect(broker.pid()).toBeGreaterThan(0);
      const admin = new Kafka({
        brokers: [broker.brokers],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 1000,
        requestTimeout: 1500,
        retry: { retries: 0 },
      }).admin();
      await expect(admin.connect().then(() => admin.fetchTopicMetadata())).rejects.toThrow();
      await admin.disconnect().catch(() => undefined);
      await broker.resume();

      await produceIdempotent(broker.brokers, topic, [
        { key: 'k5', value: 'after-resume', headers: { seq: '5' } },
      ]);
      const all = await consumeAll(broker.brokers, topic, { expected: 6, timeoutMs: 30_000 });
      expect(all.map((m) => m.value.toString())).toEqual([
        ...sent.map((m) => m.value),
        'after-resume',
      ]);

      await broker.stop();
      expect(broker.pid()).toBeUndefined();
    } finally {
      await broker?.stop().catch(() => undefined);
      await rm(runDir, { recursive: true, force: true });
    }
  }, 180_000);
});
