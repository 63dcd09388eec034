/**
 * The peer of the benchmark (issue 16): Benthos, built from the Go module proxy at the version
 * `bench/peers/benthos/go.mod` requires, running `bench/peers/benthos/config.yaml` (http_server
 * → signature check and CloudEvent mapping in Bloblang → kafka_franz, answered after the ack).
 *
 * The binary is built once per version into `bench/.peers/` (git-ignored) and reused while the
 * module files are unchanged: a build takes minutes on a small machine.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_APP_ID, BENCH_TOKEN, CALLBACK_PATH, REPO_ROOT } from './payload';
import type { ServiceProcess } from './procs';
import { startService } from './procs';

export const BENTHOS_DIR = join(REPO_ROOT, 'bench', 'peers', 'benthos');
export const BENTHOS_CONFIG = join(BENTHOS_DIR, 'config.yaml');
const BENTHOS_MODULE = 'github.com/benthosdev/benthos/v4';

export interface PeerBuild {
  binary: string;
  /** The Benthos module version, e.g. `v4.27.0`. */
  version: string;
  /** Seconds the build took; 0 when the cached binary was used. */
  buildSec: number;
  /** `go version` of the toolchain (of this run; the cached binary may be older). */
  go: string;
}

/** The Benthos version the peer module requires (its go.mod). */
export function benthosVersion(): string {
  const goMod = readFileSync(join(BENTHOS_DIR, 'go.mod'), 'utf8');
  const match = new RegExp(
    `^\\s*(?:require\\s+)?${BENTHOS_MODULE.replace(/\./g, '\\.')}\\s+(v\\S+)`,
    'm',
  ).exec(goMod);
  if (!match?.[1]) throw new Error(`bench/peers/benthos/go.mod does not require ${BENTHOS_MODULE}`);
  return match[1];
}

/**
 * Builds the peer binary unless a build of the same module files is cached.
 * @throws when Go is missing or the build fails (the peer phase cannot run without it).
 */
export function buildBenthos(log: (message: string) => void): PeerBuild {
  const version = benthosVersion();
  const go = execFileSync('go', ['version'], { encoding: 'utf8' }).trim();
  const dir = join(REPO_ROOT, 'bench', '.peers', `benthos-${version}`);
  const binary = join(dir, 'benthos');
  const stampFile = join(dir, 'sources.sha256');
  const stamp = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go'])
    stamp.update(readFileSync(join(BENTHOS_DIR, file)));
  const sources = stamp.digest('hex');
  if (existsSync(binary) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === sources) {
    log(`peer: Benthos ${version} from the cache (${binary})`);
    return { binary, version, buildSec: 0, go };
  }
  mkdirSync(dir, { recursive: true });
  log(`peer: building Benthos ${version} with ${go} (minutes on a small machine)`);
  const started = performance.now();
  const partial = `${binary}.partial`;
  execFileSync('go', ['build', '-trimpath', '-o', partial, '.'], {
    cwd: BENTHOS_DIR,
    stdio: 'inherit',
    // the module's go.sum pins every dependency; static like Benthos' own release binaries
    // (CGO_ENABLED=0 in its .goreleaser.yml)
    env: { ...process.env, GOFLAGS: '-mod=readonly', CGO_ENABLED: '0' },
  });
  renameSync(partial, binary);
  writeFileSync(stampFile, sources);
  const buildSec = Math.round((performance.now() - started) / 100) / 10;
  log(`peer: built in ${buildSec} s`);
  return { binary, version, buildSec, go };
}

export interface BenthosOptions {
  binary: string;
  brokers: string;
  topic: string;
  webhookPort: number;
  /** Benthos' own HTTP server: /ready and /metrics. */
  httpPort: number;
  logFile: string;
  /** Benthos' logger level (default INFO, its default). */
  logLevel?: string;
  signatureWindowSeconds?: number;
}

export interface BenthosHandle extends ServiceProcess {
  /** Base URL of the webhook listener (the callback path is CALLBACK_PATH, as the bridge's). */
  url: string;
}

/**
 * Starts Benthos with the peer config; resolves once `/ready` answers 200 (input listening and
 * the Kafka output connected).
 */
export async function startBenthos(options: BenthosOptions): Promise<BenthosHandle> {
  const service = await startService({
    name: 'Benthos',
    command: options.binary,
    args: ['-c', BENTHOS_CONFIG],
    env: {
      PATH: process.env.PATH ?? '',
      BENTHOS_HTTP_ADDRESS: `127.0.0.1:${options.httpPort}`,
      BENTHOS_LOG_LEVEL: options.logLevel ?? 'INFO',
      WEBHOOK_ADDRESS: `127.0.0.1:${options.webhookPort}`,
      CALLBACK_PATH,
      TENCENT_SDK_APP_ID: BENCH_APP_ID,
      TENCENT_CALLBACK_TOKEN: BENCH_TOKEN,
      SIGNATURE_WINDOW_SECONDS: String(options.signatureWindowSeconds ?? 60),
      KAFKA_BROKERS: options.brokers,
      KAFKA_TOPIC: options.topic,
    },
    logFile: options.logFile,
    ready: async () => {
      const ready = await fetch(`http://127.0.0.1:${options.httpPort}/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      return ready.status === 200;
    },
  });
  return { ...service, url: `http://127.0.0.1:${options.webhookPort}` };
}

/** Resident set size of a live process now (VmRSS), in bytes. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples VmRSS of a process every `intervalMs`; `stop()` gives the largest value seen. */
export function sampleRss(pid: number, intervalMs = 250): { stop(): number } {
  let peak = rssBytes(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid) ?? 0);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid) ?? 0);
    },
  };
}
