/**
 * `npm run dev` as a newcomer runs it right after `git clone` (issue 15): a copy of this checkout
 * holding only what a clone holds (no node_modules, no Node 24 under .tools, no Kafka jars, no
 * Kafka data, no spool), the machine's own npm first on PATH, free ports, no KAFKA_BROKERS. Nothing
 * is reused from this checkout: `npm run dev` installs Node 24 (when the machine's Node is older
 * than 22), runs `npm ci` and fetches the Kafka jars itself, from the npm and Maven caches this
 * machine already has.
 *
 * Then it must print the sample callback's own Kafka record, and Ctrl-C (SIGINT to its process
 * group, as a terminal sends it) or SIGTERM must stop everything it started: exit 0, no process
 * left (the bridge, the Kafka JVM), every port free again.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ROOM_CREATED_V1 } from '../../src/events/room-created-v1';
import { KAFKA_LOCAL_SCRIPT, REPO_ROOT, findFreePorts } from '../helpers/kafka-broker';
import type { ProcessInfo } from '../helpers/process-tree';
import { canBind, descendants, processInfo, stillAlive } from '../helpers/process-tree';

/** npm ci, a JVM and a Kafka broker on a shared 2-core machine: minutes, not seconds. */
const FIRST_RUN_MS = 4 * 60_000;
const SECOND_RUN_MS = 2 * 60_000;
/** Stopping: the bridge's grace, then Kafka's controlled shutdown (SIGKILL after 30 s). */
const STOP_MS = 90_000;
const SAMPLE_ROOM = 'tandy-test-rest';

/**
 * Copies the files a clone of this checkout would hold: `git ls-files` (tracked files as they
 * are in the working tree, plus new files not ignored), so uncommitted changes are tested too.
 */
function copyCheckout(): string {
  const dest = mkdtempSync(join(tmpdir(), 'dev-first-run-'));
  const listed = execFileSync(
    'git',
    ['-C', REPO_ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    const from = join(REPO_ROOT, file);
    let stat;
    try {
      stat = lstatSync(from);
    } catch {
      continue; // deleted in the working tree, not yet committed
    }
    const to = join(dest, file);
    mkdirSync(dirname(to), { recursive: true });
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (stat.isFile()) copyFileSync(from, to); // keeps the mode (executable scripts)
  }
  return dest;
}

/** The npm scripts' environment, the jest run's settings and this checkout's tools are left out. */
const NOT_A_NEWCOMERS_SHELL = new RegExp(
  '^(' +
    [
      'npm_package_\\w*',
      'npm_lifecycle_\\w*',
      'npm_command',
      'npm_execpath',
      'npm_node_execpath',
      'npm_config_(local_prefix|prefix|global_prefix|globalconfig|user_agent|npm_version|node_gyp)',
      'INIT_CWD',
      'NODE',
      'NODE_ENV',
      'NODE_OPTIONS',
      'JEST_WORKER_ID',
      'KAFKA_\\w*',
      'TENCENT_\\w*',
      'SPOOL_\\w*',
      'SERVER_\\w*',
      'ADMIN_\\w*',
      'CONFIG_FILE',
      'CONFIG_DIR',
      'LOG_LEVEL',
      'PORT',
      'HOST',
    ].join('|') +
    ')$',
);

interface Ports {
  web: number;
  admin: number;
  kafka: number;
  controller: number;
}

/**
 * The environment of a newcomer's shell: this one without npm's script variables, without the
 * Kafka the jest run uses (KAFKA_BROKERS, KAFKA_PORT, …) and with PATH stripped of every
 * node_modules/.bin and of this checkout's own Node 24, so `npm` and `node` are the machine's.
 * The local KRaft broker is asked for explicitly (KAFKA_NO_DOCKER=1): it is the one whose
 * process and ports this test can check (a Docker engine would otherwise be preferred).
 */
function newcomerEnv(ports: Ports): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!NOT_A_NEWCOMERS_SHELL.test(name)) env[name] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(
      (dir) =>
        dir !== '' &&
        !dir.startsWith(REPO_ROOT) &&
        !/node_modules[/\\]\.bin$/.test(dir) &&
        !dir.includes('node-gyp-bin'),
    )
    .join(delimiter);
  env.PORT = String(ports.web);
  env.ADMIN_PORT = String(ports.admin);
  env.KAFKA_PORT = String(ports.kafka);
  env.KAFKA_CONTROLLER_PORT = String(ports.controller);
  env.KAFKA_NO_DOCKER = '1';
  return env;
}

interface DevRun {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves when the output matches; rejects if npm exits first or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Resolves with npm's exit; rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: string | null }>;
  /**
   * Resolves once npm's stdout and stderr are closed, i.e. no process that shares them (such as
   * the bridge) still runs; rejects after `timeoutMs`.
   */
  waitForClose(timeoutMs: number): Promise<void>;
}

