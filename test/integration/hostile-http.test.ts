import { gzipSync } from 'node:zlib';
import { metricValue } from '../helpers/bridge';
import type { MemoryBridge } from '../helpers/memory-bridge';
import { startMemoryBridge } from '../helpers/memory-bridge';
import { answerComplete, rawRequest } from '../helpers/raw-http';
import { callbackUrl, createRoomBody } from '../helpers/tencent';

/**
 * Refusals outside hapi's request lifecycle and hapi's own refusals (issue 14): each is answered
 * in Tencent's format and counted under its own reason, over a real loopback socket.
 */

const BODY = JSON.stringify(createRoomBody('r-hostile'));

function post(
  url: string,
  body: string | Buffer,
  headers: string[] = ['Content-Type: application/json'],
) {
  const head = [`POST ${url} HTTP/1.1`, 'Host: bridge', ...headers];
  if (!headers.some((h) => /^(content-length|transfer-encoding):/i.test(h)))
    head.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body)]);
}

function tencentFail(body: string): { ActionStatus: string; ErrorCode: number } {
  const parsed = JSON.parse(body) as { ActionStatus: string; ErrorInfo: string; ErrorCode: number };
  expect(parsed.ActionStatus).toBe('FAIL');
  expect(typeof parsed.ErrorInfo).toBe('string');
  return parsed;
}

let b: MemoryBridge;
beforeAll(async () => {
  b = await startMemoryBridge({
    SERVER_PAYLOAD_TIMEOUT_MS: '3000',
    SERVER_REQUEST_TIMEOUT_MS: '400',
    KAFKA_PUBLISH_TIMEOUT_MS: '300',
  });
});
afterAll(() => b.bridge.stop(1000));

const rejected = (reason: string) =>
  metricValue(b.registry, 'live_bridge_callbacks_rejected_total', { reason });

describe("Node's parser refusals (clientError): Tencent's format, counted", () => {
  const url = callbackUrl();
  const cases: [string, () => Buffer, number, string, number][] = [
    [
      'a lowercase method',
      () => Buffer.from(`post ${url} HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\n{}`),
      400,
      'request_malformed',
      40007,
    ],
    [
      'a NUL in the path',
      () => Buffer.from(`POST ${url}\0 HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\n{}`),
      400,
      'request_malformed',
      40007,
    ],
    [
      'a 17 KB header',
      () => post(url, BODY, ['Content-Type: application/json', `X-Pad: ${'a'.repeat(17_000)}`]),
      431,
      'headers_too_large',
      43101,
    ],
    [
      'a 17 KB query',
      () => post(`${url}&pad=${'a'.repeat(17_000)}`, BODY),
      431,
      'headers_too_large',
      43101,
    ],
    [
      'Content-Length with Transfer-Encoding',
      () => post(url, BODY, [`Content-Length: ${BODY.length}`, 'Transfer-Encoding: chunked']),
      400,
      'request_malformed',
      40007,
    ],
    [
      'TLS bytes on the plain port',
      () => Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]),
      400,
      'request_malformed',
      40007,
    ],
    [
      'bad chunked framing inside the body',
      () => post(url, `zz\r\n${BODY}\r\n0\r\n\r\n`, ['Transfer-Encoding: chunked']),
      400,
      'request_malformed',
      40007,
    ],
    [
      'an HTTP/1.0 POST without a length (its body parsed as the next request)',
      () =>
        Buffer.from(
          `POST ${url} HTTP/1.0\r\nHost: b\r\nContent-Type: application/json\r\n\r\n${BODY}`,
        ),
      400,
      'request_malformed',
      40007,
    ],
    [
      'a signed HTTP/1.1 POST without a Host header',
      () =>
        Buffer.from(
          `POST ${url} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`,
        ),
      400,
      'request_malformed',
      40007,
    ],
  ];

  it.each(cases)('%s', async (_name, bytes, status, reason, errorCode) => {
    const before = await rejected(reason);
    const published = b.publisher.records.length;
    const answer = await rawRequest(b.port, bytes());
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(tencentFail(answer.body).ErrorCode).toBe(errorCode);
    expect(await rejected(reason)).toBe(before + 1);
    expect(b.publisher.records.length).toBe(published);
    expect(b.spool.records).toHaveLength(0);
  });

  it('counts a client that hangs up mid-body as body_incomplete, not request_malformed', async () => {
    const incomplete = await rejected('body_incomplete');
    const malformed = await rejected('request_malformed');
    const bytes = post(callbackUrl(), BODY);
    await rawRequest(b.port, bytes.subarray(0, bytes.length - 30), { hangUp: true, waitMs: 1000 });
    const deadline = Date.now() + 3000;
    while ((await rejected('body_incomplete')) === incomplete && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await rejected('body_incomplete')).toBe(incomplete + 1);
    expect(await rejected('request_malformed')).toBe(malformed);
  });

  it('answers a bad request pipelined behind a good one after the good one', async () => {
    const before = await rejected('request_malformed');
    const published = b.publisher.records.length;
    const answer = await rawRequest(
      b.port,
      Buffer.concat([post(callbackUrl(), BODY), Buffer.from('get / HTTP/1.1\r\nHost: b\r\n\r\n')]),
    );
    expect(answer.status).toBe(200);
    const second = answer.text.slice(answer.text.indexOf('HTTP/1.1', 10));
    expect(second).toMatch(/^HTTP\/1\.1 400 /);
    expect(second).toContain('"ErrorCode":40007');
    expect(await rejected('request_malformed')).toBe(before + 1);
    expect(b.publisher.records.length).toBe(published + 1);
  });
});

