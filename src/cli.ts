#!/usr/bin/env node
/**
 * The operator CLI: `tencent-live-kafka-bridge <command>` (package.json `bin`). Reads the
 * configuration exactly as the server does (CONFIG_DIR, CONFIG_FILE, environment).
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { checkConfig } from './cli/config-command';
import { allDeadLetters, exportLine, summarize, table } from './cli/dead-letter-commands';
import { SendInputError, postCallback, resolveSendInput, signedUrl } from './cli/send-command';
import { replayQuarantine } from './cli/replay-command';
import { EXIT, SpoolOpenError, drainSpool, openSpool, spoolStatus } from './cli/spool-commands';
import { ConfigError, loadConfig } from './config/load';
import type { BridgeConfig } from './config/types';
import { TopicRangeError } from './kafka/topic-reader';
import { logProcessWarnings } from './kafka/kafkajs-publisher';
import { createLogger } from './logger';
import { SAMPLE_NAMES } from './tencent/samples';

const configDir = (): string => process.env.CONFIG_DIR ?? join(process.cwd(), 'config');

/** The configuration as the server reads it; `appsOptional` for commands that verify nothing. */
function config(options: { appsOptional?: boolean } = {}): Readonly<BridgeConfig> {
  try {
    return loadConfig({ configDir: configDir(), env: process.env, ...options });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    fail(EXIT.usage, error.message);
  }
}

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new InvalidArgumentError('must be an integer');
  return parsed;
}

function nonNegativeInteger(value: string): number {
  const parsed = integer(value);
  if (parsed < 0) throw new InvalidArgumentError('must be 0 or more');
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('must be a positive integer');
  }
  return parsed;
}

/** Opens the spool of `settings` (default: the configuration, apps optional) for `run`. */
function withSpool<T>(
  run: (spool: ReturnType<typeof openSpool>) => T,
  settings: Readonly<BridgeConfig> = config({ appsOptional: true }),
): T {
  let spool;
  try {
    spool = openSpool(settings);
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
    const settings = config({ appsOptional: true });
    const logger = createLogger(settings.log.level);
    logProcessWarnings(logger);
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
    }, settings);
    process.exit(drained ? EXIT.ok : EXIT.notDrained);
  });

function drainedMessage(left: number): string {
  return left === 0 ? 'spool drained' : 'spool not drained: events remain';
}

program
  .command('send')
  .description(
    'sign a callback exactly as Tencent does and POST it to a deployment; prints the status, the ' +
      'answer and x-event-id (exit 0: 2xx or the --expect status, 1: another status or no answer, 2: usage)',
  )
  .argument(
    '[input]',
    `a fixture (${[...SAMPLE_NAMES.keys()].join(', ')}, or any CallbackCommand name), ` +
      'a file, or - for stdin; default: the create-room sample with a fresh room id',
  )
  .requiredOption(
    '--url <url>',
    'the callback URL, e.g. https://bridge.example.com/webhooks/tencent/live',
  )
  .requiredOption('--app-id <SdkAppid>', 'the SdkAppid to send (another app id tests APP_UNKNOWN)')
  .requiredOption('--token <token>', 'the callback key of the app, as set in the Tencent console')
  .option('--command <CallbackCommand>', "the CallbackCommand for the query (default: the body's)")
  .option('--room-id <id>', 'set every RoomId of the body to this')
  .option('--wrong-signature', 'sign with another token (expect 401 signature_mismatch)')
  .addOption(
    new Option('--time-offset <seconds>', 'move RequestTime by this many seconds (-120: stale)')
      .argParser(integer)
      .conflicts('stale'),
  )
  .option('--stale', 'send a RequestTime 120 s old (expect 401 signature_expired)')
  .option('--unsigned', 'send no Sign and RequestTime')
  .option('--expect <status>', 'the HTTP status that counts as success', positiveInteger)
  .option(
    '--timeout-seconds <n>',
    'give up waiting for the answer after this long',
    positiveInteger,
    10,
  )
  .action(async (input: string | undefined, options: SendOptions) => {
    let request;
    try {
      request = resolveSendInput({
        what: input,
        command: options.command,
        roomId: options.roomId,
        readStdin: () => readFileSync(0),
      });
    } catch (error) {
      if (error instanceof SendInputError) fail(EXIT.usage, `error: ${error.message}`);
      throw error;
    }
    let url;
    try {
      url = signedUrl(options.url, {
        appId: options.appId,
        token: options.token,
        command: request.command,
        nowSeconds: Date.now() / 1000,
        timeOffsetSeconds: options.stale === true ? -120 : (options.timeOffset ?? 0),
        wrongSignature: options.wrongSignature === true,
        unsigned: options.unsigned === true,
      });
    } catch (error) {
      if (error instanceof TypeError) fail(EXIT.usage, `error: --url ${options.url} is not a URL`);
      throw error;
    }
    process.stderr.write(
      `POST ${request.command} (${request.source}, ${request.body.length} bytes)\n`,
    );
    let result;
    try {
      result = await postCallback(url, request.body, options.timeoutSeconds * 1000);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      fail(EXIT.notDrained, `error: no answer from ${url.origin}: ${why}`);
    }
    process.stdout.write(`status: ${result.status}\n`);
    process.stdout.write(`x-event-id: ${result.eventId ?? '(none)'}\n`);
    process.stdout.write(`body: ${result.body}\n`);
    const ok =
      options.expect === undefined
        ? result.status >= 200 && result.status < 300
        : result.status === options.expect;
    process.exit(ok ? EXIT.ok : EXIT.notDrained);
  });

