/**
 * A real Prometheus (Debian's `prometheus` package, installed by .ci/run) on loopback, scraping
 * given targets every second, for end-to-end tests of /metrics, the dashboard and the alert rules.
 * Plus the chart rendered with helm (scripts/install-chart-tools.sh provides it).
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './bridge-process';
import { REPO_ROOT } from './kafka-broker';
import { testTempDir } from './temp-dir';

export interface PrometheusServer {
  url: string;
  /** Instant query; rejects when Prometheus answers anything but `success` (a PromQL error). */
  query(expr: string): Promise<PromSample[]>;
  /** Series matching a selector (`/api/v1/series`). */
  series(match: string): Promise<Record<string, string>[]>;
  output(): string;
  stop(): Promise<void>;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

function requireTool(name: string): void {
  if (spawnSync('sh', ['-c', `command -v ${name}`]).status !== 0) {
    throw new Error(
      `${name} is not installed: apt-get install -y prometheus (.ci/run installs it with kcat)`,
    );
  }
}

/**
 * Starts Prometheus with one scrape job (`jobName`, the `labels` added to every target, 1 s
 * interval) and the given rule groups loaded, and waits until it is ready.
 */
export async function startPrometheus(options: {
  jobName: string;
  targets: string[];
  labels: Record<string, string>;
  ruleGroups?: unknown[];
}): Promise<PrometheusServer> {
  requireTool('prometheus');
  const dir = testTempDir('prometheus-');
  const port = await freePort();
  const rulesFile = join(dir, 'rules.json');
  // JSON is YAML: no YAML writer needed
  writeFileSync(rulesFile, JSON.stringify({ groups: options.ruleGroups ?? [] }));
  writeFileSync(
    join(dir, 'prometheus.json'),
    JSON.stringify({
      global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
      rule_files: [rulesFile],
      scrape_configs: [
        {
          job_name: options.jobName,
          static_configs: [{ targets: options.targets, labels: options.labels }],
        },
      ],
    }),
  );
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.json')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(url + path, { signal: AbortSignal.timeout(5000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? body.status}`);
    return body.data;
  };
  const server: PrometheusServer = {
    url,
    query: async (expr) =>
      (await api<{ result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`))
        .result,
    series: (match) => api(`/api/v1/series?match[]=${encodeURIComponent(match)}`),
    output: () => output,
    async stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      await exited;
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`prometheus exited (${exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`prometheus not ready in 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `promtool check metrics` on an exposition: its complaints, empty when it passes. */
export function promtoolCheckMetrics(text: string): { ok: boolean; output: string } {
  requireTool('promtool');
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

const TOOLS = join(REPO_ROOT, '.tools');

/**
 * The chart rendered by helm as a list of Kubernetes objects. helm comes from
 * scripts/install-chart-tools.sh (run here when it is missing); the YAML is read with the
 * PyYAML of that script's venv.
 */
export function renderChart(args: string[]): Record<string, unknown>[] {
  const helm = join(TOOLS, 'bin', 'helm');
  const python = join(TOOLS, 'venv', 'bin', 'python');
  if (!existsSync(helm) || !existsSync(python)) {
    execFileSync('bash', [join(REPO_ROOT, 'scripts', 'install-chart-tools.sh')], {
      stdio: 'inherit',
      timeout: 900_000,
    });
  }
  const yaml = execFileSync(
    helm,
    ['template', 'ci', join(REPO_ROOT, 'helm', 'tencent-live-kafka-bridge'), ...args],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const json = execFileSync(
    python,
    [
      '-c',
      'import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))',
    ],
    { input: yaml, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(json) as Record<string, unknown>[];
}
