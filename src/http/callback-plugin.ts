import Boom from '@hapi/boom';
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import { perLabelValue } from '../metrics';
import type { CallbackReceiver, CallbackResult } from '../pipeline/receive-callback';
import type { RequestVerifier, VerifiedRequest } from '../pipeline/verify-request';
import { accessLogger } from '../logger';
import { commandLabel } from '../pipeline/command-table';
import { OK_BODY, failBody } from '../tencent/protocol';
import type { QueryParams } from '../tencent/query';
import { readBody } from './read-body';
import type { Rejection } from './respond';
import { toRejection } from './respond';

declare module '@hapi/hapi' {
  interface RequestApplicationState {
    verified?: VerifiedRequest;
    result?: CallbackResult;
    rejection?: Rejection;
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
}

const STRATEGY = 'tencent-callback';

/**
 * The webhook route `POST <path>`. Verification is a hapi auth scheme, so a request without a
 * configured app or a valid signature is refused before its body is read. Every refusal, ours
 * or hapi's (413, 404 …), is answered in Tencent's format in onPreResponse.
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
        try {
          request.app.verified = options.verifier.verify(params);
        } catch (error) {
          const rejection = toRejection(error as Error);
          return h.unauthenticated(Boom.boomify(error as Error, { statusCode: rejection.status }));
        }
        return h.authenticated({ credentials: {} });
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
        const body = await readBody(
          request.payload as Readable,
          options.bodyLimitBytes,
          options.payloadTimeoutMs,
        );
        const result = await options.receiver.receive(
          request.app.verified!,
          body,
          request.headers['content-type'] as string | undefined,
        );
        request.app.result = result;
        if (result.outcome === 'ignored') metrics.callbacksIgnored.inc({ reason: result.reason });
        const verdict = result.outcome === 'ignored' ? undefined : result.verdict;
        if (verdict) {
          const { command } = request.app.verified!.query;
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

    server.ext('onPreResponse', (request, h) => {
      const response = request.response;
      if (!Boom.isBoom(response)) return h.continue;
      const rejection = toRejection(response);
      request.app.rejection = rejection;
      metrics.callbacksRejected.inc({ reason: rejection.reason });
      if (rejection.code === 'INTERNAL') logger.error({ err: response }, 'unexpected error');
      return h
        .response(failBody(rejection.errorCode, rejection.message))
        .code(rejection.status)
        .type('application/json');
    });

    server.events.on('response', (request) => {
      const seconds = (Date.now() - request.info.received) / 1000;
      const { result, verified } = request.app;
      let { rejection } = request.app;
      if (!rejection && Boom.isBoom(request.response)) {
        // hapi ends a request whose client went away mid-body (499) without onPreResponse.
        rejection = toRejection(request.response);
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
