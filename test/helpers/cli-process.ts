import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import type { BridgeProcess } from './bridge-process';
import { createKafkaClient } from './kafka-broker';
import { APP_ID, TOKEN } from './tencent';

const ROOT = join(__dirname, '..', '..');
/** The built operator CLI, run as people run it (package.json `bin`). */
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/src/cli.js <args>` with only `env` (plus PATH) in its environment and the
 * repository as its working directory (so `config/` is found as in the image), feeding `stdin`.
 * Kills it after `timeoutMs`.
 */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { stdin?: string | Buffer; timeoutMs?: number } = {},
): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return runNode([CLI, ...args], env, options);
}

/**
 * `--url <the bridge's callback URL> --app-id APP_ID --token TOKEN`: what `send` (and the other
 * commands that post to a bridge) need to reach a running test bridge as the test app.
 */
export function sendFlags(bridge: BridgeProcess): string[] {
  return ['--url', `${bridge.webhook}/webhooks/tencent/live`, '--app-id', APP_ID, '--token', TOKEN];
}

/** Runs `node <argv>` the same way as {@link runCli} (e.g. `--import tsx examples/….ts`). */
export async function runNode(
  argv: readonly string[],
  env: Record<string, string> = {},
  options: { stdin?: string | Buffer; timeoutMs?: number } = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Sets one config entry of a topic (e.g. raises `max.message.bytes` once a test fixed "the cause"). */
export async function setTopicConfig(brokers: string, topic: string, name: string, value: string) {
  const admin = createKafkaClient(brokers, 'topic-config').admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name, value }] },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}
