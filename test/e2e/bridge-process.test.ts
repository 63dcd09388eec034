import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ROOM_CREATED_V1 } from '../../src/events/room-created-v1';
import { createSqliteSpool } from '../../src/spool';
import { brokers, uniqueTopic } from '../helpers/bridge';
import type { BridgeProcess } from '../helpers/bridge-process';
import { bridgeEnv, readMetrics, startBridgeProcess } from '../helpers/bridge-process';
import { assertMatchesSchema } from '../helpers/event-schema';
import { consumeAll, createTopic } from '../helpers/kafka-broker';
import { kcatConsume } from '../helpers/kcat';
import { APP_ID, CREATE_ROOM, TOKEN, callbackUrl, createRoomBody } from '../helpers/tencent';

async function send(bridge: BridgeProcess, body: unknown, url = callbackUrl()) {
  const response = await fetch(bridge.webhook + url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    eventId: response.headers.get('x-event-id'),
  };
}

/**
 * Writes raw HTTP/1.1 `parts` to the bridge, `gapMs` apart, and returns the status of its answer,
 * or undefined when `hangUp` closes the connection after the last part instead of waiting.
 */
async function sendRaw(
  bridge: BridgeProcess,
  parts: string[],
  options: { gapMs?: number; hangUp?: boolean } = {},
): Promise<number | undefined> {
  const { port } = new URL(bridge.webhook);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (data: Buffer) => (answer += data.toString()));
  for (const [index, part] of parts.entries()) {
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, options.gapMs ?? 30));
    socket.write(part);
  }
  if (options.hangUp) {
    socket.destroy();
    return undefined;
  }
  const deadline = Date.now() + 5000;
  while (!answer.includes('\r\n\r\n') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  socket.destroy();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
}

const rawHead = (headers: string) =>
  `POST ${callbackUrl()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${headers}\r\n`;
const rawChunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

const env = (topic: string) => bridgeEnv(topic, { LOG_LEVEL: 'info' });

