/**
 * `npm run dev`: a local Kafka (the test harness: KAFKA_BROKERS, else Docker, else a KRaft broker
 * from Maven Central jars), the bridge with a sample app id and token, one signed sample
 * callback, and the Kafka record it produced. Keeps running; Ctrl-C stops everything.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { consumeAll, createKafkaClient, resolveKafka } from '../test/helpers/kafka-broker';
import { computeSign } from '../src/tencent/signature';

const ROOT = join(__dirname, '..');
const APP_ID = process.env.TENCENT_SDK_APP_ID ?? '1400000000';
const TOKEN = process.env.TENCENT_CALLBACK_TOKEN ?? 'dev-callback-token';
const PORT = process.env.PORT ?? '8080';
const ADMIN_PORT = process.env.ADMIN_PORT ?? '9464';
const TOPIC = process.env.KAFKA_TOPIC ?? 'tencent-live-events';
const SAMPLE = join(ROOT, 'test', 'fixtures', 'create-room.json');
const PATH = '/webhooks/tencent/live';

function signedQuery(): string {
  const requestTime = String(Math.floor(Date.now() / 1000));
  return new URLSearchParams({
    SdkAppid: APP_ID,
    CallbackCommand: 'Live.CallbackAfterCreateRoom',
    contenttype: 'json',
    ClientIP: '127.0.0.1',
    OptPlatform: 'RESTAPI',
    Sign: computeSign(TOKEN, requestTime),
    RequestTime: requestTime,
  }).toString();
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/**
 * Where each partition of the topic ends now (none if the topic does not exist yet), so the sample
 * callback's record can be told apart from those of earlier runs on a reused local broker.
 */
async function topicEnds(brokers: string): Promise<{ ends: Map<number, number>; count: number }> {
  const admin = createKafkaClient(brokers, 'dev').admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    let count = 0;
    for (const { high, low } of offsets) count += Number(high) - Number(low);
    return { ends: new Map(offsets.map((o) => [o.partition, Number(o.high)])), count };
  } catch {
    return { ends: new Map(), count: 0 }; // no topic yet: every record is new
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  console.log('starting Kafka …');
  const kafka = await resolveKafka();
  console.log(`Kafka at ${kafka.brokers} (${kafka.source})`);

  const bridge = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      TENCENT_SDK_APP_ID: APP_ID,
      TENCENT_CALLBACK_TOKEN: TOKEN,
      KAFKA_BROKERS: kafka.brokers,
      KAFKA_TOPIC: TOPIC,
      PORT,
      ADMIN_PORT,
      SERVER_HOST: '127.0.0.1',
      ADMIN_HOST: '127.0.0.1',
    },
  });
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    bridge.kill('SIGTERM');
    await new Promise((resolve) => bridge.once('exit', resolve));
    await kafka.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  bridge.on('exit', (code) => {
    if (!stopping) {
      console.error(`bridge exited with ${code}`);
      void kafka.stop().then(() => process.exit(1));
    }
  });

  await waitReady(`http://127.0.0.1:${ADMIN_PORT}/readyz`, 60_000);
  const { readFileSync } = await import('node:fs');
  const before = await topicEnds(kafka.brokers);
  const response = await fetch(`http://127.0.0.1:${PORT}${PATH}?${signedQuery()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: readFileSync(SAMPLE),
  });
  console.log(`\nsample callback → HTTP ${response.status} ${await response.text()}`);
  console.log(`x-event-id: ${response.headers.get('x-event-id')}`);
  const all = await consumeAll(kafka.brokers, TOPIC, {
    expected: before.count + 1,
    timeoutMs: 30_000,
  });
  const record = all.find((m) => Number(m.offset) >= (before.ends.get(m.partition) ?? 0));
  console.log(`\nKafka record on ${TOPIC}:`);
  console.log(
    JSON.stringify(
      {
        key: record?.key,
        headers: record?.headers,
        value: JSON.parse(record?.value.toString() ?? 'null') as unknown,
      },
      null,
      2,
    ),
  );
  console.log(`
The bridge keeps running. Send another signed callback (the signature is valid for 60 s):

  T=$(date +%s); S=$(printf '%s' "${TOKEN}$T" | sha256sum | cut -d' ' -f1); \\
  curl -sS -i -X POST -H 'content-type: application/json' --data-binary @test/fixtures/create-room.json \\
    "http://127.0.0.1:${PORT}${PATH}?SdkAppid=${APP_ID}&CallbackCommand=Live.CallbackAfterCreateRoom&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&Sign=$S&RequestTime=$T"

Metrics: curl -s http://127.0.0.1:${ADMIN_PORT}/metrics | grep live_bridge
Read the topic: kcat -b ${kafka.brokers} -C -t ${TOPIC} -o beginning -J
Ctrl-C stops the bridge${kafka.source === 'env' ? '' : ' and Kafka'}.
`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
