/**
 * The pre-flight of the peer phase: before anything is measured, the bridge and the peer must do
 * the same job. One signed create-room goes to each (same path, same body, same second); both
 * must answer Tencent's OK body, and the two Kafka records must have the same key, the same
 * headers and the same data (`receivedAt` aside: each stamps its own receipt). Then refusals:
 * a wrong Sign, a stale RequestTime, another app, no Sign; both must answer each with the same
 * status and body, and neither may write anything for them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ConsumedMessage } from '../../test/helpers/kafka-broker';
import { consumeAll, createKafkaClient } from '../../test/helpers/kafka-broker';
import { BENCH_APP_ID, OK_ANSWER, createPayload } from './payload';

export interface Answer {
  status: number;
  body: string;
}

export interface RefusalCheck {
  case: string;
  bridge: Answer;
  peer: Answer;
  same: boolean;
}

export interface RecordShape {
  key: string | null;
  headers: Record<string, string>;
  value: unknown;
}

export interface PeerEquivalence {
  passed: boolean;
  accepted: { bridge: Answer; peer: Answer };
  records: { bridge: RecordShape; peer: RecordShape };
  refusals: RefusalCheck[];
  /** Records on each topic after the refusals (1 each: the accepted callback). */
  recordsAfterRefusals: { bridge: number; peer: number };
  differences: string[];
}

async function post(baseUrl: string, path: string, body: string): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
}

function shape(record: ConsumedMessage): RecordShape {
  let value: unknown;
  try {
    value = JSON.parse(record.value.toString('utf8'));
  } catch {
    value = record.value.toString('utf8');
  }
  const headers = Object.fromEntries(
    Object.entries(record.headers).sort(([a], [b]) => a.localeCompare(b)),
  );
  return { key: record.key, headers, value };
}

/** The query of `path` with `edit` applied. */
function withQuery(path: string, edit: (query: URLSearchParams) => void): string {
  const [route, search] = path.split('?');
  const query = new URLSearchParams(search);
  edit(query);
  return `${route}?${query.toString()}`;
}

async function recordCount(brokers: string, topic: string): Promise<number> {
  const admin = createKafkaClient(brokers, 'peer-check').admin();
  await admin.connect();
  try {
    let total = 0;
    for (const p of await admin.fetchTopicOffsets(topic)) {
      total += Number(BigInt(p.high) - BigInt(p.low));
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}

const ISO_MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Runs the pre-flight; `passed` is false with the reasons in `differences`. */
export async function checkPeerEquivalence(options: {
  bridgeUrl: string;
  peerUrl: string;
  brokers: string;
  bridgeTopic: string;
  peerTopic: string;
  roomId: string;
}): Promise<PeerEquivalence> {
  const differences: string[] = [];
  const now = Date.now();
  const request = createPayload().next(options.roomId, now);
  const accepted = {
    bridge: await post(options.bridgeUrl, request.path, request.body),
    peer: await post(options.peerUrl, request.path, request.body),
  };
  for (const [who, answer] of Object.entries(accepted)) {
    if (answer.status !== 200 || answer.body !== OK_ANSWER) {
      differences.push(`${who} answered ${answer.status} ${answer.body} to a valid callback`);
    }
  }

  const read = async (topic: string): Promise<RecordShape> => {
    const [record] = await consumeAll(options.brokers, topic, { expected: 1, timeoutMs: 30_000 });
    if (!record) throw new Error(`no record on ${topic}`);
    return shape(record);
  };
  const records = {
    bridge: await read(options.bridgeTopic),
    peer: await read(options.peerTopic),
  };
  if (records.bridge.key !== records.peer.key) {
    differences.push(`key: bridge ${records.bridge.key}, peer ${records.peer.key}`);
  }
  if (!isDeepStrictEqual(records.bridge.headers, records.peer.headers)) {
    differences.push(
      `headers: bridge ${JSON.stringify(records.bridge.headers)}, peer ${JSON.stringify(records.peer.headers)}`,
    );
  }
  const data = (value: unknown): Record<string, unknown> =>
    typeof value === 'object' && value !== null ? { ...(value as Record<string, unknown>) } : {};
  const bridgeData = data(records.bridge.value);
  const peerData = data(records.peer.value);
  for (const [who, d] of [
    ['bridge', bridgeData],
    ['peer', peerData],
  ] as const) {
    const receivedAt = d.receivedAt;
    if (typeof receivedAt !== 'string' || !ISO_MILLIS.test(receivedAt)) {
      differences.push(
        `${who} receivedAt is not RFC 3339 with milliseconds: ${String(receivedAt)}`,
      );
    } else if (Math.abs(Date.parse(receivedAt) - now) > 10_000) {
      differences.push(`${who} receivedAt ${receivedAt} is not the time it was sent`);
    }
    delete d.receivedAt;
  }
  if (!isDeepStrictEqual(bridgeData, peerData)) {
    differences.push(
      `data: bridge ${JSON.stringify(bridgeData)}, peer ${JSON.stringify(peerData)}`,
    );
  }

  const otherApp = String(Number(BENCH_APP_ID) + 1);
  const cases: [string, string][] = [
    [
      'wrong Sign',
      withQuery(request.path, (q) => {
        const sign = q.get('Sign') ?? '';
        q.set('Sign', `${sign.slice(0, -1)}${sign.endsWith('0') ? '1' : '0'}`);
      }),
    ],
    ['RequestTime 120 s old (signed)', createPayload().next(options.roomId, now - 120_000).path],
    [
      'another SdkAppid (signed)',
      createPayload({ appId: otherApp }).next(options.roomId, now).path,
    ],
    [
      'no Sign and RequestTime',
      withQuery(request.path, (q) => {
        q.delete('Sign');
        q.delete('RequestTime');
      }),
    ],
  ];
  const refusals: RefusalCheck[] = [];
  for (const [name, path] of cases) {
    const bridge = await post(options.bridgeUrl, path, request.body);
    const peer = await post(options.peerUrl, path, request.body);
    const same = bridge.status === peer.status && bridge.body === peer.body;
    refusals.push({ case: name, bridge, peer, same });
    if (!same) {
      differences.push(
        `${name}: bridge ${bridge.status} ${bridge.body}, peer ${peer.status} ${peer.body}`,
      );
    }
    if (bridge.status < 400) differences.push(`${name}: the bridge accepted it (${bridge.status})`);
    if (peer.status < 400) differences.push(`${name}: the peer accepted it (${peer.status})`);
  }
  // a refused callback is answered without writing: give a wrong write a moment to land
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const recordsAfterRefusals = {
    bridge: await recordCount(options.brokers, options.bridgeTopic),
    peer: await recordCount(options.brokers, options.peerTopic),
  };
  for (const [who, count] of Object.entries(recordsAfterRefusals)) {
    if (count !== 1) differences.push(`${who} topic holds ${count} records, not 1, after refusals`);
  }
  return {
    passed: differences.length === 0,
    accepted,
    records,
    refusals,
    recordsAfterRefusals,
    differences,
  };
}