/** `promise`, or a rejection with `what()` after `timeoutMs`. */
function within<T>(promise: Promise<T>, timeoutMs: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what())), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `npm run dev` in its own process group (the group a terminal's Ctrl-C goes to). */
function startDev(cwd: string, env: NodeJS.ProcessEnv): DevRun {
  const child = spawn('npm', ['run', 'dev'], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('npm did not start (is npm on PATH?)');
  const pid = child.pid;
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exit: { code: number | null; signal: string | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      for (const listener of listeners) listener();
      resolve(exit);
    }),
  );
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const tail = () => output.split('\n').slice(-60).join('\n');
  return {
    child,
    pid,
    output: () => output,
    waitForOutput: (pattern, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) finish();
          else if (exit !== undefined) finish(`npm exited (${JSON.stringify(exit)})`);
        };
        const timer = setTimeout(() => finish(`nothing after ${timeoutMs} ms`), timeoutMs);
        const finish = (problem?: string) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (problem === undefined) resolve();
          else reject(new Error(`waiting for ${String(pattern)}: ${problem}; output:\n${tail()}`));
        };
        listeners.add(check);
        check();
      }),
    waitForExit: (timeoutMs) =>
      within(exited, timeoutMs, () => `npm still running after ${timeoutMs} ms:\n${tail()}`),
    waitForClose: (timeoutMs) =>
      within(
        closed,
        timeoutMs,
        () => `npm exited, but its stdout/stderr were still open ${timeoutMs} ms later:\n${tail()}`,
      ),
  };
}

interface PrintedRecord {
  eventId: string;
  record: { key: string; headers: Record<string, string>; value: Record<string, unknown> };
}

/** The sample's x-event-id and the Kafka record `npm run dev` printed as JSON. */
function printedRecord(output: string): PrintedRecord {
  const eventId = /^x-event-id: ([0-9a-f]{32})$/m.exec(output)?.[1];
  const json = /^Kafka record on \S+?(?: \([^)\n]*\))?:\n(\{\n[\s\S]*?\n\})$/m.exec(output)?.[1];
  if (eventId === undefined || json === undefined) {
    throw new Error(`no x-event-id and Kafka record in the output:\n${output}`);
  }
  return { eventId, record: JSON.parse(json) as PrintedRecord['record'] };
}

/** The pid in the clone's default Kafka run dir, as a process snapshot (undefined if none). */
function kafkaProcess(checkout: string): ProcessInfo | undefined {
  const pidFile = join(checkout, '.kafka', 'kafka.pid');
  if (!existsSync(pidFile)) return undefined;
  return processInfo(Number(readFileSync(pidFile, 'utf8').trim()));
}

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

/** What every run must show: the sample's own record, no stack trace, no error-level log line. */
function expectSampleRecord(output: string): PrintedRecord {
  const printed = printedRecord(output);
  expect(printed.record.headers).toMatchObject({
    ce_id: printed.eventId,
    ce_type: ROOM_CREATED_V1,
    ce_subject: SAMPLE_ROOM,
  });
  expect(printed.record.key).toBe(`1400000000:${SAMPLE_ROOM}`);
  expect(printed.record.value).toMatchObject({ roomId: SAMPLE_ROOM, sdkAppId: '1400000000' });
  expect(output).not.toMatch(STACK_FRAME);
  // pino's error and fatal lines ("level":50/60), kafkajs' own logger's ("level":"ERROR")
  expect(output).not.toMatch(/"level":(50|60|"ERROR")/);
  return printed;
}

