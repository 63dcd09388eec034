import Boom from '@hapi/boom';
import { CallbackRejectedError, PublishError, REJECTIONS } from '../../src/errors';
import {
  closingResponse,
  foreignRejection,
  rawResponse,
  toRejection,
} from '../../src/http/respond';

/** The one table from failures (ours, hapi's, Node's parser's) to Tencent-format refusals. */
describe('toRejection', () => {
  it.each([
    [Boom.badRequest('Invalid content-type header'), 'content_type_invalid', 400],
    [Boom.badRequest(), 'query_invalid', 400],
    [Boom.notFound(), 'not_found', 404],
    [Boom.methodNotAllowed(), 'method_not_allowed', 405],
    [Boom.clientTimeout(), 'request_timeout', 408],
    [Boom.entityTooLarge(), 'body_too_large', 413],
    [Boom.unsupportedMediaType(), 'unsupported_media_type', 415],
    [new Boom.Boom('Request aborted', { statusCode: 499 }), 'body_incomplete', 400],
    [Boom.serverUnavailable(), 'route_timeout', 503],
    [Boom.badImplementation(), 'internal', 500],
    [Boom.teapot(), 'internal', 500],
    [new TypeError('a bug'), 'internal', 500],
  ])('%s → %s', (error, reason, status) => {
    expect(toRejection(error)).toMatchObject({ reason, status });
  });

  it('never sends a foreign message on', () => {
    const secret = 'Sign=0123456789abcdef';
    for (const error of [
      Boom.badRequest(secret),
      new Error(secret),
      Boom.serverUnavailable(secret),
    ])
      expect(toRejection(error).message).not.toContain(secret);
  });

  it('keeps our own codes and messages', () => {
    expect(toRejection(new CallbackRejectedError('OVERLOADED', 'spool is full'))).toMatchObject({
      reason: 'overloaded',
      status: 503,
      message: 'spool is full',
    });
    expect(toRejection(new PublishError('PUBLISH_TIMEOUT', 'x'))).toMatchObject({
      reason: 'publish_timeout',
    });
    expect(
      toRejection(new CallbackRejectedError('PIPELINE_TOO_DEEP', 'too many pipelined')),
    ).toMatchObject({ reason: 'pipeline_too_deep', status: 429, errorCode: 42901 });
  });

  it('a client that hangs up mid-body is body_incomplete, whatever the parser saw', () => {
    const aborted = new Boom.Boom('Request aborted', { statusCode: 499 });
    expect(toRejection(aborted, 'HPE_INVALID_EOF_STATE').reason).toBe('body_incomplete');
  });

  it("classifies hapi's 400 by the parser error on the socket", () => {
    expect(toRejection(Boom.badRequest(), 'HPE_INVALID_CHUNK_SIZE').reason).toBe(
      'request_malformed',
    );
  });
});

describe('foreignRejection (parser errors)', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431, 'headers_too_large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request_timeout'],
    ['HPE_INVALID_METHOD', 400, 'request_malformed'],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 400, 'request_malformed'],
    ['ANYTHING_NEW', 400, 'request_malformed'],
  ])('%s → %i %s', (parserError, status, reason) => {
    expect(foreignRejection({ status: undefined, message: '', parserError })).toMatchObject({
      status,
      reason,
    });
  });

  it('writes a whole response in Tencent format that closes the connection', () => {
    const text = rawResponse(
      foreignRejection({ status: undefined, message: '', parserError: 'HPE_X' }),
    );
    const [head, body] = text.split('\r\n\r\n') as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head).toContain('connection: close');
    expect(head).toContain(`content-length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body)).toEqual({
      ActionStatus: 'FAIL',
      ErrorInfo: 'malformed HTTP request',
      ErrorCode: REJECTIONS.REQUEST_MALFORMED.errorCode,
    });
  });
});

describe('closingResponse', () => {
  it('gives a refusal answered outside hapi its status, Tencent body and Connection: close', () => {
    const refusal = toRejection(new CallbackRejectedError('PIPELINE_TOO_DEEP', 'too deep'));
    const { status, headers, body } = closingResponse(refusal);
    expect(status).toBe(429);
    expect(headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    });
    expect(JSON.parse(body)).toEqual({
      ActionStatus: 'FAIL',
      ErrorInfo: 'too deep',
      ErrorCode: 42901,
    });
  });
});

describe('REJECTIONS', () => {
  it('gives every code a distinct reason and Tencent ErrorCode', () => {
    const rows = Object.values(REJECTIONS);
    expect(new Set(rows.map((r) => r.reason)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.errorCode)).size).toBe(rows.length);
  });
});
