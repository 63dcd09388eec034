/**
 * How the bridge's Node process is started, in one place: the Dockerfile, `npm start`, the
 * end-to-end tests and the benchmark all use these (test/unit/runtime.test.ts checks the
 * Dockerfile and package.json). Measured in BENCHMARKS.md.
 *
 * - `--max-semi-space-size=16`: V8 sizes the young generation from the machine's memory (a
 *   64 MiB semi-space, 128 MiB of new space, on a 24 GiB machine) or, in a container, from its
 *   memory limit; a fixed size keeps the process the same everywhere. 16 MiB kept ~96 % of the
 *   throughput for ~100 MiB less RSS; 8 and 4 cost 10 % and 30 % (scavenges too frequent).
 * - `--max-old-space-size=256`: the heap in use peaks at ~40 MiB under load; a bound well above
 *   it instead of one derived from the host.
 * - `MALLOC_ARENA_MAX=1`: glibc otherwise gives each thread (the spool's I/O thread, V8 helpers) its own
 *   malloc arena; two arenas saved ~80 MiB of RSS under load, one ~4 MiB more at the same
 *   throughput (threads rarely malloc at the same time).
 */
export const NODE_OPTIONS = '--max-semi-space-size=16 --max-old-space-size=256';
export const PROCESS_ENV: Readonly<Record<string, string>> = {
  NODE_OPTIONS,
  MALLOC_ARENA_MAX: '1',
};
