/** Markdown tables for a run's results (printed at the end of a run, pasted into BENCHMARKS.md). */
import type { ClosedLoopResult } from '../load/closed-loop';
import type { OpenLoopResult } from '../load/open-loop';
import type { CpuReport } from './procs';
import type { BenchResults, BridgeRun, Measured, PeerRun } from './results';

const f = (value: number | undefined, digits = 1): string =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
const n = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '–' : Math.round(value).toLocaleString('en-US');

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

const cpu = (report: CpuReport, role: string): string => f(report.percentOfCore[role], 0);

/** A row measured again because of other work on the machine is marked with a dagger. */
const mark = (label: string, m: { discarded?: unknown[] }): string =>
  m.discarded?.length ? `${label} †` : label;

function closedRow(label: string, m: Measured<ClosedLoopResult>, role: string): string[] {
  const r = m.result;
  label = mark(label, m);
  const notOk = r.completed - r.ok + r.errors;
  return [
    label,
    String(r.connections),
    n(r.okPerSec),
    f(r.latencyMs.p50),
    f(r.latencyMs.p99),
    f(r.latencyMs.p999),
    f(r.latencyMs.max),
    n(notOk),
    cpu(m.cpu, role),
    f(((m.cpu.percentOfCore[role] ?? Number.NaN) * 10_000) / r.okPerSec, 0),
    cpu(m.cpu, 'loadgen'),
    cpu(m.cpu, 'broker'),
    f(m.cpu.otherPercentOfCore, 0),
    m.kafka ? `${f(m.kafka.meanBatchSize)} / ${f(m.kafka.meanProduceMs)}` : '–',
  ];
}

/**
 * Names Node gives its threads (Linux `comm`): the event loop and our I/O worker (`io`: the
 * spool, and the Kafka client until 2026-11-30 evening; runs before issue 16 named the Kafka
 * worker `kafka-publisher`).
 */
const MAIN_THREAD = 'MainThread';
const IO_THREADS = ['io', 'kafka-publisher'];
const V8_HELPERS = 'V8Worker';

/** Where the server's threads spent a measurement: the event loop, Kafka, V8's GC helpers. */
function threadRow(label: string, m: Measured<unknown>, role: string): string[] {
  const threads = m.cpu.threads?.[role];
  if (!threads) return [label, '–', '–', '–', '–', '–', '–'];
  let others = 0;
  for (const [name, time] of Object.entries(threads)) {
    if (name !== MAIN_THREAD && !IO_THREADS.includes(name) && name !== V8_HELPERS)
      others += time.running;
  }
  const io = IO_THREADS.map((name) => threads[name]).find(Boolean);
  return [
    label,
    f(threads[MAIN_THREAD]?.running, 0),
    f(threads[MAIN_THREAD]?.waiting, 0),
    f(io?.running, 0),
    f(io?.waiting, 0),
    f(threads[V8_HELPERS]?.running, 0),
    f(others, 0),
  ];
}

/** Header of an `openRow` table: its first column, and whose CPU the CPU columns show. */
function openHeader(first: string, process: string): string[] {
  return [
    first,
    'rate/s',
    'OK/s',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'p99.9 ms',
    'max ms',
    'not OK',
    '> 2 s',
    `CPU ${process} %`,
    `${process} CPU µs/req`,
    'CPU loadgen %',
    'CPU broker %',
    'CPU other %',
    'bridge batch / produce ms',
  ];
}

/**
 * One open-loop row. `cpuUsPerRequest`, when the caller measured it (the peer phase: /proc
 * utime + stime over the window ÷ OK answers), replaces the estimate from the sampled CPU share.
 */