interface SendOptions {
  url: string;
  appId: string;
  token: string;
  command?: string;
  roomId?: string;
  wrongSignature?: boolean;
  timeOffset?: number;
  stale?: boolean;
  unsigned?: boolean;
  expect?: number;
  timeoutSeconds: number;
}

program
  .command('check-config')
  .description(
    'load and validate the configuration as the server does (CONFIG_DIR, CONFIG_FILE, environment, ' +
      'token files); print it with secrets redacted (exit 0: valid, 2: problems, listed on stderr)',
  )
  .action(() => {
    const check = checkConfig({ configDir: configDir(), env: process.env });
    if (!check.ok) {
      fail(EXIT.usage, `invalid configuration:\n  - ${check.problems.join('\n  - ')}`);
    }
    for (const warning of check.warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(`${JSON.stringify(check.config, null, 2)}\n`);
  });

const deadLetters = program
  .command('dead-letters')
  .description(
    "records Kafka refused for good that the quarantine topic refused too, in the spool database's " +
      'dead-letter table; the spool must not be held by a running bridge (exit 3)',
  );

deadLetters
  .command('list', { isDefault: true })
  .description('one line per dead letter, oldest first: a table, or JSON lines with --json')
  .option('--json', 'JSON lines instead of a table')
  .option('--limit <n>', 'at most this many', positiveInteger, 100)
  .option('--after <id>', 'only dead letters after this id', nonNegativeInteger, 0)
  .action((options: { json?: boolean; limit: number; after: number }) => {
    const rows = withSpool((opened) => {
      try {
        return [...allDeadLetters(opened, { afterId: options.after, limit: options.limit })].map(
          summarize,
        );
      } finally {
        opened.close();
      }
    });
    if (options.json === true) {
      for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    } else if (rows.length === 0) {
      process.stderr.write('no dead letters\n');
    } else {
      process.stdout.write(`${table(rows)}\n`);
    }
  });

deadLetters
  .command('export')
  .description('every dead letter as JSON lines with its headers and its value (base64)')
  .option('--out <file>', 'write to this file instead of stdout')
  .option('--after <id>', 'only dead letters after this id', nonNegativeInteger, 0)
  .action(async (options: { out?: string; after: number }) => {
    const out = options.out === undefined ? process.stdout : createWriteStream(options.out);
    const count = withSpool((opened) => {
      let n = 0;
      try {
        for (const record of allDeadLetters(opened, { afterId: options.after })) {
          out.write(`${exportLine(record)}\n`);
          if (++n % 1000 === 0) process.stderr.write(`exported ${n}\n`);
        }
      } finally {
        opened.close();
      }
      return n;
    });
    if (out !== process.stdout) {
      out.end();
      await finished(out);
    }
    process.stderr.write(`exported ${count} dead letters\n`);
  });

deadLetters
  .command('requeue')
  .description(
    'move dead letters back into the spool, so the drainer (a bridge starting, or spool drain) ' +
      'sends them again; for after the cause was fixed (e.g. the topic limit raised)',
  )
  .argument('[ids...]', 'the dead letters to move (ids from list)')
  .option('--all', 'every dead letter')
  .action((ids: string[], options: { all?: boolean }) => {
    if ((options.all === true) === ids.length > 0) {
      fail(EXIT.usage, 'error: give dead-letter ids or --all (not both)');
    }
    const wanted = ids.map((id) => {
      const parsed = Number(id);
      if (!Number.isSafeInteger(parsed) || parsed <= 0)
        fail(EXIT.usage, `error: ${id} is not an id`);
      return parsed;
    });
    const moved = withSpool((opened) => {
      try {
        const chosen =
          options.all === true ? [...allDeadLetters(opened)].map((record) => record.id) : wanted;
        return { moved: opened.requeueDeadLetters(chosen), stats: opened.stats() };
      } finally {
        opened.close();
      }
    });
    const missing = wanted.filter((id) => !moved.moved.some((record) => record.id === id));
    process.stdout.write(
      `${JSON.stringify({
        requeued: moved.moved.length,
        eventIds: moved.moved.map((record) => record.eventId),
        notFound: missing,
        spoolDepth: moved.stats.depth,
        deadLetters: moved.stats.deadLetters,
      })}\n`,
    );
    if (missing.length > 0) process.exit(EXIT.notDrained);
  });

function time(value: string): number {
  const parsed = /^[0-9]+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(parsed)) {
    throw new InvalidArgumentError('must be an ISO 8601 time (2026-11-30T08:00:00Z) or epoch ms');
  }
  return parsed;
}

