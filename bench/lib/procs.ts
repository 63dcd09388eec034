/**
 * Processes of a benchmark run and what we read from them: TypeScript children (load
 * generators, the HTTP ceiling server, the Kafka ceiling) started with tsx and an IPC channel,
 * the bridge started from a private build of src/, its /metrics, and CPU time from /proc.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_APP_ID, BENCH_TOKEN, REPO_ROOT } from './payload';

const TSX = ['--import', 'tsx'];

export interface Child {
  process: ChildProcess;
  pid: number;
  /** Resolves with the first message of that type; rejects on an `error` message or an exit. */
  next<T>(type: string, timeoutMs: number): Promise<T>;
  kill(signal?: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

/** Starts `bench/<script>` in its own Node process (tsx), arguments as JSON in BENCH_ARGS. */
export function startChild(script: string, args: object, logFile?: string): Child {
  const out = logFile === undefined ? 'inherit' : openSync(logFile, 'a');
  const child = spawn(process.execPath, [...TSX, join(REPO_ROOT, 'bench', script)], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_ARGS: JSON.stringify(args) },
    stdio: ['ignore', out, out, 'ipc'],
  });
  if (typeof out === 'number') closeSync(out);
  if (child.pid === undefined) throw new Error(`cannot start ${script}`);
  const inbox: { type: string }[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (message: { type: string }) => {
    inbox.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      for (const wake of waiters.splice(0)) wake();
      resolve(code);
    }),
  );
  return {
    process: child,
    pid: child.pid,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (exitCode === undefined) child.kill(signal);
    },
    async next<T>(type: string, timeoutMs: number): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = inbox.findIndex((m) => m.type === type || m.type === 'error');
        if (index >= 0) {
          const [message] = inbox.splice(index, 1) as [{ type: string; message?: string }];
          if (message.type === 'error') throw new Error(`${script} failed: ${message.message}`);
          return message as T;
        }
        if (exitCode !== undefined)
          throw new Error(`${script} exited (${exitCode}) before '${type}'`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${script}: no '${type}' within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

/** Runs a child to completion and returns its `result` message. */
export async function runToResult<T>(
  script: string,
  args: object,
  timeoutMs: number,
  onStart?: (child: Child) => void,
): Promise<T> {
  const child = startChild(script, args);
  onStart?.(child);
  try {
    const result = await child.next<T>('result', timeoutMs);
    await child.exited;
    return result;
  } finally {
    child.kill('SIGKILL');
  }
}

/** A service of a benchmark run (the bridge, the peer), its output appended to a log file. */
export interface ServiceProcess {
  pid: number;
  /** SIGTERM, wait for the exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Spawns `command` with its stdout and stderr appended to `logFile`, as a container runtime would
 * take them (no pipe into this process), then polls `ready` every 100 ms until it resolves true
 * (a throw counts as not yet, e.g. not listening).
 * @throws when the process cannot be spawned, exits before it is ready, or is not ready after
 * 60 s (it is SIGKILLed then); the message names `name`, `readiness` and the log file.
 */
export async function startService(options: {
  /** As errors name it: `the bridge`, `Benthos`. */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  ready: () => Promise<boolean>;
  /** What `ready` waits for, as the timeout error names it (default `ready`). */
  readiness?: string;
}): Promise<ServiceProcess> {
  const log = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`cannot start ${options.name}`);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const service: ServiceProcess = {
    pid: child.pid,
    exited,
    async stop(timeoutMs = 30_000) {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${options.name} exited (${exitCode}); see ${options.logFile}`);
    }
    try {
      if (await options.ready()) return service;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(
    `${options.name} not ${options.readiness ?? 'ready'} after 60 s; see ${options.logFile}`,
  );
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process, in seconds; undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores). */
function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

/** One group of a process's threads (same name) over an interval, in percent of one core. */
export interface ThreadTime {
  /** On a CPU. */
  running: number;
  /** Runnable but waiting for a CPU (the scheduler's run queue). */
  waiting: number;
  threads: number;
}

/**
 * Run and run-queue time of each thread of a process (`/proc/PID/task/TID/schedstat`, ns),
 * keyed by TID, with the thread's name; empty when the process is gone.
 */
function threadSchedTimes(pid: number): Map<string, { name: string; run: number; wait: number }> {
  const times = new Map<string, { name: string; run: number; wait: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return times;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')
        .split(' ')
        .map(Number);
      times.set(tid, { name, run: run ?? 0, wait: wait ?? 0 });
    } catch {
      // the thread ended meanwhile
    }
  }
  return times;
}

/** Per thread name, what the threads of that name did between two `threadSchedTimes`. */
function threadTimeDelta(
  before: ReturnType<typeof threadSchedTimes>,
  after: ReturnType<typeof threadSchedTimes>,
  seconds: number,
): Record<string, ThreadTime> {
  const ns: Record<string, { run: number; wait: number; threads: number }> = {};
  for (const [tid, a] of after) {
    const b = before.get(tid) ?? { run: 0, wait: 0 };
    const group = (ns[a.name] ??= { run: 0, wait: 0, threads: 0 });
    group.run += a.run - b.run;
    group.wait += a.wait - b.wait;
    group.threads++;
  }
  const percent = (nanoseconds: number): number =>
    Math.round((nanoseconds / 1e9 / seconds) * 1000) / 10;
  const groups: Record<string, ThreadTime> = {};
  for (const [name, group] of Object.entries(ns)) {
    groups[name] = {
      running: percent(group.run),
      waiting: percent(group.wait),
      threads: group.threads,
    };
  }
  return groups;
}

export interface CpuReport {
  seconds: number;
  /**
   * Per role whose threads were followed (the server under test), per thread name: time on a
   * CPU and time runnable but waiting for one. Absent in results from before 2026-11-26.
   */
  threads?: Record<string, Record<string, ThreadTime>>;
  /** Per role, percent of one core (200 % = both cores of a 2-core machine). */
  percentOfCore: Record<string, number>;
  machineBusyPercentOfCore: number;
  /** Machine busy time not accounted to the roles: other processes, kernel threads. */
  otherPercentOfCore: number;
}

/** The roles whose threads `cpuMeter` follows one by one: the server under test. */
const THREAD_ROLES = new Set(['server', 'bridge']);

/**
 * Starts CPU accounting for named processes; `end()` gives each one's share over the interval,
 * and for the server under test each thread's time on a CPU and waiting for one.
 */
export function cpuMeter(pids: Record<string, number | undefined>): { end(): CpuReport } {
  const started = performance.now();
  const machine = machineCpuSeconds();
  const before: Record<string, number | undefined> = {};
  const threadsBefore: Record<string, ReturnType<typeof threadSchedTimes>> = {};
  for (const [role, pid] of Object.entries(pids)) {
    before[role] = pid === undefined ? undefined : processCpuSeconds(pid);
    if (pid !== undefined && THREAD_ROLES.has(role)) threadsBefore[role] = threadSchedTimes(pid);
  }
  return {
    end() {
      const seconds = (performance.now() - started) / 1000;
      const machineAfter = machineCpuSeconds();
      const percentOfCore: Record<string, number> = {};
      let ours = 0;
      for (const [role, pid] of Object.entries(pids)) {
        const b = before[role];
        const a = pid === undefined ? undefined : processCpuSeconds(pid);
        if (a === undefined || b === undefined) continue;
        percentOfCore[role] = Math.round(((a - b) / seconds) * 1000) / 10;
        ours += a - b;
      }
      const busy = machineAfter.busy - machine.busy;
      const threads: Record<string, Record<string, ThreadTime>> = {};
      for (const [role, times] of Object.entries(threadsBefore)) {
        const after = threadSchedTimes(pids[role]!);
        if (after.size > 0) threads[role] = threadTimeDelta(times, after, seconds);
      }
      return {
        seconds: Math.round(seconds * 10) / 10,
        ...(Object.keys(threads).length > 0 ? { threads } : {}),
        percentOfCore,
        machineBusyPercentOfCore: Math.round((busy / seconds) * 1000) / 10,
        otherPercentOfCore: Math.round((Math.max(0, busy - ours) / seconds) * 1000) / 10,
      };
    },
  };
}

/** Peak resident set size of a live process (VmHWM), in bytes. */
export function peakRssBytes(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The bridge

/** Compiles src/ into `dir` (never the shared dist/), so the run measures one snapshot of src/. */
export function buildBridge(dir: string): string {
  execFileSync(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(REPO_ROOT, 'tsconfig.build.json'),
      '--outDir',
      join(dir, 'build'),
    ],
    { stdio: 'inherit' },
  );
  // dependencies resolve through the repository's node_modules; the folders the image ships
  // next to dist/ (Dockerfile) are found from the package root
  for (const shipped of ['node_modules', 'schemas', 'fixtures', 'config']) {
    execFileSync('ln', ['-sfn', join(REPO_ROOT, shipped), join(dir, shipped)]);
  }
  execFileSync('sh', ['-c', `echo '{"type":"commonjs"}' > "${join(dir, 'package.json')}"`]);
  return join(dir, 'build', 'src', 'main.js');
}

export interface BridgeOptions {
  main: string;
  brokers: string;
  topic: string;
  logLevel: string;
  spoolDir: string;
  logFile: string;
  webhookPort: number;
  adminPort: number;
  nodeFlags?: string[];
  env?: Record<string, string>;
}

export interface BridgeHandle extends ServiceProcess {
  url: string;
  admin: string;
  metrics(): Promise<Map<string, number>>;
}

/** Sum of every sample of each metric (label sets added up), from Prometheus text. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    if (Number.isFinite(value)) out.set(match[1]!, (out.get(match[1]!) ?? 0) + value);
  }
  return out;
}

export async function startBridge(options: BridgeOptions): Promise<BridgeHandle> {
  const admin = `http://127.0.0.1:${options.adminPort}`;
  const metrics = async (): Promise<Map<string, number>> => {
    const response = await fetch(`${admin}/metrics`, { signal: AbortSignal.timeout(5000) });
    return parseMetrics(await response.text());
  };
  const service = await startService({
    name: 'the bridge',
    command: process.execPath,
    args: [...(options.nodeFlags ?? []), options.main],
    cwd: join(options.main, '..', '..', '..'),
    env: {
      PATH: process.env.PATH ?? '',
      CONFIG_DIR: join(REPO_ROOT, 'config'),
      SERVER_HOST: '127.0.0.1',
      ADMIN_HOST: '127.0.0.1',
      PORT: String(options.webhookPort),
      ADMIN_PORT: String(options.adminPort),
      TENCENT_SDK_APP_ID: BENCH_APP_ID,
      TENCENT_CALLBACK_TOKEN: BENCH_TOKEN,
      KAFKA_BROKERS: options.brokers,
      KAFKA_TOPIC: options.topic,
      LOG_LEVEL: options.logLevel,
      SPOOL_DIR: options.spoolDir,
      ...options.env,
    },
    logFile: options.logFile,
    // Ready = /readyz 200 and the producer connected (readiness alone may mean "spool accepts").
    ready: async () => {
      const ready = await fetch(`${admin}/readyz`, { signal: AbortSignal.timeout(2000) });
      return ready.status === 200 && (await metrics()).get('live_bridge_kafka_connected') === 1;
    },
    readiness: 'ready with Kafka connected',
  });
  return { ...service, url: `http://127.0.0.1:${options.webhookPort}`, admin, metrics };
}

export interface MemorySample {
  /** Seconds since the sampler started. */
  t: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  forwarded: number;
  spooled: number;
  spoolDepth: number;
}

const MB = 1024 * 1024;

/** Reads the bridge's /metrics every `intervalMs` (process_resident_memory_bytes and friends). */
export function sampleMetrics(
  bridge: BridgeHandle,
  intervalMs: number,
): { stop(): Promise<MemorySample[]>; samples: MemorySample[] } {
  const samples: MemorySample[] = [];
  const started = performance.now();
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const take = async (): Promise<void> => {
    try {
      const m = await bridge.metrics();
      samples.push({
        t: Math.round((performance.now() - started) / 100) / 10,
        rssMB: Math.round(((m.get('process_resident_memory_bytes') ?? 0) / MB) * 10) / 10,
        heapUsedMB: Math.round(((m.get('nodejs_heap_size_used_bytes') ?? 0) / MB) * 10) / 10,
        heapTotalMB: Math.round(((m.get('nodejs_heap_size_total_bytes') ?? 0) / MB) * 10) / 10,
        forwarded: m.get('live_bridge_events_forwarded_total') ?? 0,
        spooled: m.get('live_bridge_events_spooled_total') ?? 0,
        spoolDepth: m.get('live_bridge_spool_depth') ?? 0,
      });
    } catch {
      // a missed sample (the bridge is busy or gone) is just missing
    }
  };
  const timer = setInterval(() => {
    if (!stopped) inFlight = take();
  }, intervalMs);
  inFlight = take();
  return {
    samples,
    async stop() {
      if (stopped) return samples;
      stopped = true;
      clearInterval(timer);
      await inFlight;
      await take();
      return samples;
    },
  };
}