function openRow(
  label: string,
  m: Measured<OpenLoopResult>,
  role: string,
  cpuUsPerRequest?: number,
): string[] {
  const r = m.result;
  label = mark(label, m);
  return [
    label,
    n(r.rate),
    n(r.okPerSec),
    f(r.latencyMs.p50, 2),
    f(r.latencyMs.p90, 2),
    f(r.latencyMs.p99, 2),
    f(r.latencyMs.p999, 2),
    f(r.latencyMs.max, 1),
    n(r.notOk),
    n(r.overThreshold),
    cpu(m.cpu, role),
    f(cpuUsPerRequest ?? ((m.cpu.percentOfCore[role] ?? Number.NaN) * 10_000) / r.rate, 0),
    cpu(m.cpu, 'loadgen'),
    cpu(m.cpu, 'broker'),
    f(m.cpu.otherPercentOfCore, 0),
    m.kafka ? `${f(m.kafka.meanBatchSize)} / ${f(m.kafka.meanProduceMs)}` : '–',
  ];
}

/** How a bridge run is named in the tables: its log level, and its load when not create-room. */
const runName = (run: BridgeRun): string =>
  `LOG_LEVEL=${run.logLevel}${run.payload === 'mixed' ? ', mixed commands' : ''}`;

export function renderReport(results: BenchResults): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(
    `Run ${results.startedAt} → ${results.finishedAt} (${results.mode}); ${m.cpus} × ${m.cpuModel}, ` +
      `${m.memoryGB} GB, Linux ${m.kernel}, Node ${m.node}, Kafka ${m.kafka} (${m.java}), ` +
      `commit ${m.gitCommit.slice(0, 12)}${m.srcChanges.length ? ` + ${m.srcChanges.length} uncommitted src/config change(s)` : ''}, ` +
      `load average at start ${m.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}.`,
  );
  const env = results.options.bridgeEnv as Record<string, string> | undefined;
  const flags = results.options.nodeFlags as string[] | undefined;
  if (env || flags?.length) {
    out.push(
      `\nBridge processes started with ${
        env
          ? Object.entries(env)
              .map(([name, value]) => `${name}="${value}"`)
              .join(' ')
          : '(no extra environment)'
      }${flags?.length ? `, node flags ${flags.join(' ')}` : ''}.`,
    );
  }

  if (results.quiet.length) {
    out.push(
      `\nOther work on the machine before each phase (CPU of processes not of this run, % of one core): ` +
        results.quiet
          .map(
            (q) =>
              `${q.phase} ${f(q.otherPercentOfCore, 0)} %${q.waitedSec ? ` (waited ${q.waitedSec} s)` : ''}`,
          )
          .join(', ') +
        '. The "CPU other %" columns show the same during each measurement; a row marked † was ' +
        'measured twice because other work took more than ' +
        `${Number(results.options.noisyPercent ?? 40)} % of a core the first time (the quieter attempt is shown).`,
    );
  }
  const sat: string[][] = [];
  if (results.httpCeiling) {
    sat.push(
      closedRow('HTTP ceiling (trivial hapi route)', results.httpCeiling.saturation, 'server'),
    );
  }
  for (const k of results.kafkaCeiling ?? []) {
    const r = k.result;
    sat.push([
      mark(
        `Kafka ceiling (publisher alone, ${r.window} outstanding; mean batch ${f(r.meanBatchSize)})`,
        k,
      ),
      String(r.window),
      n(r.ackedPerSec),
      f(r.ackLatencyMs.p50),
      f(r.ackLatencyMs.p99),
      f(r.ackLatencyMs.p999),
      f(r.ackLatencyMs.max),
      n(r.failed),
      cpu(k.cpu, 'publisher'),
      f(((k.cpu.percentOfCore.publisher ?? Number.NaN) * 10_000) / r.ackedPerSec, 0),
      '–',
      cpu(k.cpu, 'broker'),
      f(k.cpu.otherPercentOfCore, 0),
      '–',
    ]);
  }
  for (const run of Object.values(results.bridge)) {
    if (run.saturation)
      sat.push(closedRow(`Bridge end to end, ${runName(run)}`, run.saturation, 'bridge'));
  }
  if (sat.length) {
    out.push('\n**Saturation (closed loop, autocannon) and Kafka ceiling**\n');
    out.push(
      table(
        [
          'measurement',
          'conns / window',
          'OK/s',
          'p50 ms',
          'p99 ms',
          'p99.9 ms',
          'max ms',
          'errors',
          'CPU server %',
          'server CPU µs/req',
          'CPU loadgen %',
          'CPU broker %',
          'CPU other %',
          'bridge batch / produce ms',
        ],
        sat,
      ),
    );
  }

  const threadRows: string[][] = [];
  if (results.httpCeiling) {
    threadRows.push(threadRow('HTTP ceiling', results.httpCeiling.saturation, 'server'));
  }
  for (const run of Object.values(results.bridge)) {
    if (run.saturation)
      threadRows.push(threadRow(`bridge, ${runName(run)}`, run.saturation, 'bridge'));
  }
  if (threadRows.some((row) => row.slice(1).some((cell) => cell !== '–'))) {
    out.push(
      '\n**Server threads at saturation (percent of one core, from /proc/PID/task/*/schedstat: ' +
        'on a CPU / runnable but waiting for one)**\n',
    );
    out.push(
      table(
        [
          'server',
          'main thread on CPU',
          'main thread waiting',
          'I/O thread on CPU',
          'I/O thread waiting',
          'V8 helper threads on CPU',
          'other threads on CPU',
        ],
        threadRows,
      ),
    );
  }

  const fixed: string[][] = [];
  for (const r of results.httpCeiling?.fixedRates ?? [])
    fixed.push(openRow('HTTP ceiling', r, 'server'));
  for (const run of Object.values(results.bridge)) {
    for (const r of run.fixedRates) fixed.push(openRow(`bridge, ${runName(run)}`, r, 'bridge'));
  }
  if (fixed.length) {
    out.push('\n**Fixed rates (open loop; latency from intended send time)**\n');
    out.push(table(openHeader('server', 'server'), fixed));
  }

  const mem: string[][] = [];
  for (const run of Object.values(results.bridge)) {
    mem.push([
      `bridge runs above, ${runName(run)}`,
      f(run.peakRssMB),
      f(run.vmHwmMB),
      f(run.peakHeapUsedMB),
      '–',
      `${n(run.eventsForwarded)} forwarded, ${n(run.eventsSpooled)} spooled`,
    ]);
  }
  if (results.soak) {
    const s = results.soak;
    mem.push([
      `soak ${s.durationSec} s at ${s.rate}/s (info)`,
      f(s.memory.peakRssMB),
      f(s.vmHwmMB),
      f(s.memory.peakHeapUsedMB),
      `RSS ${f(s.memory.startRssMB)} → ${f(s.memory.endRssMB)} MB (2nd half ${f(s.memory.rssTrendMBPerMin, 2)} MB/min${s.memory.rssPeakRiseMB === undefined ? '' : `, highest ${f(s.memory.rssPeakRiseMB)} MB over the 1st half's`}); heap floor ${f(s.memory.startHeapUsedMB)} → ${f(s.memory.endHeapUsedMB)} MB (2nd half ${f(s.memory.heapUsedTrendMBPerMin, 2)} MB/min)`,
      `p50 ${f(s.load.result.latencyMs.p50, 2)} / p99 ${f(s.load.result.latencyMs.p99, 2)} / p99.9 ${f(s.load.result.latencyMs.p999, 2)} / max ${f(s.load.result.latencyMs.max)} ms, ${n(s.load.result.notOk)} not OK, ${n(s.eventsSpooled)} spooled`,
    ]);
  }
  if (mem.length) {
    out.push('\n**Bridge memory (/metrics every 1 s, every 5 s in the soak; VmHWM from /proc)**\n');
    out.push(
      table(['run', 'peak RSS MB', 'VmHWM MB', 'peak heap used MB', 'start → end', 'notes'], mem),
    );
  }

  if (results.soak?.memory.buckets?.length) {
    const m = results.soak.memory;
    out.push(`\n**Soak memory by ${f(m.bucketSec, 0)} s bucket**\n`);
    out.push(
      table(
        ['from s', 'RSS mean MB', 'RSS max MB', 'heap used floor MB', 'heap used max MB'],
        m.buckets.map((b) => [
          f(b.fromSec, 0),
          f(b.rssMeanMB),
          f(b.rssMaxMB),
          f(b.heapUsedFloorMB),
          f(b.heapUsedMaxMB),
        ]),
      ),
    );
  }

  if (results.spool) {
    const s = results.spool;
    out.push('\n**Spool path (Kafka down; open loop)**\n');
    const rows = [
      openRow(
        `transition: broker stopped at ${f(s.transition.brokerStopAfterSec, 0)} s (stop took ${f(s.transition.brokerStopTookSec)} s)`,
        s.transition,
        'bridge',
      ),
      openRow('broker down', s.down, 'bridge'),
    ];
    out.push(table(openHeader('phase', 'bridge'), rows));
    out.push(
      `\nWhile down: ${n(s.spooledDuringDown)} spooled, ${n(s.forwardedDuringDown)} forwarded; spool depth after: ${n(s.spoolDepthAfter)}. ` +
        `Broker restart took ${f(s.drain.restartTookSec)} s; spool empty ${s.drain.drainedSec === undefined ? `NOT within the bound (${n(s.drain.depthLeft)} left)` : `${f(s.drain.drainedSec)} s after the restart`}. ` +
        `Peak RSS ${f(s.peakRssMB)} MB (VmHWM ${f(s.vmHwmMB)} MB).`,
    );
  }

  if (results.peer) out.push(peerSection(results.peer));

  if (Object.keys(results.ratios).length) {
    out.push('\n**Ratios (same run)**\n');
    out.push(
      table(
        ['ratio', 'value'],
        Object.entries(results.ratios).map(([k, v]) => [k, f(v * 100) + ' %']),
      ),
    );
  }

  if (results.targets.length) {
    out.push('\n**Targets**\n');
    out.push(
      table(
        ['target', 'measured', 'met', 'margin'],
        results.targets.map((t) => [
          t.target,
          t.measured,
          t.pass === undefined ? 'n/a' : t.pass ? 'yes' : '**no**',
          t.margin,
        ]),
      ),
    );
  }

  const profiles = results.profiles ?? [];
  if (profiles.length) {
    out.push(
      '\n**CPU profiles of the bridge (LOG_LEVEL=info, node --cpu-prof, self time by module, ' +
        'only the time under load)**\n',
    );
    out.push(
      profiles
        .map(
          (p) =>
            `- ${p.label}: ${n(p.summary.requests)} requests, ${f(p.summary.busyMs / 1000)} s busy of ` +
            `${f(p.summary.windowSec)} s, ${f(p.summary.busyUsPerRequest, 0)} µs of bridge CPU per request`,
        )
        .join('\n') + '\n',
    );
    const names = new Set<string>();
    for (const p of profiles) for (const c of p.summary.categories) names.add(c.category);
    const first = profiles[0]!.summary.categories;
    const order = [...names].sort(
      (a, b) =>
        (first.find((c) => c.category === b)?.selfMs ?? 0) -
        (first.find((c) => c.category === a)?.selfMs ?? 0),
    );
    out.push(
      table(
        ['part', ...profiles.flatMap((p) => [`${p.name}: µs/request`, `${p.name}: % of busy`])],
        order.map((name) => [
          name,
          ...profiles.flatMap((p) => {
            const c = p.summary.categories.find((x) => x.category === name);
            return [f(c?.usPerRequest), f(c?.percentOfBusy)];
          }),
        ]),
      ),
    );
    for (const p of profiles) {
      out.push(`\nTop functions by self time, ${p.label}:\n`);
      out.push(
        table(
          ['function', 'where', 'part', 'ms', '% of busy'],
          p.summary.topFunctions
            .slice(0, 15)
            .map((t) => [t.function, t.where, t.category, n(t.selfMs), f(t.percentOfBusy)]),
        ),
      );
    }
  }
  return out.join('\n');
}

