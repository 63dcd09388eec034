/**
 * The child side of the harness protocol: a child reads its arguments from the BENCH_ARGS
 * environment variable (JSON) and reports over the IPC channel with `send`. See procs.ts.
 */
/**
 * kafkajs 2.2.4 sets a negative timer (Node 24 prints TimeoutNegativeWarning; it is clamped to
 * 1 ms and harmless, see src/main.ts). Keep other warnings on stderr.
 */
export function quietKafkajsWarning(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning')
      process.stderr.write(`${warning.stack ?? warning.message}\n`);
  });
}

export function childArgs<T>(): T {
  const raw = process.env.BENCH_ARGS;
  if (raw === undefined) throw new Error('BENCH_ARGS is not set: run me from bench/run.ts');
  return JSON.parse(raw) as T;
}

export function send<T extends { type: string }>(message: T): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, (error: Error | null) =>
      error ? reject(error) : resolve(),
    );
  });
}

/** Runs `main`, reports a failure as `{type:'error'}`, and exits. */
export function runChild(main: () => Promise<void>): void {
  quietKafkajsWarning();
  main().then(
    () => process.exit(0),
    async (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      await send({ type: 'error', message }).catch(() => undefined);
      process.exit(1);
    },
  );
}
