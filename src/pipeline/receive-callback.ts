import { CallbackRejectedError } from '../errors';
import type { ContentMode } from '../events/cloudevents';
import { toKafkaRecord } from '../events/cloudevents';
import { normalizeRoomCreated } from '../events/room-created-v1';
import type { EventPublisher } from '../kafka/publisher';
import { createRoomSchema } from '../tencent/commands/create-room';
import { parseJsonBody } from '../tencent/json';
import { CREATE_ROOM_COMMAND } from '../tencent/protocol';
import type { VerifiedRequest } from './verify-request';

export type CallbackResult =
  | { outcome: 'published'; eventId: string; eventType: string }
  | { outcome: 'ignored'; reason: 'unsupported_command' | 'probe' };

export interface CallbackReceiver {
  /**
   * Steps 5–10 of the pipeline (design §3) for a verified request: media type, parse, command,
   * validate, normalize, publish. Resolves only after Kafka acknowledged the event.
   * @throws CallbackRejectedError for the caller's mistakes; PublishError when Kafka failed.
   */
  receive(
    request: VerifiedRequest,
    body: Buffer,
    contentType: string | undefined,
  ): Promise<CallbackResult>;
}

export interface ReceiverOptions {
  publisher: EventPublisher;
  topic: string;
  contentMode: ContentMode;
  dataSchemaBaseUrl: string;
  publishTimeoutMs: number;
  now: () => number;
}

/**
 * Media types we parse as JSON. Tencent's docs name no Content-Type header (reference §4), so a
 * missing header and `text/plain` are read as JSON too; declared non-JSON types are refused.
 */
const JSON_MEDIA_TYPE = /^(application\/(?:[\w.+-]+\+)?json|text\/(?:plain|json))\s*(?:;|$)/i;

function checkMediaType(request: VerifiedRequest, contentType: string | undefined): void {
  const declared = request.query.contentType;
  if (declared !== undefined && declared.toLowerCase() !== 'json') {
    throw new CallbackRejectedError('UNSUPPORTED_MEDIA_TYPE', 'contenttype must be json');
  }
  if (contentType !== undefined && contentType !== '' && !JSON_MEDIA_TYPE.test(contentType)) {
    throw new CallbackRejectedError('UNSUPPORTED_MEDIA_TYPE', 'body must be JSON');
  }
}

/** The console's "verify URL" probe posts an empty body or `{}` (reference §7.12): answer OK. */
function isProbe(body: Buffer): boolean {
  if (body.length > 16) return false;
  const text = body.toString('utf8').replace(/\s+/g, '');
  return text === '' || text === '{}';
}

export function createCallbackReceiver(options: ReceiverOptions): CallbackReceiver {
  return {
    async receive(request, body, contentType) {
      const receivedAtMs = options.now();
      checkMediaType(request, contentType);
      if (isProbe(body)) return { outcome: 'ignored', reason: 'probe' };
      const parsed = parseJsonBody(body);
      const { query } = request;
      if (parsed.CallbackCommand !== query.command) {
        throw new CallbackRejectedError(
          'COMMAND_MISMATCH',
          'CallbackCommand in the body differs from the query',
        );
      }
      if (query.command !== CREATE_ROOM_COMMAND) {
        return { outcome: 'ignored', reason: 'unsupported_command' };
      }
      const validation = createRoomSchema.validate(parsed, { abortEarly: true, convert: true });
      if (validation.error) {
        const detail = validation.error.details[0]?.message ?? 'invalid';
        throw new CallbackRejectedError('PAYLOAD_INVALID', detail.slice(0, 200));
      }
      const event = normalizeRoomCreated(
        validation.value,
        {
          sdkAppId: query.sdkAppId,
          command: query.command,
          receivedAtMs,
          clientIp: query.clientIp,
          optPlatform: query.optPlatform,
          rawBody: body,
        },
        options.dataSchemaBaseUrl,
      );
      const record = toKafkaRecord({
        mode: options.contentMode,
        topic: options.topic,
        key: `${query.sdkAppId}:${event.data.roomId}`,
        attributes: event.attributes,
        data: event.data,
      });
      await options.publisher.publish(record, options.publishTimeoutMs);
      return { outcome: 'published', eventId: record.eventId, eventType: record.eventType };
    },
  };
}
