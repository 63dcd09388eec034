import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROCESS_ENV } from '../../src/runtime';
import { brokers, uniqueTopic } from './bridge';
import { createTopic } from './kafka-broker';
import { APP_ID, TOKEN } from './tencent';
import { testTempDir } from './temp-dir';

const ROOT = join(__dirname, '..', '..');
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** A free TCP port on 127.0.0.1 (released before the bridge binds it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface BridgeProcess {
  process: ChildProcess;
  webhook: string;
  admin: string;
  /** The spool directory (a fresh temp dir unless `SPOOL_DIR` was given). */
  spoolDir: string;
  /** Everything the process wrote, for assertions and failure messages. */
  output(): string;
  exited: Promise<number | null>;
  signal(signal: NodeJS.Signals): void;
}

/**
 * Starts the built service (`node dist/src/main.js`) on loopback ports and waits until its
 * `/readyz` answers 200, or throws after `readyTimeoutMs` with the process output.
 */
export async function startBridgeProcess(
  env: Record<string, string>,
  options: { readyTimeoutMs?: number; waitReady?: boolean } = {},
): Promise<BridgeProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  // Explicit ports (e.g. to restart a bridge where Tencent expects it) win over free ones.
  const port = env.PORT === undefined ? await freePort() : Number(env.PORT);
  const adminPort = env.ADMIN_PORT === undefined ? await freePort() : Number(env.ADMIN_PORT);
  const spoolDir = env.SPOOL_DIR ?? testTempDir('bridge-spool-');
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      SERVER_HOST: '127.0.0.1',
      ADMIN_HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      SPOOL_DIR: spoolDir,
      ...PROCESS_ENV, // started the way the image starts it
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const bridge: BridgeProcess = {
    process: child,
    webhook: `http://127.0.0.1:${port}`,
    admin: `http://127.0.0.1:${adminPort}`,
    spoolDir,
    output: () => output,
    exited,
    signal: (signal) => child.kill(signal),
  };
  if (options.waitReady === false) return bridge;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`bridge exited (${exitCode}):\n${output}`);
    try {
      const response = await fetch(`${bridge.admin}/readyz`);
      if (response.status === 200) return bridge;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`bridge not ready after ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`);
}

/** Something a test file's afterEach undoes (last registered, first run). */
export type Cleanup = () => Promise<void> | void;

/** SIGKILLs the bridge unless it has exited already, and waits for its exit. */
export async function killBridge(bridge: BridgeProcess): Promise<void> {
  if (bridge.process.exitCode === null && bridge.process.signalCode === null) {
    bridge.signal('SIGKILL');
    await bridge.exited;
  }
}

/**
 * `startBridgeProcess`, with what undoes it pushed onto `cleanups` (run by the test file's
 * afterEach): the bridge is killed (`killBridge`), and its spool directory deleted unless
 * `env.SPOOL_DIR` named one (the test owns that one). Throws as `startBridgeProcess` does.
 */
export async function startBridgeProcessWithCleanup(
  cleanups: Cleanup[],
  env: Record<string, string>,
  options: Parameters<typeof startBridgeProcess>[1] = {},
): Promise<BridgeProcess> {
  const bridge = await startBridgeProcess(env, options);
  cleanups.push(async () => {
    await killBridge(bridge);
    if (env.SPOOL_DIR === undefined) rmSync(bridge.spoolDir, { recursive: true, force: true });
  });
  return bridge;
}

/** `name{labels}` → value of a Prometheus text exposition. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

export async function readMetrics(bridge: BridgeProcess): Promise<Map<string, number>> {
  const response = await fetch(`${bridge.admin}/metrics`, { signal: AbortSignal.timeout(2000) });
  return parseMetrics(await response.text());
}

/**
 * The environment of a bridge process for the test app (APP_ID, TOKEN) on `kafkaBrokers` (default:
 * the jest run's broker), publishing to `topic` and quarantining to `<topic>.quarantine`, plus
 * `extra` (which wins). Use it for every bridge process a test starts; fault tests build on it
 * through `faultBridgeEnv`.
 */
export function bridgeEnv(
  topic: string,
  extra: Record<string, string> = {},
  kafkaBrokers: string = brokers(),
): Record<string, string> {
  return {
    TENCENT_SDK_APP_ID: APP_ID,
    TENCENT_CALLBACK_TOKEN: TOKEN,
    KAFKA_BROKERS: kafkaBrokers,
    KAFKA_TOPIC: topic,
    KAFKA_QUARANTINE_TOPIC: `${topic}.quarantine`,
    ...extra,
  };
}

/**
 * The built service for one app (the test token) on its own new event and quarantine topics
 * (`<prefix>-<random>`, `….quarantine`) of the test broker.
 */
export async function startBridgeOnNewTopics(
  prefix: string,
  env: Record<string, string> = {},
): Promise<{ bridge: BridgeProcess; topic: string }> {
  const topic = uniqueTopic(prefix);
  await createTopic(brokers(), topic, 1);
  await createTopic(brokers(), `${topic}.quarantine`, 1);
  const bridge = await startBridgeProcess(bridgeEnv(topic, env));
  return { bridge, topic };
}