/**
 * The peer phase: each round, each target's summary, each at the fixed rate, and what the
 * pre-flight compared.
 */
function peerSection(peer: PeerRun): string {
  const out: string[] = [];
  out.push(
    `\n**Peer: the bridge and Benthos ${peer.version} doing the same job (same run, broker, payload; ` +
      `autocannon, ${peer.connections} connections, ${peer.durationSec} s per round; ` +
      `bridge LOG_LEVEL=${peer.bridgeLogLevel}, Benthos ${peer.peerLogLevel}; ${peer.config})**\n`,
  );
  const e = peer.equivalence;
  out.push(
    `Pre-flight ${e.passed ? 'passed' : '**failed**'}: a signed create-room answered ` +
      `${e.accepted.bridge.status} / ${e.accepted.peer.status} (bridge / Benthos) with the OK body; ` +
      `same key (\`${e.records.bridge.key ?? ''}\`), same headers ` +
      `(${Object.keys(e.records.bridge.headers).join(', ')}), same data but \`receivedAt\`. ` +
      `Refusals, same status and body from both: ` +
      e.refusals
        .map((r) => `${r.case} → ${r.bridge.status}${r.same ? '' : ' (**differs**)'}`)
        .join('; ') +
      `; records written after them: ${e.recordsAfterRefusals.bridge} / ${e.recordsAfterRefusals.peer} (the accepted one).` +
      (e.differences.length ? `\n\nDifferences: ${e.differences.join('; ')}` : ''),
  );
  if (peer.rounds.length) {
    out.push('');
    out.push(
      table(
        [
          'round',
          'OK/s',
          'not OK',
          'non-2xx',
          'p50 ms',
          'p99 ms',
          'p99.9 ms',
          'CPU %',
          'CPU µs/req',
          'RSS peak MB (sampled)',
          'CPU loadgen %',
          'CPU broker %',
          'CPU other %',
        ],
        peer.rounds.map((r) => {
          const s = r.saturation.result;
          return [
            mark(`${r.round}. ${r.target}`, r.saturation),
            n(s.okPerSec),
            n(s.completed - s.ok + s.errors),
            n(s.non2xx),
            f(s.latencyMs.p50),
            f(s.latencyMs.p99),
            f(s.latencyMs.p999),
            cpu(r.saturation.cpu, r.target),
            f(r.cpuUsPerRequest, 0),
            f(r.sampledPeakRssMB),
            cpu(r.saturation.cpu, 'loadgen'),
            cpu(r.saturation.cpu, 'broker'),
            f(r.saturation.cpu.otherPercentOfCore, 0),
          ];
        }),
      ),
    );
    out.push('');
    out.push(
      table(
        [
          'mean of the rounds',
          'OK/s',
          'CPU µs/req',
          'p99 ms',
          'VmHWM MB (whole phase)',
          'RSS peak MB (sampled)',
          'not OK',
        ],
        (['bridge', 'benthos'] as const).map((target) => {
          const t = peer.summary[target];
          return [
            target,
            n(t.okPerSec),
            f(t.cpuUsPerRequest, 0),
            f(t.p99Ms),
            f(t.vmHwmMB),
            f(t.sampledPeakRssMB),
            n(t.notOk + t.errors),
          ];
        }),
      ),
    );
  }
  if (peer.fixedRate?.length) {
    out.push('');
    out.push(
      table(
        [...openHeader('fixed rate (open loop)', 'server'), 'RSS peak MB (sampled)'],
        peer.fixedRate.map((r) => [
          ...openRow(r.target, r.measured, r.target, r.cpuUsPerRequest),
          f(r.sampledPeakRssMB),
        ]),
      ),
    );
  }
  return out.join('\n');
}
