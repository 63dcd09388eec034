import { gzipSync } from 'node:zlib';
import { CONFIG_DIR, brokers, buildTestBridge } from '../helpers/bridge';
import { loadConfig, resolveApps } from '../../src/config/load';
import { ConfigError } from '../../src/config/load';
import type { MemoryBridge } from '../helpers/memory-bridge';
import { startMemoryBridge } from '../helpers/memory-bridge';
import { answerComplete, rawRequest } from '../helpers/raw-http';
import { TOKEN, callbackUrl, createRoomBody } from '../helpers/tencent';
import { captureLogs } from '../helpers/log-capture';

/**
 * Secrets (issue 14): callback tokens, `Sign` values and SASL passwords never appear in logs,
 * metrics or error bodies, on every path that logs or answers.
 */

const SASL_PASSWORD = 'sasl-password-do-not-log-5f2a';

function signOf(url: string): string {
  return new URL(url, 'http://x').searchParams.get('Sign')!;
}

describe('secrets on the webhook paths', () => {
  const logs = captureLogs();
  let b: MemoryBridge;
  const answers: string[] = [];
  const signs: string[] = [];

  beforeAll(async () => {
    b = await startMemoryBridge(
      {
        ALLOWLIST_CIDRS: '127.0.0.0/8',
        ALLOWLIST_TRUSTED_PROXIES: '127.0.0.1',
        SERVER_PAYLOAD_TIMEOUT_MS: '300',
        CONNECTIONS_HEADERS_TIMEOUT_MS: '500',
        SERVER_REQUEST_TIMEOUT_MS: '1200',
      },
      { logTo: logs.stream },
    );
  });
  afterAll(() => b.bridge.stop(1000));

  /** One signed URL per request, so every Sign sent is a distinct secret to look for. */
  function signed(options: Parameters<typeof callbackUrl>[0] = {}): string {
    const url = callbackUrl({ nowMs: Date.now() - signs.length * 1000, ...options });
    const sign = new URL(url, 'http://x').searchParams.get('Sign');
    if (sign) signs.push(sign);
    return url;
  }

  function post(url: string, body: string | Buffer, headers: string[] = []): Buffer {
    return Buffer.concat([
      Buffer.from(
        [
          `POST ${url} HTTP/1.1`,
          'Host: b',
          ...(headers.some((h) => h.startsWith('Content-Type'))
            ? []
            : ['Content-Type: application/json']),
          `Content-Length: ${Buffer.byteLength(body)}`,
          ...headers,
        ].join('\r\n') + '\r\n\r\n',
      ),
      Buffer.from(body),
    ]);
  }

  it('keeps them out of every answer, log line and metric, whatever the outcome', async () => {
    const body = (room: string) => JSON.stringify(createRoomBody(room));
    const requests: (Buffer | string)[] = [
      post(signed(), body('s-ok')), // published
      post(signed({ token: 'wrong-token' }), body('s-1')), // signature_mismatch
      post(signed({ token: 'previous-token' }), body('s-2')), // rotated token: published
      post(signed(), '{"CallbackCommand":"Live.CallbackAfterCreateRoom"'), // json_invalid
      post(
        signed(),
        `{"CallbackCommand":"Live.CallbackAfterCreateRoom","D":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      ), // json_too_deep
      post(signed(), body('s-3').replace('"RoomInfo"', '"RoomInf"')), // payload_invalid
      post(signed(), gzipSync(body('s-4')), ['Content-Encoding: gzip']), // encoding_unsupported
      post(signed(), body('s-5'), ['X-Forwarded-For: 203.0.113.9']), // source_not_allowed
      post(`${signed()}&pad=${'p'.repeat(17_000)}`, body('s-6')), // headers_too_large (Node)
      `post ${signed()} HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\n{}`, // request_malformed
      post(signed(), body('s-7'), ['Content-Type: json']), // content_type_invalid
      post(signed(), body('s-8')).subarray(0, 300), // body never completes: request_timeout
      `GET ${signed()} HTTP/1.1\r\nHost: b\r\n\r\n`, // method_not_allowed
      `POST /elsewhere?Sign=${signed().split('Sign=')[1]} HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n`, // not_found
    ];
    for (const request of requests) {
      const answer = await rawRequest(b.port, request, { until: answerComplete, waitMs: 3_000 });
      expect(answer.status).toBeDefined();
      answers.push(answer.text);
    }
    expect(signs.length).toBeGreaterThanOrEqual(requests.length);
    const metrics = await b.registry.metrics();
    const reasons = [...metrics.matchAll(/callbacks_rejected_total\{reason="([a-z_]+)"\}/g)].map(
      (m) => m[1],
    );
    expect(reasons).toEqual(
      expect.arrayContaining([
        'signature_mismatch',
        'json_invalid',
        'json_too_deep',
        'payload_invalid',
        'encoding_unsupported',
        'source_not_allowed',
        'headers_too_large',
        'request_malformed',
        'content_type_invalid',
        'request_timeout',
        'method_not_allowed',
        'not_found',
      ]),
    );
    // Quarantined records are data, not logs; everything written about them is checked below.
    const everything = [...answers, ...logs.lines, metrics];
    expect(logs.lines.length).toBeGreaterThanOrEqual(requests.length);
    for (const text of everything) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('previous-token');
      expect(text).not.toContain('wrong-token');
      for (const sign of signs) expect(text).not.toContain(sign);
    }
    // The quarantine copies' headers (read by consumers, not logs) carry no query either.
    for (const record of b.publisher.records) {
      const headers = JSON.stringify(record.headers);
      for (const sign of signs) expect(headers).not.toContain(sign);
    }
    expect(signOf(callbackUrl())).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('secrets at start-up and towards Kafka', () => {
  it('config errors name the problem, never the token or the SASL password', () => {
    const longToken = `${TOKEN}-${'x'.repeat(200)}`;
    let error: unknown;
    try {
      loadConfig({
        configDir: CONFIG_DIR,
        env: {
          TENCENT_APPS: JSON.stringify([{ sdkAppId: 'not-a-number', token: longToken }]),
          KAFKA_BROKERS: '127.0.0.1:9092',
          KAFKA_SASL_MECHANISM: 'plain',
          KAFKA_SASL_USERNAME: '',
          KAFKA_SASL_PASSWORD: SASL_PASSWORD,
        },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = `${(error as ConfigError).message}\n${JSON.stringify((error as ConfigError).problems)}`;
    expect((error as ConfigError).problems.length).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SASL_PASSWORD);
  });

  it('a token file that cannot be read is named by its path', () => {
    const config = loadConfig({
      configDir: CONFIG_DIR,
      env: {
        TENCENT_APPS: JSON.stringify([{ sdkAppId: '1400000001', tokenFile: '/nonexistent/token' }]),
        KAFKA_BROKERS: '127.0.0.1:9092',
      },
    });
    let error: unknown;
    try {
      resolveApps(config.tencent.apps);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).message).toContain('/nonexistent/token');
  });

  it('Kafka client logs at debug never carry the SASL password (broker refuses SASL)', async () => {
    const logs = captureLogs();
    const t = await buildTestBridge(
      {
        KAFKA_BROKERS: brokers(),
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'bridge',
        KAFKA_SASL_PASSWORD: SASL_PASSWORD,
        KAFKA_CONNECTION_TIMEOUT_MS: '1000',
        KAFKA_RETRY_RETRIES: '1',
      },
      { logTo: logs.stream },
    );
    await t.publisher.connect().catch(() => undefined);
    await t.publisher.close(1000).catch(() => undefined);
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const line of logs.lines) expect(line).not.toContain(SASL_PASSWORD);
    expect(await t.registry.metrics()).not.toContain(SASL_PASSWORD);
  });
});
