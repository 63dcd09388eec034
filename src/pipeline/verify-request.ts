import type { ResolvedApp } from '../config/types';
import { CallbackRejectedError } from '../errors';
import type { CallbackQuery, QueryParams } from '../tencent/query';
import { parseCallbackQuery } from '../tencent/query';
import { expectedSigns, verifySignature } from '../tencent/signature';

/** A request whose query named a configured app and carried a valid signature (or none needed). */
export interface VerifiedRequest {
  query: CallbackQuery;
  app: ResolvedApp;
}

export interface RequestVerifier {
  /**
   * Steps 2–4 of the pipeline (design §3): query, app, signature. Needs only the URL, so it runs
   * before the body is read.
   * @throws CallbackRejectedError `QUERY_INVALID`, `APP_UNKNOWN` or a `SIGNATURE_*` code.
   */
  verify(params: QueryParams): VerifiedRequest;
}

export function createRequestVerifier(options: {
  apps: readonly ResolvedApp[];
  signatureWindowSeconds: number;
  now: () => number;
}): RequestVerifier {
  const apps = new Map(
    options.apps.map((app) => [app.sdkAppId, { app, expected: expectedSigns(app.tokens) }]),
  );
  return {
    verify(params) {
      const query = parseCallbackQuery(params);
      const known = apps.get(query.sdkAppId);
      if (!known) throw new CallbackRejectedError('APP_UNKNOWN', 'SdkAppid is not configured here');
      const { app } = known;
      if (!app.unsigned) {
        verifySignature({
          tokens: app.tokens,
          sign: query.sign,
          requestTime: query.requestTime,
          nowMs: options.now(),
          windowSeconds: options.signatureWindowSeconds,
          expected: known.expected,
        });
      }
      return { query, app };
    },
  };
}