function offset(value: string): bigint {
  if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError('must be an offset (0 or more)');
  return BigInt(value);
}

program
  .command('replay-quarantine')
  .description(
    'read records back from the quarantine topic (a time range or offsets; default all of it), ' +
      're-run parsing and validation with the current schemas, publish those that pass now to ' +
      'their topic with their ids, and report the rest: one JSON line per record, totals on ' +
      'stderr (exit 0: none still fails, 1: some still fail, 2: usage or configuration)',
  )
  .option(
    '--from <time>',
    'from the first record at or after this time (ISO 8601 or epoch ms)',
    time,
  )
  .option('--to <time>', 'up to the last record before this time', time)
  .option('--partition <n>', 'only this partition', nonNegativeInteger)
  .option('--from-offset <offset>', 'first offset to read (inclusive)', offset)
  .option('--to-offset <offset>', 'offset to stop before (exclusive)', offset)
  .option('--dry-run', 'report what would be published, publish nothing')
  .option('--timeout-seconds <n>', 'give up after this long', positiveInteger, 300)
  .action(async (options: ReplayCliOptions) => {
    const settings = config();
    // stdout is the report (JSON lines); log lines go to stderr
    const logger = createLogger(settings.log.level, process.stderr);
    logProcessWarnings(logger);
    const range = {
      ...(options.from !== undefined && { fromTime: options.from }),
      ...(options.to !== undefined && { toTime: options.to }),
      ...(options.partition !== undefined && { partition: options.partition }),
      ...(options.fromOffset !== undefined && { fromOffset: options.fromOffset }),
      ...(options.toOffset !== undefined && { toOffset: options.toOffset }),
    };
    let summary;
    try {
      summary = await replayQuarantine({
        config: settings,
        logger,
        range,
        dryRun: options.dryRun === true,
        timeoutMs: options.timeoutSeconds * 1000,
        report: (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
        progress: (done, total) => logger.info({ done, of: Number(total) }, 'replaying'),
      });
    } catch (error) {
      if (error instanceof TopicRangeError) fail(EXIT.usage, `error: ${error.message}`);
      throw error;
    }
    process.stderr.write(`${JSON.stringify(summary)}\n`);
    process.exit(summary.stillFails > 0 ? EXIT.notDrained : EXIT.ok);
  });

interface ReplayCliOptions {
  from?: number;
  to?: number;
  partition?: number;
  fromOffset?: bigint;
  toOffset?: bigint;
  dryRun?: boolean;
  timeoutSeconds: number;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  fail(EXIT.notDrained, `error: ${error instanceof Error ? error.message : String(error)}`);
});
