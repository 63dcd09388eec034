/**
 * Summarises a V8 `.cpuprofile` (node --cpu-prof) by where the bridge spends its time: self time
 * per function, grouped into the pipeline's parts by the module the function comes from.
 *
 * Frames of shared helpers (EventEmitter, streams, Buffer, timers, V8 builtins without a script,
 * @hapi/hoek) have no part of their own: their self time goes to the nearest caller that has one
 * (JSON.stringify called by pino is logging; called by toKafkaRecord it is CloudEvents building).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CategoryRow {
  category: string;
  selfMs: number;
  /** Share of the non-idle time. */
  percentOfBusy: number;
  /** Self time per request served while profiling, in microseconds. */
  usPerRequest: number;
}

export interface FunctionRow {
  function: string;
  where: string;
  category: string;
  selfMs: number;
  percentOfBusy: number;
}

export interface ProfileSummary {
  file: string;
  /** Length of the profile, and of the part summarised (first to last request handled). */
  wallSec: number;
  windowSec: number;
  busyMs: number;
  idleMs: number;
  requests: number;
  busyUsPerRequest: number;
  categories: CategoryRow[];
  topFunctions: FunctionRow[];
}

const SHARED = 'shared';
/** A frame of the webhook pipeline: marks the samples taken while requests were handled. */
const PIPELINE_MARK = '/src/pipeline/receive-callback.js';

/** Rules in order; the first that matches the frame's script URL (or name) wins. */
const RULES: [string, (url: string, name: string) => boolean][] = [
  ['idle', (_, name) => name === '(idle)'],
  ['GC', (_, name) => name === '(garbage collector)'],
  ['V8/native (program)', (_, name) => name === '(program)'],
  [
    'hashing (signature, event id)',
    (url) => /node:internal\/crypto\/|\/src\/tencent\/signature\.js/.test(url),
  ],
  ['JSON parsing (lossless, guarded)', (url) => url.includes('/src/tencent/json.js')],
  ['joi validation', (url) => /\/node_modules\/joi\/|\/src\/tencent\/commands\//.test(url)],
  ['CloudEvents building (normalize, record)', (url) => url.includes('/src/events/')],
  [
    'batching & delivery (batcher, deliverer, dedupe, publisher)',
    (url) => /\/src\/(kafka|pipeline\/(deliver|dedupe))/.test(url),
  ],
  ['spool', (url) => url.includes('/src/spool/')],
  ['kafkajs encoding (protocol)', (url) => url.includes('/node_modules/kafkajs/src/protocol/')],
  ['kafkajs other (producer, network, cluster)', (url) => url.includes('/node_modules/kafkajs/')],
  [
    'logging (pino)',
    (url) =>
      /\/node_modules\/(pino|pino-std-serializers|sonic-boom|fast-redact|@pinojs|quick-format-unescaped|safe-stable-stringify|fast-safe-stringify|atomic-sleep|on-exit-leak-free|thread-stream)\//.test(
        url,
      ),
  ],
  ['metrics (prom-client)', (url) => /\/node_modules\/(prom-client|tdigest|bintrees)\//.test(url)],
  [
    'body handling (subtext, payload)',
    (url) => /\/node_modules\/@hapi\/(subtext|content|wreck|pez|file|bounce)\//.test(url),
  ],
  [SHARED, (url) => url.includes('/node_modules/@hapi/hoek/')],
  ['hapi (routing, lifecycle, auth, response)', (url) => url.includes('/node_modules/@hapi/')],
  ['bridge glue (plugin, verify, receive, query)', (url) => url.includes('/src/')],
  ['node http (parser, server, outgoing)', (url) => /node:_http_|node:internal\/http/.test(url)],
  [
    'node net & stream I/O',
    (url) =>
      /node:net$|node:internal\/(stream_base_commons|net|dns)|node:internal\/streams\/(writable|duplex)/.test(
        url,
      ),
  ],
  [
    SHARED,
    (url) =>
      url === '' ||
      /node:(events|buffer|fs|internal\/(streams|util|timers|process|async_hooks|event_target|buffer|errors|validators|url|querystring|fs)|timers|url|querystring)/.test(
        url,
      ),
  ],
  ['node (other)', (url) => url.startsWith('node:')],
  ['other npm modules', (url) => url.includes('/node_modules/')],
  ['other', () => true],
];

function ownCategory(frame: CallFrame): string {
  for (const [category, test] of RULES) if (test(frame.url, frame.functionName)) return category;
  return 'other';
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const src = url.lastIndexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

const ms = (us: number): number => Math.round(us / 100) / 10;

export function summarizeProfile(file: string, requests: number, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const categoryCache = new Map<number, string>();
  const categoryOf = (id: number): string => {
    const cached = categoryCache.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id)!;
    let category = ownCategory(node.callFrame);
    if (category === SHARED) {
      const up = parent.get(id);
      const inherited = up === undefined ? SHARED : categoryOf(up);
      category = inherited === SHARED || inherited === 'idle' ? 'node runtime (other)' : inherited;
      if (node.callFrame.functionName === '(root)') category = SHARED;
    }
    categoryCache.set(id, category);
    return category;
  };

  // Only the time under load: from the first to the last sample inside the webhook pipeline
  // (start-up module loading and shutdown are left out).
  const inPipeline = new Map<number, boolean>();
  const isInPipeline = (id: number): boolean => {
    const known = inPipeline.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const value =
      node.callFrame.url.includes(PIPELINE_MARK) || (up !== undefined && isInPipeline(up));
    inPipeline.set(id, value);
    return value;
  };
  const { samples, timeDeltas } = profile;
  let first = samples.findIndex((id) => isInPipeline(id));
  let last = samples.length - 1;
  while (last > 0 && !isInPipeline(samples[last]!)) last--;
  if (first < 0) {
    first = 0;
    last = samples.length - 1;
  }
  let windowUs = 0;
  const selfUs = new Map<number, number>();
  for (let i = first; i <= last; i++) {
    // A sample lasts until the next one.
    const duration = timeDeltas[i + 1] ?? 0;
    const id = samples[i]!;
    windowUs += duration;
    selfUs.set(id, (selfUs.get(id) ?? 0) + duration);
  }

  const byCategory = new Map<string, number>();
  const byFunction = new Map<
    string,
    { us: number; where: string; category: string; name: string }
  >();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const category = categoryOf(id);
    if (category === 'idle') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
    const frame = node.callFrame;
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '(builtin)';
    const key = `${name} ${where} ${category}`;
    const entry = byFunction.get(key) ?? { us: 0, where, category, name };
    entry.us += us;
    byFunction.set(key, entry);
  }

  const perRequest = (us: number): number =>
    requests > 0 ? Math.round((us / requests) * 10) / 10 : Number.NaN;
  const categories = [...byCategory]
    .sort((a, b) => b[1] - a[1])
    .map(([category, us]) => ({
      category,
      selfMs: ms(us),
      percentOfBusy: Math.round((us / busyUs) * 1000) / 10,
      usPerRequest: perRequest(us),
    }));
  const topFunctions = [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((f) => ({
      function: f.name,
      where: f.where,
      category: f.category,
      selfMs: ms(f.us),
      percentOfBusy: Math.round((f.us / busyUs) * 1000) / 10,
    }));
  return {
    file,
    wallSec: Math.round((profile.endTime - profile.startTime) / 1e5) / 10,
    windowSec: Math.round(windowUs / 1e5) / 10,
    busyMs: ms(busyUs),
    idleMs: ms(idleUs),
    requests,
    busyUsPerRequest: perRequest(busyUs),
    categories,
    topFunctions,
  };
}