describe("hapi's refusals: one table, each its own reason", () => {
  it.each(['json', 'application/json, text/plain'])(
    'a Content-Type that does not parse (%s) is content_type_invalid, not query_invalid',
    async (type) => {
      const before = await rejected('content_type_invalid');
      const answer = await rawRequest(
        b.port,
        post(callbackUrl(), BODY, [`Content-Type: ${type}`]),
        {
          until: answerComplete,
        },
      );
      expect(answer.status).toBe(400);
      expect(tencentFail(answer.body).ErrorCode).toBe(40008);
      expect(await rejected('content_type_invalid')).toBe(before + 1);
    },
  );

  it('a route timeout is route_timeout (503), not overloaded', async () => {
    const before = await rejected('route_timeout');
    const overloaded = await rejected('overloaded');
    // Headers and half the body, then nothing: the payload timeout (3 s) is longer than the
    // route's (400 ms).
    const bytes = post(callbackUrl(), BODY);
    const answer = await rawRequest(b.port, bytes.subarray(0, bytes.length - 10), {
      until: answerComplete,
    });
    expect(answer.status).toBe(503);
    expect(tencentFail(answer.body).ErrorCode).toBe(50306);
    expect(await rejected('route_timeout')).toBe(before + 1);
    expect(await rejected('overloaded')).toBe(overloaded);
  });

  it.each([
    ['GET', 405, 'method_not_allowed', '/webhooks/tencent/live'],
    ['POST', 404, 'not_found', '/nowhere'],
  ])('%s %s: %s in Tencent format', async (method, status, reason, path) => {
    const before = await rejected(reason);
    const answer = await rawRequest(
      b.port,
      `${method} ${path} HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n`,
      { until: answerComplete },
    );
    expect(answer.status).toBe(status);
    tencentFail(answer.body);
    expect(await rejected(reason)).toBe(before + 1);
  });
});

describe('Content-Encoding (issue 14: refused with 415, never decoded or ignored)', () => {
  it.each([
    ['gzip', gzipSync(BODY)],
    ['br', Buffer.from(BODY)],
    ['deflate, gzip', Buffer.from(BODY)],
  ])('refuses %s as encoding_unsupported and publishes nothing', async (encoding, body) => {
    const before = await rejected('encoding_unsupported');
    const published = b.publisher.records.length;
    const answer = await rawRequest(
      b.port,
      post(callbackUrl(), body, [
        'Content-Type: application/json',
        `Content-Encoding: ${encoding}`,
      ]),
      { until: answerComplete },
    );
    expect(answer.status).toBe(415);
    expect(tencentFail(answer.body).ErrorCode).toBe(41502);
    expect(await rejected('encoding_unsupported')).toBe(before + 1);
    expect(b.publisher.records.length).toBe(published);
  });

  it('accepts identity', async () => {
    const published = b.publisher.records.length;
    const answer = await rawRequest(
      b.port,
      post(callbackUrl(), JSON.stringify(createRoomBody('r-identity')), [
        'Content-Type: application/json',
        'Content-Encoding: identity',
      ]),
      { until: answerComplete },
    );
    expect(answer.status).toBe(200);
    expect(b.publisher.records.length).toBe(published + 1);
    expect(b.publisher.records.at(-1)!.headers.ce_tencentcommand).toBeUndefined();
  });
});
