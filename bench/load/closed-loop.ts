/**
 * Closed-loop saturation load with autocannon 9 (its API, in this process of its own): a fixed
 * number of keep-alive connections, each sending its next request as soon as the previous answer
 * arrived. This finds the most requests/s a server answers at that concurrency. Every request is
 * re-signed for the current second and carries a new room id (setupRequest), and every answer
 * must be exactly the OK body (verifyBody), else it counts as a mismatch.
 */
import autocannon from 'autocannon';
import type { AutocannonRequest } from 'autocannon';
import { childArgs, runChild, send } from '../lib/child';
import type { PayloadKind } from '../lib/payload';
import { OK_ANSWER, createPayload, round } from '../lib/payload';

export interface ClosedLoopArgs {
  url: string;
  connections: number;
  durationSec: number;
  warmupSec: number;
  roomPrefix: string;
  timeoutSec: number;
  /** What to send (default: create-room only). */
  payload?: PayloadKind;
}

export interface ClosedLoopResult {
  type: 'result';
  connections: number;
  durationSec: number;
  /** Answers that were 200 with the exact OK body, per second. */
  okPerSec: number;
  completed: number;
  ok: number;
  non2xx: number;
  mismatches: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  generatorCpuPercent: number;
}

async function main(): Promise<void> {
  const args = childArgs<ClosedLoopArgs>();
  const payload = createPayload({ kind: args.payload ?? 'create-room' });
  let seq = 0;
  const request: AutocannonRequest = {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    setupRequest: (req) => {
      const next = payload.next(`${args.roomPrefix}-${seq++}`);
      req.path = next.path;
      req.body = next.body;
      return req;
    },
  };
  const options = {
    url: args.url,
    connections: args.connections,
    timeout: args.timeoutSec,
    requests: [request],
    verifyBody: (body: string) => body === OK_ANSWER,
  };
  if (args.warmupSec > 0) await autocannon({ ...options, duration: args.warmupSec });

  await send({ type: 'measuring' });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({ ...options, duration: args.durationSec });
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - started;

  const statusCodes: Record<string, number> = {};
  let completed = 0;
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
    statusCodes[code] = count;
    completed += count;
  }
  const ok = result['2xx'] - result.mismatches;
  const summary: ClosedLoopResult = {
    type: 'result',
    connections: args.connections,
    durationSec: round(result.duration, 2),
    okPerSec: round(ok / result.duration, 1),
    completed,
    ok,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      p999: result.latency.p99_9,
      max: result.latency.max,
      mean: round(result.latency.mean),
    },
    generatorCpuPercent: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1),
  };
  await send(summary);
}

if (require.main === module) runChild(main);
