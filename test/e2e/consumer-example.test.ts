import { join } from 'node:path';
import { brokers, uniqueTopic } from '../helpers/bridge';
import { bridgeEnv, freePort, killBridge, startBridgeProcess } from '../helpers/bridge-process';
import { runNode } from '../helpers/cli-process';
import { consumeAll, createKafkaClient, createTopic } from '../helpers/kafka-broker';
import { sampleText } from '../helpers/samples';
import { APP_ID, callbackUrl } from '../helpers/tencent';

const ROOT = join(__dirname, '..', '..');

/** Runs examples/consumer.ts with tsx until it exits (it stops after MAX_EVENTS lines). */
const runConsumer = (env: Record<string, string>) =>
  runNode(['--import', 'tsx', join(ROOT, 'examples', 'consumer.ts')], env);

describe('examples/consumer.ts against the built service and the real broker', () => {
  it('validates each event against the schema the bridge serves, drops the duplicate, flags the invalid and the unknown v2', async () => {
    const topic = uniqueTopic('e2e-consumer');
    await createTopic(brokers(), topic, 1);
    await createTopic(brokers(), `${topic}.quarantine`, 1);
    const adminPort = await freePort();
    const bridge = await startBridgeProcess(
      bridgeEnv(topic, {
        ADMIN_PORT: String(adminPort),
        EVENTS_DATA_SCHEMA_BASE_URL: `http://127.0.0.1:${adminPort}/schemas`,
      }),
    );
    try {
      const ids: string[] = [];
      for (const command of [
        'Live.CallbackAfterCreateRoom',
        'Live.CallbackAfterMemberStateChanged',
        'Live.CallbackAfterDestroyRoom',
      ]) {
        const response = await fetch(bridge.webhook + callbackUrl({ command }), {
          method: 'POST',
          body: sampleText(command),
        });
        expect(response.status).toBe(200);
        ids.push(response.headers.get('x-event-id')!);
      }
      const [first] = await consumeAll(brokers(), topic, { expected: 3, timeoutMs: 30_000 });
      const producer = createKafkaClient(brokers(), 'consumer-example-test').producer();
      await producer.connect();
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: [
            // at-least-once: the same record again
            { key: first!.key, value: first!.value, headers: first!.headers },
            // data its schema refuses
            {
              key: first!.key,
              value: '{"roomId":5}',
              headers: { ...first!.headers, ce_id: 'f'.repeat(32) },
            },
            // a v2 this consumer has no schema for
            {
              key: first!.key,
              value: '{}',
              headers: {
                ...first!.headers,
                ce_id: 'e'.repeat(32),
                ce_type: 'com.tencentcloud.live.room.created.v2',
              },
            },
          ],
        });
      } finally {
        await producer.disconnect();
      }

      const run = await runConsumer({
        KAFKA_BROKERS: brokers(),
        TOPIC: topic,
        GROUP_ID: `${topic}-example`,
        FROM_BEGINNING: 'true',
        MAX_EVENTS: '6',
        SCHEMA_BASE_URL: `${bridge.admin}/schemas`,
      });
      // kafkajs 2.2.4 on Node 24 prints a TimeoutNegativeWarning; anything else is a failure
      const stderr = run.stderr
        .split('\n')
        .filter(
          (line) =>
            !/TimeoutNegativeWarning|Timeout duration was set to 1|--trace-warnings/.test(line),
        )
        .join('');
      expect({ code: run.code, stderr, stdout: run.stdout }).toMatchObject({ code: 0, stderr: '' });
      const lines = run.stdout.trim().split('\n');
      expect(lines).toHaveLength(6);
      expect(lines.slice(0, 3)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^p0 ok com\\.tencentcloud\\.live\\.room\\.created\\.v1 id=${ids[0]} key=${APP_ID}:tandy-test-rest `,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^p0 ok com\\.tencentcloud\\.live\\.member\\.state_changed\\.v1 id=${ids[1]} `,
          ),
        ),
        expect.stringMatching(
          new RegExp(`^p0 ok com\\.tencentcloud\\.live\\.room\\.destroyed\\.v1 id=${ids[2]} `),
        ),
      ]);
      expect(lines[3]).toBe(`p0 duplicate com.tencentcloud.live.room.created.v1 id=${ids[0]}`);
      expect(lines[4]).toMatch(
        new RegExp(
          `^p0 invalid com\\.tencentcloud\\.live\\.room\\.created\\.v1 id=${'f'.repeat(32)}: `,
        ),
      );
      expect(lines[4]).toContain('/roomId must be string');
      expect(lines[5]).toBe(
        `p0 unknown com.tencentcloud.live.room.created.v2 id=${'e'.repeat(32)}: no schema, skipped`,
      );
    } finally {
      await killBridge(bridge);
    }
  }, 120_000);
});
