import Boom from '@hapi/boom';
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { CallbackRejectedError } from '../errors';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import { perLabelValue } from '../metrics';
import type { CallbackReceiver, CallbackResult } from '../pipeline/receive-callback';
import type { RequestVerifier, VerifiedRequest } from '../pipeline/verify-request';
import { accessLogger } from '../logger';
import { commandLabel } from '../pipeline/command-table';
import { OK_BODY, failBody } from '../tencent/protocol';
import type { QueryParams } from '../tencent/query';
import { installClientErrorHandler } from './client-error';
import { installPipelineLimit } from './pipeline-limit';
import { readBody } from './read-body';
import type { SourceAllowlist } from './source-allowlist';
import type { Rejection } from './respond';
import { toRejection } from './respond';

declare module '@hapi/hapi' {
  interface RequestApplicationState {
    result?: CallbackResult;
    rejection?: Rejection;
  }
}

/** The verified request the auth scheme put in `request.auth.artifacts`. */
function verifiedOf(request: Request): VerifiedRequest | undefined {
  // hapi leaves artifacts null on a route without auth (404, 405).
  const verified = (request.auth.artifacts as Record<string, unknown> | null)?.verified;
  return typeof verified === 'object' && verified !== null && 'query' in verified
    ? (verified as VerifiedRequest)
    : undefined;
}

/**
 * Content-Encoding we accept: none. Tencent posts plain JSON (https://trtc.io/document/34354), and
 * decoding gzip would let a body inside the size limit expand far past it; a body labelled with
 * an encoding it does not have would be read as something it is not (issue 14).
 */
function checkContentEncoding(value: string | undefined): void {
  if (value === undefined) return;
  const encoding = value.trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new CallbackRejectedError('ENCODING_UNSUPPORTED', 'Content-Encoding is not supported');
  }
}

export interface CallbackPluginOptions {
  path: string;
  bodyLimitBytes: number;
  payloadTimeoutMs: number;
  requestTimeoutMs: number;
  verifier: RequestVerifier;
  receiver: CallbackReceiver;
  metrics: Metrics;
  logger: Logger;
  /** Who may call at all (config `allowlist`); checked before anything else, body unread. */
  allowlist?: SourceAllowlist;
  /** Requests a connection may pipeline behind the one under way (config `connections`). */
  maxPipelinedRequests: number;
}

const STRATEGY = 'tencent-callback';

/**
 * The webhook route `POST <path>`. Verification is a hapi auth scheme, so a request without a
 * configured app or a valid signature is refused before its body is read, and so is one from
 * outside the source allowlist (onRequest). Every refusal, ours or hapi's (413, 404 …), is
 * answered in Tencent's format in onPreResponse; Node's parser refusals in client-error.ts and
 * requests pipelined too deep in pipeline-limit.ts; all through the one table in respond.ts.
 */
