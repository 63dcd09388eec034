import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { REJECTIONS } from '../../src/errors';
import type { FuzzCase } from '../helpers/fuzz-cases';
import { UNAUTHENTICATED_MARK, fuzzCase } from '../helpers/fuzz-cases';
import type { MemoryBridge } from '../helpers/memory-bridge';
import { startMemoryBridge } from '../helpers/memory-bridge';
import { seededRandom } from '../helpers/random';
import type { RawAnswer } from '../helpers/raw-http';
import { rawRequest } from '../helpers/raw-http';

/**
 * The HTTP fuzz run (issue 14): seeded, bounded, over loopback, against a bridge with the
 * in-memory publisher and spool. CI sends FUZZ_REQUESTS (default 10,000, about 15 s);
 * by hand: `FUZZ_REQUESTS=50000 FUZZ_SEED=7 FUZZ_REPORT=/tmp/fuzz.json npx jest
 * test/integration/http-fuzz.test.ts`. The publisher fails for a stretch in the middle, so the
 * spool takes records too.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 14);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 16);
const KNOWN_REASONS = new Set<string>(Object.values(REJECTIONS).map((row) => row.reason));
const REASON_BY_ERROR_CODE = new Map<number, string>(
  Object.values(REJECTIONS).map((row) => [row.errorCode, row.reason]),
);

// A full GC before each memory reading, so the readings compare live memory, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let b: MemoryBridge;
beforeAll(async () => {
  b = await startMemoryBridge({
    SERVER_PAYLOAD_TIMEOUT_MS: '300',
    CONNECTIONS_HEADERS_TIMEOUT_MS: '1000',
  });
});
afterAll(() => b.bridge.stop(2000));

async function counter(name: string): Promise<Map<string, number>> {
  const { values } = await b.registry.getSingleMetric(name)!.get();
  return new Map(values.map((value) => [String(value.labels.reason), value.value]));
}

function tencentBody(answer: RawAnswer): { ActionStatus: string; ErrorCode: number } | undefined {
  try {
    const body = JSON.parse(answer.body) as { ActionStatus?: unknown; ErrorCode?: unknown };
    if (
      (body.ActionStatus === 'OK' || body.ActionStatus === 'FAIL') &&
      typeof body.ErrorCode === 'number'
    ) {
      return body as { ActionStatus: string; ErrorCode: number };
    }
  } catch {
    // not JSON: reported below
  }
  return undefined;
}

it(`answers ${REQUESTS} mutated requests in Tencent's format, counted, nothing unauthenticated stored`, async () => {
  const random = seededRandom(SEED);
  // Built one at a time (in a fixed order, so the seed decides every case): holding all of
  // them would put their bytes in the RSS being measured.
  let authenticatedCount = 0;
  const nextCase = (): FuzzCase => {
    const item = fuzzCase(random);
    if (item.authenticated) authenticatedCount++;
    return item;
  };

  const byStatus = new Map<number, number>();
  const answeredReasons = new Map<string, number>();
  const problems: string[] = [];
  let unanswered = 0;
  let ok = 0;
  let next = 0;
  let rssAfterWarmUp = 0;
  let heapAfterWarmUp = 0;
  let rssHalfway = 0;
  let rssPeak = 0;
  const started = Date.now();

  // Records Kafka (the in-memory publisher) took: checked for the mark, counted, then let go, so
  // that the memory readings measure the bridge and not the records the test keeps.
  const leaked: string[] = [];
  let published = 0;
  const marked = (record: { key: string; value: Buffer; headers: Record<string, string> }) =>
    [record.value.toString('latin1'), record.key, JSON.stringify(record.headers)].some((text) =>
      text.includes(UNAUTHENTICATED_MARK),
    );
  const checkPublished = (): void => {
    for (const record of b.publisher.records) if (marked(record)) leaked.push(record.key);
    published += b.publisher.records.length;
    b.publisher.records.length = 0;
  };

  async function worker(): Promise<void> {
    while (next < REQUESTS) {
      const index = next++;
      const item = nextCase();
      if (index === Math.floor(REQUESTS / 3)) b.publisher.failWith('PUBLISH_FAILED');
      if (index === Math.floor((2 * REQUESTS) / 3)) b.publisher.failWith(undefined);
      if (index === Math.floor(REQUESTS / 10)) {
        checkPublished();
        gc();
        rssAfterWarmUp = process.memoryUsage().rss;
        heapAfterWarmUp = process.memoryUsage().heapUsed;
      }
      if (index === Math.floor(REQUESTS / 2)) {
        checkPublished();
        gc();
        rssHalfway = process.memoryUsage().rss;
      }
      if (index % 500 === 0) {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        checkPublished();
      }
      const answer = await rawRequest(b.port, item.bytes, { waitMs: 5_000 });
      if (answer.status === undefined) {
        // The server closed without an answer: only after refusing a body it would not read
        // (hapi's 413 by Content-Length, then a reset while we were still writing).
        unanswered++;
        if (!answer.closed) problems.push(`#${index} ${item.kind}: no answer within 5 s`);
        continue;
      }
      byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
      if (answer.status >= 500 && answer.status !== 503)
        problems.push(`#${index} ${item.kind}: ${answer.status} ${answer.body}`);
      // A HEAD answer has no body, by HTTP's rules.
      if (item.kind.includes('/HEAD')) {
        if (answer.status !== 200)
          answeredReasons.set('(HEAD)', (answeredReasons.get('(HEAD)') ?? 0) + 1);
        continue;
      }
      const body = tencentBody(answer);
      if (body === undefined) {
        problems.push(`#${index} ${item.kind}: not Tencent's format: ${answer.text.slice(0, 120)}`);
        continue;
      }
      if (answer.status === 200) {
        ok++;
        if (body.ActionStatus !== 'OK') problems.push(`#${index} ${item.kind}: 200 with FAIL`);
      } else {
        const reason = REASON_BY_ERROR_CODE.get(body.ErrorCode);
        if (reason === undefined) problems.push(`#${index}: unknown ErrorCode ${body.ErrorCode}`);
        else answeredReasons.set(reason, (answeredReasons.get(reason) ?? 0) + 1);
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  // Let the drainer hand the spooled records to the publisher again.
  const drainDeadline = Date.now() + 10_000;
  while (b.spool.records.length > 0 && Date.now() < drainDeadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const seconds = (Date.now() - started) / 1000;
  checkPublished();
  gc();
  const rssEnd = process.memoryUsage().rss;
  const heapEnd = process.memoryUsage().heapUsed;

  const rejected = await counter('live_bridge_callbacks_rejected_total');
  const quarantined = await counter('live_bridge_events_quarantined_total');
  for (const record of [...b.spool.records, ...b.spool.dead])
    if (marked(record)) leaked.push(record.key);
  const report = {
    seed: SEED,
    requests: REQUESTS,
    seconds,
    authenticatedCases: authenticatedCount,
    ok,
    unanswered,
    byStatus: Object.fromEntries([...byStatus].sort(([a], [z]) => a - z)),
    refusedByReason: Object.fromEntries([...rejected].sort()),
    quarantinedByReason: Object.fromEntries([...quarantined].sort()),
    published,
    spooledLeft: b.spool.records.length,
    rssMiB: {
      afterWarmUp: Math.round(rssAfterWarmUp / 2 ** 20),
      halfway: Math.round(rssHalfway / 2 ** 20),
      peak: Math.round(Math.max(rssPeak, rssEnd) / 2 ** 20),
      end: Math.round(rssEnd / 2 ** 20),
    },
    heapUsedMiB: {
      afterWarmUp: Math.round(heapAfterWarmUp / 2 ** 20),
      end: Math.round(heapEnd / 2 ** 20),
    },
  };
  if (process.env.FUZZ_REPORT)
    writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(report, null, 2));
  console.log(`HTTP fuzz report\n${JSON.stringify(report, null, 2)}`);

  expect(problems.slice(0, 20)).toEqual([]);
  expect(leaked).toEqual([]);
  expect(published + b.spool.records.length).toBeLessThanOrEqual(authenticatedCount);
  // Every refusal counted under a known reason; the counts agree with the answers seen (the
  // server also counts the refusals whose answer a reset swallowed).
  for (const reason of rejected.keys()) expect(KNOWN_REASONS).toContain(reason);
  const counted = [...rejected.values()].reduce((sum, n) => sum + n, 0);
  const answeredRefusals = [...answeredReasons.values()].reduce((sum, n) => sum + n, 0);
  expect(counted).toBeGreaterThanOrEqual(answeredRefusals);
  expect(counted).toBeLessThanOrEqual(answeredRefusals + unanswered);
  for (const [reason, n] of answeredReasons)
    if (reason !== '(HEAD)') expect(rejected.get(reason)).toBeGreaterThanOrEqual(n);
  expect(unanswered).toBeLessThan(REQUESTS * 0.05);
  expect(ok).toBeGreaterThan(0);
  // No 500: a 503 only while the publisher fails (spool full is not possible here).
  expect(byStatus.get(500) ?? 0).toBe(0);
  // Memory flat: after warm-up and a full GC, the heap grows by less than 16 MiB (the records
  // the in-memory publisher keeps included). The RSS here is jest's process, test client and
  // all, and moved by 58 MiB in one CI run: the bridge's own RSS is checked where it runs alone,
  // in test/e2e/http-fuzz-process.test.ts. The readings above are reported, not asserted.
  expect(heapEnd - heapAfterWarmUp).toBeLessThan(16 * 2 ** 20);
  // Still answering.
  const last = await rawRequest(
    b.port,
    `GET /nowhere HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n`,
  );
  expect(last.status).toBe(404);
}, 600_000);