/** Stops whatever a failed run left (npm's group, the bridge, the clone's broker). */
function killLeftovers(run: DevRun, started: Started | undefined, checkout: string, ports: Ports) {
  const tree = [...descendants(run.pid), ...(started?.tree ?? []), ...(started?.services ?? [])];
  try {
    process.kill(-run.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  for (const p of tree) {
    try {
      if (stillAlive(p)) process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  try {
    execFileSync('bash', [KAFKA_LOCAL_SCRIPT, 'kill'], {
      env: {
        ...process.env,
        KAFKA_RUN_DIR: join(checkout, '.kafka'),
        KAFKA_PORT: String(ports.kafka),
        KAFKA_CONTROLLER_PORT: String(ports.controller),
      },
      stdio: 'ignore',
    });
  } catch (error) {
    console.error(`could not kill the clone's broker: ${String(error)}`);
  }
}

interface Started {
  /** the bridge and the Kafka JVM: npm run dev must have stopped them before it exits */
  services: ProcessInfo[];
  /** all of npm's process tree (npm, node, tsx's esbuild service, …) */
  tree: ProcessInfo[];
}

/** Everything `npm run dev` started, seen while it runs: its process tree and the Kafka JVM. */
function startedProcesses(run: DevRun, checkout: string): Started {
  const tree = descendants(run.pid);
  const bridge = tree.find((p) => p.cmdline.includes('src/main.ts'));
  const kafka = kafkaProcess(checkout);
  expect(bridge).toBeDefined();
  expect(kafka).toBeDefined(); // the clone's own broker, in its default run dir
  return { services: [bridge, kafka].filter((p) => p !== undefined), tree };
}

const describeProcesses = (processes: ProcessInfo[]) =>
  processes.map((p) => `${p.pid} ${p.cmdline.slice(0, 160)}`);

/**
 * Once npm has exited: the bridge and the broker are gone already (they were stopped and waited
 * for), npm's stdout/stderr are closed, every other process of its tree is gone (a helper such as
 * tsx's esbuild service ends when its parent's pipes close: it gets a bounded moment), and every
 * port is free again.
 */
async function expectNothingLeft(run: DevRun, started: Started, ports: Ports): Promise<void> {
  expect(describeProcesses(started.services.filter(stillAlive))).toEqual([]);
  await run.waitForClose(10_000);
  const deadline = Date.now() + 5000;
  while (started.tree.some(stillAlive) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(describeProcesses(started.tree.filter(stillAlive))).toEqual([]);
  for (const port of [ports.web, ports.admin, ports.kafka, ports.controller]) {
    expect({ port, free: await canBind(port) }).toEqual({ port, free: true });
  }
}

describe('npm run dev', () => {
  let checkout: string;
  let ports: Ports;
  let firstRunOutput = '';

  beforeAll(async () => {
    checkout = copyCheckout();
    const [web, admin, kafka, controller] = await findFreePorts(4);
    ports = { web: web!, admin: admin!, kafka: kafka!, controller: controller! };
  });

  afterAll(() => {
    rmSync(checkout, { recursive: true, force: true });
  });

  it(
    'on a fresh clone installs what is missing, prints the sample’s record, and Ctrl-C stops all it started',
    async () => {
      expect(existsSync(join(checkout, 'node_modules'))).toBe(false);
      expect(existsSync(join(checkout, '.kafka'))).toBe(false);
      const run = startDev(checkout, newcomerEnv(ports));
      let started: Started | undefined;
      try {
        await run.waitForOutput(/^Ctrl-C stops/m, FIRST_RUN_MS);
        expectSampleRecord(run.output());
        firstRunOutput = run.output();
        // installed by npm run dev itself
        expect(existsSync(join(checkout, 'node_modules', '.package-lock.json'))).toBe(true);
        const ready = await fetch(`http://127.0.0.1:${ports.admin}/readyz`);
        expect(ready.status).toBe(200);

        started = startedProcesses(run, checkout);
        process.kill(-run.pid, 'SIGINT'); // Ctrl-C: the terminal signals the whole group
        expect(await run.waitForExit(STOP_MS)).toEqual({ code: 0, signal: null });
        await expectNothingLeft(run, started, ports);
        const output = run.output();
        expect(output).not.toMatch(STACK_FRAME);
        // One Ctrl-C (which reaches npm run dev from the terminal and again from npm) is one
        // stop: the bridge shuts down gracefully, once.
        expect(output).not.toMatch(/SIG(INT|TERM) again/);
        expect(output).not.toContain('second signal');
        expect(output).toContain('"msg":"stopped"');
      } finally {
        killLeftovers(run, started, checkout, ports);
      }
    },
    FIRST_RUN_MS + STOP_MS + 30_000,
  );

  it(
    'runs again on the same clone and Kafka data, prints this run’s record, and SIGTERM stops all it started',
    async () => {
      const since = Date.now();
      const run = startDev(checkout, newcomerEnv(ports));
      let started: Started | undefined;
      try {
        await run.waitForOutput(/^Ctrl-C stops/m, SECOND_RUN_MS);
        const printed = expectSampleRecord(run.output());
        // the same deterministic event id as the first run's, but this run's record
        if (firstRunOutput !== '') {
          expect(printed.eventId).toBe(printedRecord(firstRunOutput).eventId);
        }
        expect(Date.parse(String(printed.record.value.receivedAt))).toBeGreaterThanOrEqual(
          since - 1000,
        );

        started = startedProcesses(run, checkout);
        run.child.kill('SIGTERM'); // to npm alone, as a process manager would
        expect(await run.waitForExit(STOP_MS)).toEqual({ code: 0, signal: null });
        await expectNothingLeft(run, started, ports);
        expect(run.output()).toContain('"msg":"stopped"');
      } finally {
        killLeftovers(run, started, checkout, ports);
      }
    },
    SECOND_RUN_MS + STOP_MS + 30_000,
  );
});