export const callbackPlugin: Plugin<CallbackPluginOptions> = {
  name: 'tencent-live-callback',
  register(server, options) {
    const { metrics, logger } = options;
    const access = accessLogger(logger);
    const received = perLabelValue((command) => metrics.callbacksReceived.labels({ command }));
    const durationOk = metrics.requestDuration.labels({ outcome: 'ok' });
    const durationRejected = metrics.requestDuration.labels({ outcome: 'rejected' });

    server.auth.scheme(STRATEGY, () => ({
      authenticate(request: Request, h: ResponseToolkit) {
        // hapi has parsed the query already (Node's querystring; the server sets no custom query
        // parser); `request.url` would parse the whole URL again.
        const params = request.query as QueryParams;
        const command = params.CallbackCommand;
        received(commandLabel(typeof command === 'string' ? command : command?.[0])).inc();
        let verified: VerifiedRequest;
        try {
          verified = options.verifier.verify(params);
        } catch (error) {
          const rejection = toRejection(error as Error);
          return h.unauthenticated(Boom.boomify(error as Error, { statusCode: rejection.status }));
        }
        return h.authenticated({
          credentials: { app: { sdkAppId: verified.app.sdkAppId } },
          artifacts: { verified },
        });
      },
    }));
    server.auth.strategy(STRATEGY, STRATEGY);

    server.route({
      method: 'POST',
      path: options.path,
      options: {
        auth: { strategy: STRATEGY, mode: 'required' },
        payload: {
          output: 'stream', // read by readBody (read-body.ts)
          parse: false,
          maxBytes: options.bodyLimitBytes,
          timeout: options.payloadTimeoutMs,
        },
        timeout: { server: options.requestTimeoutMs },
      },
      async handler(request, h) {
        const verified = verifiedOf(request);
        // Unreachable while the route requires the scheme; a failure here is a bug, answered 500.
        if (verified === undefined) throw new Error('the auth scheme set no verified request');
        checkContentEncoding(request.headers['content-encoding'] as string | undefined);
        const body = await readBody(
          request.payload as Readable,
          options.bodyLimitBytes,
          options.payloadTimeoutMs,
        );
        const result = await options.receiver.receive(
          verified,
          body,
          request.headers['content-type'] as string | undefined,
        );
        request.app.result = result;
        if (result.outcome === 'ignored') metrics.callbacksIgnored.inc({ reason: result.reason });
        const verdict = result.outcome === 'ignored' ? undefined : result.verdict;
        if (verdict) {
          const { command } = verified.query;
          metrics.beforeCallbacks.inc({ command, verdict: verdict.name });
        }
        const response = h.response(verdict?.body ?? OK_BODY).type('application/json');
        if ('eventId' in result) response.header('x-event-id', result.eventId);
        return response;
      },
    });
    server.route({
      method: '*',
      path: options.path,
      options: { auth: false },
      handler: () => Boom.methodNotAllowed(),
    });

    // Refusals answered outside hapi's lifecycle: counted and logged like the others.
    const onRefused = (refusal: Rejection): void => {
      metrics.callbacksRejected.inc({ reason: refusal.reason });
      access.info(
        { status: refusal.status, outcome: 'rejected', reason: refusal.reason },
        'callback',
      );
    };
    installPipelineLimit(server.listener, {
      maxPipelined: options.maxPipelinedRequests,
      onRefused,
    });
    // The response of the request under way on each socket, for Node's parser errors.
    const active = new WeakMap<Socket, ServerResponse>();
    const parserErrorOf = installClientErrorHandler(server.listener, {
      active: (socket) => active.get(socket),
      onRefused,
    });
    const { allowlist } = options;
    // Node answers an HTTP/1.1 request without a Host header with a bare 400 of its own (its
    // `requireHostHeader`); refused here instead, in Tencent's format and counted (RFC 9112 §3.2).
    (server.listener as typeof server.listener & { requireHostHeader: boolean }).requireHostHeader =
      false;
    server.ext('onRequest', (request, h) => {
      active.set(request.raw.req.socket, request.raw.res);
      const { req } = request.raw;
      if (req.httpVersion === '1.1' && req.headers.host === undefined) {
        throw new CallbackRejectedError('REQUEST_MALFORMED', 'HTTP/1.1 request without Host');
      }
      if (allowlist?.enabled === true) {
        const forwardedFor = request.headers['x-forwarded-for'] as string | undefined;
        if (!allowlist.allows(request.info.remoteAddress, forwardedFor)) {
          throw new CallbackRejectedError('SOURCE_NOT_ALLOWED', 'source address is not allowed');
        }
      }
      return h.continue;
    });

    server.ext('onPreResponse', (request, h) => {
      const response = request.response;
      if (!Boom.isBoom(response)) return h.continue;
      const rejection = toRejection(response, parserErrorOf(request.raw.req.socket));
      request.app.rejection = rejection;
      metrics.callbacksRejected.inc({ reason: rejection.reason });
      if (rejection.code === 'INTERNAL') logger.error({ err: response }, 'unexpected error');
      return h
        .response(failBody(rejection.errorCode, rejection.message))
        .code(rejection.status)
        .type('application/json');
    });

    server.events.on('response', (request) => {
      const { socket } = request.raw.req;
      if (active.get(socket) === request.raw.res) active.delete(socket);
      const seconds = (Date.now() - request.info.received) / 1000;
      const { result } = request.app;
      const verified = verifiedOf(request);
      let { rejection } = request.app;
      if (!rejection && Boom.isBoom(request.response)) {
        // hapi ends a request whose client went away mid-body (499) without onPreResponse.
        rejection = toRejection(request.response, parserErrorOf(socket));
        metrics.callbacksRejected.inc({ reason: rejection.reason });
      }
      (rejection ? durationRejected : durationOk).observe(seconds);
      // One line per request, fields from this list only (no redaction on this logger). Never the
      // raw query: it holds Sign.
      access.info(
        {
          path: request.path,
          app: verified?.app.sdkAppId,
          command: verified?.query.command,
          status: rejection?.status ?? 200,
          outcome: rejection ? 'rejected' : result?.outcome,
          reason: rejection?.reason ?? (result && 'reason' in result ? result.reason : undefined),
          verdict: result && 'verdict' in result ? result.verdict?.name : undefined,
          eventId: result && 'eventId' in result ? result.eventId : undefined,
          ms: Math.round(seconds * 1000),
        },
        'callback',
      );
    });
  },
};
