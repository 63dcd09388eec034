/** The shape of a run's JSON file (bench/results/<stamp>.json). */
import type { ClosedLoopResult } from '../load/closed-loop';
import type { KafkaCeilingResult } from '../load/kafka-ceiling';
import type { OpenLoopResult } from '../load/open-loop';
import type { PeerEquivalence } from './peer-check';
import type { CpuReport, MemorySample } from './procs';
import type { ProfileSummary } from './profile';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGB: number;
  kernel: string;
  node: string;
  java: string;
  kafka: string;
  loadAverageAtStart: number[];
  gitCommit: string;
  /** `git status --porcelain src config` at start: what differs from the commit. */
  srcChanges: string[];
}

/** The bridge's produce requests during a measurement (from its /metrics). */
export interface KafkaActivity {
  produceRequests: number;
  meanBatchSize: number;
  meanProduceMs: number;
  spooled: number;
}

export interface Measured<T> {
  result: T;
  cpu: CpuReport;
  kafka?: KafkaActivity;
  /** An earlier or later attempt left out because other work used more CPU during it. */
  discarded?: { otherPercentOfCore: number; result: T }[];
}

export interface MemoryBucket {
  /** Seconds from the start of the window. */
  fromSec: number;
  rssMeanMB: number;
  rssMaxMB: number;
  /** Lowest heapUsed in the bucket: what survived the collections. */
  heapUsedFloorMB: number;
  heapUsedMaxMB: number;
  samples: number;
}

export interface MemoryStats {
  samples: number;
  bucketSec: number;
  buckets: MemoryBucket[];
  /** Mean RSS of the first / last bucket. */
  startRssMB: number;
  endRssMB: number;
  peakRssMB: number;
  /** Heap floor (lowest heapUsed) of the first / last bucket. */
  startHeapUsedMB: number;
  endHeapUsedMB: number;
  peakHeapUsedMB: number;
  /** Theil–Sen slopes over the second half of the buckets, MB per minute (the judged ones). */
  rssTrendMBPerMin: number;
  heapUsedTrendMBPerMin: number;
  /** Least-squares slopes over the same buckets, for reference. */
  rssSlopeMBPerMin: number;
  heapUsedSlopeMBPerMin: number;
  /**
   * Highest RSS sample of the second half of the buckets minus that of the first half, MB: what
   * RSS growth judges (absent in runs before 2026-11-30 evening, judged by `rssTrendMBPerMin`).
   */
  rssPeakRiseMB?: number;
}

export interface BridgeRun {
  logLevel: string;
  /** What the load sent (absent in runs before the mixed load: create-room only). */
  payload?: 'create-room' | 'mixed';
  saturation?: Measured<ClosedLoopResult>;
  fixedRates: Measured<OpenLoopResult>[];
  /** From /metrics samples (1 s) over the whole run, and VmHWM from /proc at the end. */
  peakRssMB: number;
  peakHeapUsedMB: number;
  vmHwmMB: number | undefined;
  eventsForwarded: number;
  eventsSpooled: number;
}

export interface SoakRun {
  rate: number;
  durationSec: number;
  load: Measured<OpenLoopResult>;
  memory: MemoryStats;
  /** The measured window on the samples' clock (seconds since sampling began). */
  windowSec: [number, number];
  samples: MemorySample[];
  vmHwmMB: number | undefined;
  eventsSpooled: number;
}

export interface ProfileRun {
  name: string;
  label: string;
  load: Measured<ClosedLoopResult> | Measured<OpenLoopResult>;
  summary: ProfileSummary;
}

export interface SpoolRun {
  rate: number;
  /** Load running while the broker is stopped (SIGTERM) a few seconds in. */
  transition: Measured<OpenLoopResult> & { brokerStopAfterSec: number; brokerStopTookSec: number };
  /** Load with the broker down the whole time. */
  down: Measured<OpenLoopResult>;
  spooledDuringDown: number;
  forwardedDuringDown: number;
  spoolDepthAfter: number;
  /** After the broker is started again: time until the spool is empty (bounded). */
  drain: { restartTookSec: number; drainedSec: number | undefined; depthLeft: number };
  peakRssMB: number;
  vmHwmMB: number | undefined;
}

/** Who served one saturation round of the peer phase. */
export type PeerTarget = 'bridge' | 'benthos';

/** One closed-loop saturation round against the bridge or the peer (issue 16). */
export interface PeerRound {
  target: PeerTarget;
  round: number;
  saturation: Measured<ClosedLoopResult>;
  /** Process CPU time (/proc utime + stime, every thread) over the window ÷ OK answers, µs. */
  cpuUsPerRequest: number;
  /** Largest VmRSS sampled every 250 ms during the measured window (of both attempts if repeated). */
  sampledPeakRssMB: number;
}

/**
 * The bridge or the peer at a fixed rate (open loop), after the saturation rounds: what each
 * costs at a load well under its ceiling, where a deployment usually runs.
 */
export interface PeerFixedRate {
  target: PeerTarget;
  measured: Measured<OpenLoopResult>;
  /** Process CPU time (/proc utime + stime, every thread) over the window ÷ OK answers, µs. */
  cpuUsPerRequest: number;
  /** Largest VmRSS sampled every 250 ms during the measured window (of both attempts if repeated). */
  sampledPeakRssMB: number;
}

/** A target's rounds put together: means of the rounds, sums of the counts. */
export interface PeerSummary {
  okPerSec: number;
  cpuUsPerRequest: number;
  p99Ms: number;
  /** Answers that were not the OK body (non-2xx and mismatching bodies), over every round. */
  notOk: number;
  non2xx: number;
  /** Connection errors and timeouts, over every round. */
  errors: number;
  /** VmHWM of the process at the end of the phase (it served every round and the pre-flight). */
  vmHwmMB: number | undefined;
  sampledPeakRssMB: number;
}

/** The bridge against a peer doing the same job, same run, same broker, same load (issue 16). */
export interface PeerRun {
  peer: 'benthos';
  /** Module version of the peer, e.g. v4.27.0, and how it was built. */
  version: string;
  go: string;
  buildSec: number;
  config: string;
  bridgeLogLevel: string;
  peerLogLevel: string;
  connections: number;
  durationSec: number;
  equivalence: PeerEquivalence;
  /** In the order they ran: bridge, peer, bridge, peer … */
  rounds: PeerRound[];
  summary: Record<PeerTarget, PeerSummary>;
  /** One fixed-rate measurement per target after the rounds (absent in runs before 2026-11-30). */
  fixedRate?: PeerFixedRate[];
}

export interface QuietCheck {
  phase: string;
  waitedSec: number;
  /** CPU of processes not of this run, % of one core, over the 5 s before the phase began. */
  otherPercentOfCore: number;
  calm: boolean;
}

export interface TargetCheck {
  target: string;
  measured: string;
  pass: boolean | undefined;
  margin: string;
}

export interface BenchResults {
  version: 1;
  startedAt: string;
  finishedAt: string;
  mode: 'full' | 'quick' | 'custom';
  options: Record<string, unknown>;
  machine: Machine;
  quiet: QuietCheck[];
  httpCeiling?: {
    saturation: Measured<ClosedLoopResult>;
    fixedRates: Measured<OpenLoopResult>[];
  };
  kafkaCeiling?: Measured<KafkaCeilingResult>[];
  bridge: Record<string, BridgeRun>;
  soak?: SoakRun;
  profiles?: ProfileRun[];
  spool?: SpoolRun;
  peer?: PeerRun;
  ratios: Record<string, number>;
  targets: TargetCheck[];
}
