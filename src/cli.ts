#!/usr/bin/env node
/**
 * The operator CLI: `tencent-live-kafka-bridge <command>` (package.json `bin`). Reads the
 * configuration exactly as the server does (CONFIG_DIR, CONFIG_FILE, environment).
 */
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from './config/load';
import type { BridgeConfig } from './config/types';
import { EXIT, SpoolOpenError, drainSpool, openSpool, spoolStatus } from './cli/spool-commands';
import { createLogger } from './logger';

function config(): Readonly<BridgeConfig> {
  const configDir = process.env.CONFIG_DIR ?? join(process.cwd(), 'config');
  try {
    return loadConfig({ configDir, env: process.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    fail(EXIT.usage, error.message);
  }
}

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('must be a positive integer');
  }
  return parsed;
}

function withSpool<T>(run: (spool: ReturnType<typeof openSpool>) => T): T {
  let spool;
  try {
    spool = openSpool(config());
  } catch (error) {
    if (error instanceof SpoolOpenError)
      fail(error.held ? EXIT.spoolHeld : EXIT.notDrained, error.message);
    throw error;
  }
  return run(spool);
}

const program = new Command('tencent-live-kafka-bridge')
  .description('Operate a tencent-live-kafka-bridge deployment')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : EXIT.usage));

const spool = program
  .command('spool')
  .description('the local spool: events answered OK that Kafka has not acknowledged yet');

spool
  .command('status', { isDefault: true })
  .description('depth, oldest age, dead letters and the first records, as JSON')
  .option('--sample <n>', 'how many of the oldest records to show', positiveInteger, 5)
  .action((options: { sample: number }) => {
    const status = withSpool((opened) => {
      try {
        return spoolStatus(opened, options.sample);
      } finally {
        opened.close();
      }
    });
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  });

spool
  .command('drain')
  .description(
    'send every spooled event to Kafka now, then exit; refuses while another process holds the spool ' +
      '(exit 0: empty, 1: events left, 2: usage or configuration, 3: spool held)',
  )
  .option('--timeout-seconds <n>', 'give up after this long', positiveInteger, 300)
  .action(async (options: { timeoutSeconds: number }) => {
    const settings = config();
    const logger = createLogger(settings.log.level);
    const drained = await withSpool(async (opened) => {
      const before = opened.stats().depth;
      logger.info({ depth: before, dir: settings.spool.dir }, 'draining the spool');
      try {
        return await drainSpool({
          config: settings,
          spool: opened,
          logger,
          timeoutMs: options.timeoutSeconds * 1000,
          progress: (left) => logger.info({ left, of: before }, 'draining'),
        });
      } finally {
        const { depth, deadLetters } = opened.stats();
        logger.info({ left: depth, deadLetters }, drainedMessage(depth));
        opened.close();
      }
    });
    process.exit(drained ? EXIT.ok : EXIT.notDrained);
  });

function drainedMessage(left: number): string {
  return left === 0 ? 'spool drained' : 'spool not drained: events remain';
}

program.parseAsync(process.argv).catch((error: unknown) => {
  fail(EXIT.notDrained, `error: ${error instanceof Error ? error.message : String(error)}`);
});
