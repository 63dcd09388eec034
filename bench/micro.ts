/**
 * In-process microbenchmark of the webhook's main-thread work: `server.inject` (no sockets) into
 * (a) a trivial hapi route like the HTTP ceiling's and (b) the bridge with a publisher that acks
 * at once (no Kafka). (b) − (a) is what the pipeline adds per request on the event loop. For
 * comparing code changes quickly; the real numbers are `npm run bench`'s.
 *   tsx bench/micro.ts [requests] [both|bridge|ceiling] [create-room|mixed]
 *   tsx bench/micro.ts [requests] alloc   bytes allocated per request by the bridge, by function
 *                                         (V8's sampling heap profiler, collected objects included)
 *   tsx bench/micro.ts [bodies] validate  µs per body of each command's validator (the plain-body
 *                                         check derived from its schema, joi otherwise) and of joi
 *                                         alone, on its vendor sample
 */
import type Hapi from '@hapi/hapi';
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createBridge } from '../src/app';
import { loadConfig, resolveApps } from '../src/config/load';
import type { EventPublisher } from '../src/kafka/publisher';
import { createMetrics } from '../src/metrics';
import { createLogger } from '../src/logger';
import { COMMAND_TABLE } from '../src/pipeline/command-table';
import { parseJsonBody } from '../src/tencent/json';
import type { PayloadKind } from './lib/payload';
import { BENCH_APP_ID, BENCH_TOKEN, REPO_ROOT, createPayload } from './lib/payload';
import { createCeilingServer } from './servers/http-ceiling';

const instant: EventPublisher = {
  publish: () => Promise.resolve(),
  connect: () => Promise.resolve(),
  close: () => Promise.resolve(),
  abandonQueued: () => undefined,
  isConnected: () => true,
};

async function ceiling(): Promise<Hapi.Server> {
  const server = createCeilingServer();
  await server.initialize();
  return server;
}

async function bridge(): Promise<Hapi.Server> {
  const config = loadConfig({
    configDir: `${__dirname}/../config`,
    env: {
      TENCENT_SDK_APP_ID: BENCH_APP_ID,
      TENCENT_CALLBACK_TOKEN: BENCH_TOKEN,
      SPOOL_ENABLED: 'false',
    },
  });
  const registry = new Registry();
  const { webhook } = await createBridge({
    config,
    apps: resolveApps(config.tencent.apps),
    publisher: instant,
    registry,
    metrics: createMetrics(registry),
    logger: createLogger('info', pino.destination({ dest: '/dev/null', sync: false })),
  });
  await webhook.initialize();
  return webhook;
}

async function run(
  server: Hapi.Server,
  count: number,
  label: string,
  kind: PayloadKind = 'create-room',
): Promise<number> {
  const payload = createPayload({ kind });
  const started = process.hrtime.bigint();
  const concurrency = 50;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = next++;
      const request = payload.next(`${label}-${n}-${Date.now()}`);
      const response = await server.inject({
        method: 'POST',
        url: request.path,
        payload: request.body,
        headers: { 'content-type': 'application/json' },
      });
      if (response.statusCode !== 200)
        throw new Error(`${label}: ${response.statusCode} ${response.payload}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - started) / 1000 / count;
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Runs `count` requests into the bridge under the sampling heap profiler; prints bytes/request. */
async function allocations(count: number): Promise<void> {
  const server = await bridge();
  await run(server, count, 'warm');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await run(server, count, 'alloc');
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as {
    profile: { head: SamplingNode };
  };
  session.disconnect();
  const bySite = new Map<string, number>();
  const visit = (node: SamplingNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url.includes('node_modules/')
      ? url.split('node_modules/').pop()
      : url.split('/').slice(-2).join('/');
    const site = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    node.children.forEach(visit);
  };
  visit(profile.head);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  console.log(`${(total / count).toFixed(0)} bytes allocated per request (sampled), top sites:`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`${(bytes / count).toFixed(0).padStart(8)}  ${site}`);
  }
}

/** µs per call of `fn` over `count` calls (after as many to warm up). */
function time(count: number, fn: () => unknown): number {
  for (let i = 0; i < count; i++) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) fn();
  return Number(process.hrtime.bigint() - started) / 1000 / count;
}

/** Each command's validator against joi alone, on its vendor sample (parsed once). */
function validation(count: number): void {
  for (const row of COMMAND_TABLE) {
    const name = row.commands[0]!;
    const file = `${REPO_ROOT}/fixtures/commands/${name}.json`;
    const parsed = parseJsonBody(readFileSync(file));
    const ours = time(count, () => row.validate(parsed));
    const joi = time(count, () => row.schema.validate(parsed, { abortEarly: true, convert: true }));
    console.log(
      `${name.padEnd(46)} validator ${ours.toFixed(2).padStart(6)} µs, joi alone ${joi.toFixed(2).padStart(6)} µs`,
    );
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 40_000);
  const only = process.argv[3] ?? 'both';
  const kind = (process.argv[4] ?? 'create-room') as PayloadKind;
  if (only === 'alloc') return allocations(count);
  if (only === 'validate') return validation(count);
  const a = await ceiling();
  const b = await bridge();
  for (let round = 1; round <= 3; round++) {
    const ca = only === 'bridge' ? 0 : await run(a, count, `c${round}`, kind);
    const cb = only === 'ceiling' ? 0 : await run(b, count, `b${round}`, kind);
    console.log(
      `round ${round}: ceiling ${ca.toFixed(1)} µs/req, bridge ${cb.toFixed(1)} µs/req, pipeline adds ${(cb - ca).toFixed(1)} µs`,
    );
  }
}

void main();
