/**
 * Open-loop HTTP load generator (runs as its own process; see bench/lib/procs.ts).
 *
 * Request i is due at t0 + i/rate, whatever happened to earlier requests: a slow answer does not
 * delay the next request (that is what closed-loop tools such as autocannon's `overallRate` do,
 * which hides queueing). Latency is measured from the request's *intended* send time to the last
 * byte of its answer, so time spent waiting for a free connection in this generator, or in the
 * server's accept queue, counts (no coordinated omission).
 *
 * HTTP/1.1 over keep-alive TCP connections, one request at a time per connection (like
 * Tencent's senders). A request that is due finds an idle connection, else a new one is opened
 * (up to `maxConnections`), else it waits in a FIFO queue here, still on the clock. No
 * connection is opened ahead of a request: Node's server closes a connection that has sent no
 * request within its `headersTimeout` (its guard against idle connections, with a 408), and a
 * request written to one just then is lost in the race (it was, in the peer phase of
 * 2026-11-30, for connections opened before the warm-up and never used). The warm-up opens the
 * connections the rate needs.
 * The client is a minimal hand-written one (raw sockets, Content-Length / chunked framing) so
 * that the generator costs the machine as little CPU as possible.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { childArgs, runChild, send } from '../lib/child';
import type { PayloadKind } from '../lib/payload';
import { OK_ANSWER, createPayload, percentile, round } from '../lib/payload';

export interface OpenLoopArgs {
  host: string;
  port: number;
  rate: number;
  durationSec: number;
  /** Sent at the same rate before the measured window, not recorded. */
  warmupSec: number;
  maxConnections: number;
  timeoutMs: number;
  roomPrefix: string;
  timelineStepSec: number;
  /** Answers slower than this (or none at all) are counted in `overThreshold`. */
  thresholdMs: number;
  /** What to send (default: create-room only). */
  payload?: PayloadKind;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface TimelinePoint {
  /** Seconds since the start of the measured window (start of the step). */
  t: number;
  sent: number;
  ok: number;
  notOk: number;
  p50: number;
  p99: number;
  max: number;
}

export interface OpenLoopResult {
  type: 'result';
  rate: number;
  durationSec: number;
  warmupSec: number;
  /** Requests due in the measured window. */
  requests: number;
  ok: number;
  notOk: number;
  /** HTTP status (or `timeout`, `connection`) → count, for the measured window. */
  byStatus: Record<string, number>;
  /** Over every answered request of the measured window (OK or not), from intended send time. */
  latencyMs: LatencySummary;
  /** Answers slower than `thresholdMs`, plus requests never answered. */
  overThreshold: number;
  thresholdMs: number;
  /** OK answers per second of the measured window. */
  okPerSec: number;
  /** Largest delay between a request's due time and its write (generator lag + queueing). */
  maxSendLagMs: number;
  maxConnectionsUsed: number;
  maxQueued: number;
  generatorCpuPercent: number;
  timeline: TimelinePoint[];
}

const STATUS_TIMEOUT = -1;
const STATUS_CONNECTION = -2;

interface Job {
  seq: number;
  intended: number;
}

class Connection {
  readonly socket: Socket;
  job: Job | undefined;
  private buffer: Buffer | undefined;
  private headerEnd = -1;
  private end = -1;
  private chunked = false;
  private status = 0;
  private closeAfter = false;
  closed = false;

  constructor(
    host: string,
    port: number,
    timeoutMs: number,
    private readonly onDone: (
      conn: Connection,
      job: Job,
      status: number,
      ok: boolean,
      reusable: boolean,
    ) => void,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.setTimeout(timeoutMs);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('timeout', () => {
      if (this.job) this.fail(STATUS_TIMEOUT);
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      if (this.job) this.fail(STATUS_CONNECTION);
    });
  }

  write(job: Job, request: string): void {
    this.job = job;
    this.buffer = undefined;
    this.headerEnd = -1;
    this.end = -1;
    this.chunked = false;
    this.closeAfter = false;
    this.socket.write(request);
  }

  private fail(status: number): void {
    const job = this.job!;
    this.job = undefined;
    this.closed = true;
    this.socket.destroy();
    this.onDone(this, job, status, false, false);
  }

  private onData(chunk: Buffer): void {
    if (!this.job) return; // nothing asked: ignore (never happens without pipelining)
    const buf = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
    this.buffer = buf;
    if (this.headerEnd < 0) {
      const index = buf.indexOf('\r\n\r\n');
      if (index < 0) return;
      this.headerEnd = index + 4;
      const head = buf.toString('latin1', 0, index);
      this.status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
      if (length) this.end = this.headerEnd + Number(length[1]);
      else if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) this.chunked = true;
      else this.end = this.headerEnd; // no body
      this.closeAfter = /\r\nconnection:[ \t]*close/i.test(head);
    }
    let body: string;
    if (this.chunked) {
      const last = buf.indexOf('0\r\n\r\n', this.headerEnd);
      if (last < 0) return;
      body = buf.toString('utf8', this.headerEnd, last); // framing kept; only compared below
    } else {
      if (buf.length < this.end) return;
      body = buf.toString('utf8', this.headerEnd, this.end);
    }
    const job = this.job;
    this.job = undefined;
    this.buffer = undefined;
    const ok =
      this.status === 200 && (this.chunked ? body.includes(OK_ANSWER) : body === OK_ANSWER);
    if (this.closeAfter) {
      this.closed = true;
      this.socket.destroy();
    }
    this.onDone(this, job, this.status, ok, !this.closeAfter);
  }
}

function summarize(values: number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    p999: round(percentile(sorted, 99.9)),
    max: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
    mean: round(sorted.length ? sum / sorted.length : Number.NaN),
  };
}