describe('the built service as a process, with the real broker', () => {
  it('verifies, publishes and counts signed callbacks; kafkajs and kcat read the same events', async () => {
    const topic = uniqueTopic('e2e');
    await createTopic(brokers(), topic, 3);
    await createTopic(brokers(), `${topic}.quarantine`, 1);
    const bridge = await startBridgeProcess(env(topic));
    try {
      const rooms = Array.from({ length: 20 }, (_, n) => `e2e-room-${n}`);
      const bodies = rooms.map((room, n) =>
        createRoomBody(room, { top: { EventTime: 1703589922000 + n } }),
      );
      const answers = await Promise.all(bodies.map((body) => send(bridge, body)));
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });
      }
      // Tencent re-delivers the first callback: same deterministic id, answered OK, not re-sent.
      const again = await send(bridge, bodies[0]);
      expect(again.status).toBe(200);
      expect(again.eventId).toBe(answers[0]!.eventId);
      // An attacker without the token.
      const forged = await send(bridge, bodies[1], callbackUrl({ token: 'guess' }));
      expect(forged.status).toBe(401);
      expect(forged.body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 40102 });

      const ids = answers.map((answer) => answer.eventId);
      expect(new Set(ids).size).toBe(20);

      const viaKafkajs = await consumeAll(brokers(), topic, { expected: 20, timeoutMs: 30_000 });
      const viaKcat = await kcatConsume(brokers(), topic, 20);
      for (const messages of [
        viaKafkajs.map((m) => ({ key: m.key, headers: m.headers, payload: m.value.toString() })),
        viaKcat.map((m) => ({ key: m.key, headers: m.headers, payload: m.payload ?? '' })),
      ]) {
        expect(messages).toHaveLength(20);
        expect(new Set(messages.map((m) => m.headers.ce_id))).toEqual(new Set(ids));
        for (const message of messages) {
          const data = JSON.parse(message.payload) as { roomId: string; eventTime: string };
          assertMatchesSchema(ROOM_CREATED_V1, data);
          expect(message.key).toBe(`${APP_ID}:${data.roomId}`);
          expect(message.headers).toEqual({
            ce_specversion: '1.0',
            ce_id: ids[rooms.indexOf(data.roomId)],
            ce_source: `tencentcloud:live:${APP_ID}`,
            ce_type: ROOM_CREATED_V1,
            ce_subject: data.roomId,
            ce_time: data.eventTime,
            // no ce_dataschema: events.dataSchemaBaseUrl is '' by default
            'content-type': 'application/json',
          });
        }
      }

      const metrics = await readMetrics(bridge);
      expect(metrics.get(`live_bridge_callbacks_received_total{command="${CREATE_ROOM}"}`)).toBe(
        22,
      );
      expect(metrics.get(`live_bridge_events_forwarded_total{type="${ROOM_CREATED_V1}"}`)).toBe(20);
      expect(metrics.get('live_bridge_duplicates_total')).toBe(1);
      expect(metrics.get('live_bridge_callbacks_rejected_total{reason="signature_mismatch"}')).toBe(
        1,
      );
      expect(metrics.get('live_bridge_kafka_connected')).toBe(1);
      expect(metrics.get('live_bridge_request_duration_seconds_count{outcome="ok"}')).toBe(21);
      expect(metrics.has('process_resident_memory_bytes')).toBe(true);

      // Logs are JSON lines and never contain the token or a Sign.
      const logs = bridge.output();
      expect(logs).not.toContain(TOKEN);
      expect(logs).not.toMatch(/Sign=/);
      for (const line of logs.split('\n').filter(Boolean))
        expect(() => JSON.parse(line) as unknown).not.toThrow();
    } finally {
      bridge.signal('SIGTERM');
      expect(await bridge.exited).toBe(0);
    }
  });

  it('reads bodies that arrive in parts, and refuses ones that grow too large or are cut short', async () => {
    const topic = uniqueTopic('e2e-body');
    await createTopic(brokers(), topic, 1);
    await createTopic(brokers(), `${topic}.quarantine`, 1);
    const bridge = await startBridgeProcess(env(topic));
    try {
      const body = JSON.stringify(createRoomBody('chunked-room'));
      const half = Math.floor(body.length / 2);
      const chunked = await sendRaw(bridge, [
        rawHead('Transfer-Encoding: chunked\r\n'),
        rawChunk(body.slice(0, half)),
        rawChunk(body.slice(half)),
        '0\r\n\r\n',
      ]);
      expect(chunked).toBe(200);

      // No Content-Length for hapi to check first: the limit applies to what arrives.
      const big = JSON.stringify(
        createRoomBody('big-room', { room: { CustomInfo: 'x'.repeat(40_000) } }),
      );
      const tooLarge = await sendRaw(bridge, [
        rawHead('Transfer-Encoding: chunked\r\n'),
        rawChunk(big),
        rawChunk(big),
        '0\r\n\r\n',
      ]);
      expect(tooLarge).toBe(413);

      const cut = JSON.stringify(createRoomBody('cut-room'));
      await sendRaw(
        bridge,
        [rawHead(`Content-Length: ${Buffer.byteLength(cut)}\r\n`), cut.slice(0, 50)],
        { hangUp: true },
      );

      let metrics = await readMetrics(bridge);
      const deadline = Date.now() + 5000;
      // the series exists at 0 from the start: wait for the count
      while (!metrics.get('live_bridge_callbacks_rejected_total{reason="body_incomplete"}')) {
        if (Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
        metrics = await readMetrics(bridge);
      }
      expect(metrics.get('live_bridge_callbacks_rejected_total{reason="body_incomplete"}')).toBe(1);
      expect(metrics.get('live_bridge_callbacks_rejected_total{reason="body_too_large"}')).toBe(1);
      expect(metrics.get(`live_bridge_events_forwarded_total{type="${ROOM_CREATED_V1}"}`)).toBe(1);
      const messages = await consumeAll(brokers(), topic, { expected: 1, timeoutMs: 30_000 });
      expect(messages.map((m) => m.headers.ce_subject)).toEqual(['chunked-room']);
      // The access line of the cut request says what happened (hapi skips onPreResponse there).
      const lines = bridge
        .output()
        .split('\n')
        .filter((line) => line.includes('"msg":"callback"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((line) => [line.status, line.outcome, line.reason])).toEqual(
        expect.arrayContaining([
          [200, 'published', undefined],
          [413, 'rejected', 'body_too_large'],
          [400, 'rejected', 'body_incomplete'],
        ]),
      );
    } finally {
      bridge.signal('SIGTERM');
      expect(await bridge.exited).toBe(0);
    }
  });

  it('exits cleanly on SIGTERM without losing a callback it answered OK', async () => {
    const topic = uniqueTopic('e2e-sigterm');
    await createTopic(brokers(), topic, 1);
    await createTopic(brokers(), `${topic}.quarantine`, 1);
    const bridge = await startBridgeProcess(env(topic));
    const bodies = Array.from({ length: 200 }, (_, n) => createRoomBody(`sigterm-${n}`));
    let signalled = false;
    const answers = bodies.map(async (body) => {
      try {
        const answer = await send(bridge, body);
        if (!signalled) {
          signalled = true;
          bridge.signal('SIGTERM'); // the rest are in flight now
        }
        return answer;
      } catch {
        return undefined; // refused after the listener closed: never answered OK
      }
    });
    const settled = await Promise.all(answers);
    expect(await bridge.exited).toBe(0);
    const okIds = settled.filter((a) => a?.status === 200).map((a) => a!.eventId);
    expect(okIds.length).toBeGreaterThan(0);
    const messages = await consumeAll(brokers(), topic, {
      expected: okIds.length,
      timeoutMs: 30_000,
    });
    const inKafka = new Set(messages.map((m) => m.headers.ce_id));
    for (const id of okIds) expect(inKafka.has(id!)).toBe(true);
    expect(bridge.output()).toContain('"msg":"stopped"');
  });

  it('stops at once on SIGTERM while Kafka is away, keeping what it answered OK in the spool', async () => {
    // Nothing listens on port 1: every callback goes to the spool.
    const bridge = await startBridgeProcess(
      bridgeEnv(
        'away',
        { KAFKA_BROKERS: '127.0.0.1:1', SHUTDOWN_GRACE_MS: '20000' },
        '127.0.0.1:1',
      ),
    );
    const answer = await send(bridge, createRoomBody('kafka-away'));
    expect(answer.status).toBe(200);
    const signalledAt = Date.now();
    bridge.signal('SIGTERM');
    expect(await bridge.exited).toBe(0);
    // Not the 20-s grace period spent waiting for a Kafka that does not answer.
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(bridge.output()).toContain('"msg":"spool not empty at shutdown"');
    const spool = createSqliteSpool({
      path: join(bridge.spoolDir, 'spool.sqlite'),
      maxEvents: 100,
      maxBytes: 1_000_000,
      maxAgeSeconds: 86_400,
    });
    try {
      expect(spool.peek(10).map((record) => record.eventId)).toEqual([answer.eventId]);
    } finally {
      spool.close();
    }
  });

  it('refuses to start with an invalid configuration, listing every problem', async () => {
    const bridge = await startBridgeProcess(
      { KAFKA_BROKERS: 'nope', KAFKA_COMPRESSION: 'zip' },
      { waitReady: false },
    );
    expect(await bridge.exited).toBe(1);
    expect(bridge.output()).toContain('tencent.apps');
    expect(bridge.output()).toContain('kafka.compression');
    expect(bridge.output()).toContain('kafka.brokers[0]');
  });

  it('stops with one line naming the setting when its port or its spool is taken', async () => {
    const topic = uniqueTopic('e2e-taken');
    await createTopic(brokers(), topic, 1);
    await createTopic(brokers(), `${topic}.quarantine`, 1);
    const first = await startBridgeProcess(env(topic));
    try {
      const port = new URL(first.webhook).port;
      const second = await startBridgeProcess({ ...env(topic), PORT: port }, { waitReady: false });
      expect(await second.exited).toBe(1);
      const portLine = fatalLine(second.output());
      expect(portLine.msg).toBe(
        `cannot listen on 127.0.0.1:${port}: port ${port} is already in use (EADDRINUSE); change server.host and server.port (env HOST, PORT)`,
      );

      const third = await startBridgeProcess(
        { ...env(topic), SPOOL_DIR: first.spoolDir },
        { waitReady: false },
      );
      expect(await third.exited).toBe(1);
      expect(fatalLine(third.output()).msg).toBe(
        `the spool in ${first.spoolDir} is held by another process (another bridge, or a spool or dead-letters command of the CLI): stop it, or give this bridge a spool.dir of its own (env SPOOL_DIR)`,
      );
      // The first bridge still serves.
      expect((await send(first, createRoomBody('still-serving'))).status).toBe(200);
    } finally {
      first.process.kill('SIGTERM');
      await first.exited;
    }
  });
});

/** The one fatal (level 60) JSON line in a bridge's output; fails unless there is exactly one. */
function fatalLine(output: string): { msg: string } {
  const lines = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.level === 60);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}