async function main(): Promise<void> {
  const args = childArgs<OpenLoopArgs>();
  const payload = createPayload({ kind: args.payload ?? 'create-room' });
  const period = 1000 / args.rate;
  const warmupCount = Math.round(args.rate * args.warmupSec);
  const measuredCount = Math.round(args.rate * args.durationSec);
  const total = warmupCount + measuredCount;
  const latency = new Float64Array(total).fill(Number.NaN);
  const status = new Int16Array(total);
  const okFlag = new Uint8Array(total);
  let completed = 0;
  let maxSendLag = 0;
  let maxQueued = 0;
  let maxConnectionsUsed = 0;

  const idle: Connection[] = [];
  const all = new Set<Connection>();
  const queue: Job[] = [];
  let queueHead = 0;
  let allDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const host = `${args.host}:${args.port}`;

  function requestText(job: Job): string {
    const { path, body } = payload.next(`${args.roomPrefix}-${job.seq}`);
    return (
      `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
      `Connection: keep-alive\r\n\r\n${body}`
    );
  }

  function onDone(conn: Connection, job: Job, code: number, ok: boolean, reusable: boolean): void {
    const now = performance.now();
    latency[job.seq] = now - job.intended;
    status[job.seq] = code;
    okFlag[job.seq] = ok ? 1 : 0;
    completed++;
    if (!reusable || conn.closed) all.delete(conn);
    const next = queueHead < queue.length ? queue[queueHead++] : undefined;
    if (queueHead > 1024 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead);
      queueHead = 0;
    }
    if (next) {
      const target = reusable && !conn.closed ? conn : openConnection();
      sendJob(target, next);
    } else if (reusable && !conn.closed) {
      idle.push(conn);
    }
    if (completed === total) allDone();
  }

  function openConnection(): Connection {
    const conn = new Connection(args.host, args.port, args.timeoutMs, onDone);
    all.add(conn);
    if (all.size > maxConnectionsUsed) maxConnectionsUsed = all.size;
    return conn;
  }

  function sendJob(conn: Connection, job: Job): void {
    const lag = performance.now() - job.intended;
    if (lag > maxSendLag) maxSendLag = lag;
    conn.write(job, requestText(job));
  }

  function dispatch(job: Job): void {
    let conn = idle.pop();
    while (conn?.closed) conn = idle.pop();
    if (!conn && all.size < args.maxConnections) conn = openConnection();
    if (conn) sendJob(conn, job);
    else {
      queue.push(job);
      if (queue.length - queueHead > maxQueued) maxQueued = queue.length - queueHead;
    }
  }

  const cpuBefore = process.cpuUsage();
  const t0 = performance.now() + 20;
  // Tell the harness when the measured window starts (CPU accounting covers only that window).
  const measuring = setTimeout(
    () => void send({ type: 'measuring' }),
    Math.max(0, t0 + warmupCount * period - performance.now()),
  );
  let next = 0;
  const pump = (): void => {
    const now = performance.now();
    while (next < total && t0 + next * period <= now) {
      dispatch({ seq: next, intended: t0 + next * period });
      next++;
    }
    if (next < total) setTimeout(pump, Math.max(0, t0 + next * period - performance.now()));
  };
  pump();

  // Every request gets an answer or a timeout; the deadline only guards against a bug here.
  const deadline = (args.warmupSec + args.durationSec) * 1000 + args.timeoutMs * 2 + 5000;
  let guard: NodeJS.Timeout | undefined;
  await Promise.race([
    finished,
    new Promise<void>((resolve) => (guard = setTimeout(resolve, deadline))),
  ]);
  clearTimeout(guard);
  clearTimeout(measuring);
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - t0;
  for (const conn of all) conn.socket.destroy();

  const byStatus: Record<string, number> = {};
  const answered: number[] = [];
  let ok = 0;
  let overThreshold = 0;
  for (let i = warmupCount; i < total; i++) {
    const code = status[i]!;
    const key =
      code === STATUS_TIMEOUT
        ? 'timeout'
        : code === STATUS_CONNECTION
          ? 'connection'
          : code === 0
            ? 'unanswered'
            : String(code);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    if (okFlag[i]) ok++;
    const ms = latency[i]!;
    if (code > 0) answered.push(ms);
    if (code <= 0 || ms > args.thresholdMs) overThreshold++;
  }

  const timeline: TimelinePoint[] = [];
  const perStep = Math.max(1, Math.round(args.rate * args.timelineStepSec));
  for (let from = warmupCount; from < total; from += perStep) {
    const to = Math.min(total, from + perStep);
    const values: number[] = [];
    let stepOk = 0;
    for (let i = from; i < to; i++) {
      if (status[i]! > 0) values.push(latency[i]!);
      if (okFlag[i]) stepOk++;
    }
    const s = summarize(values);
    timeline.push({
      t: round(((from - warmupCount) * period) / 1000, 1),
      sent: to - from,
      ok: stepOk,
      notOk: to - from - stepOk,
      p50: s.p50,
      p99: s.p99,
      max: s.max,
    });
  }

  const result: OpenLoopResult = {
    type: 'result',
    rate: args.rate,
    durationSec: args.durationSec,
    warmupSec: args.warmupSec,
    requests: measuredCount,
    ok,
    notOk: measuredCount - ok,
    byStatus,
    latencyMs: summarize(answered),
    overThreshold,
    thresholdMs: args.thresholdMs,
    okPerSec: round(ok / args.durationSec, 1),
    maxSendLagMs: round(maxSendLag),
    maxConnectionsUsed,
    maxQueued,
    generatorCpuPercent: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1),
    timeline,
  };
  await send(result);
}

if (require.main === module) runChild(main);
