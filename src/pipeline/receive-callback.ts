import { CallbackRejectedError } from '../errors';
import type { ContentMode } from '../events/cloudevents';
import { toKafkaRecord } from '../events/cloudevents';
import { normalizeRoomCreated } from '../events/room-created-v1';
import { quarantineRecord } from '../events/quarantine';
import type { Metrics } from '../metrics';
import { validateCreateRoom } from '../tencent/commands/create-room';
import { parseJsonBody } from '../tencent/json';
import { CREATE_ROOM_COMMAND } from '../tencent/protocol';
import type { CreateRoomCallback } from '../tencent/commands/create-room';
import type { Deliverer } from './deliver';
import type { VerifiedRequest } from './verify-request';

export type CallbackResult =
  | {
      outcome: 'published' | 'spooled' | 'duplicate' | 'dead_lettered';
      eventId: string;
      eventType: string;
    }
  | { outcome: 'ignored'; reason: 'unsupported_command' | 'probe' };

export interface CallbackReceiver {
  /**
   * Steps 5–10 of the pipeline (design §3) for a verified request: media type, parse, command,
   * validate, normalize, publish or spool. Resolves only once the event is durable.
   * @throws CallbackRejectedError for the caller's mistakes (after storing the body in the
   * quarantine topic when the body was at fault) and when nothing could store the event;
   * PublishError when Kafka failed and spooling is off.
   */
  receive(
    request: VerifiedRequest,
    body: Buffer,
    contentType: string | undefined,
  ): Promise<CallbackResult>;
}

export interface ReceiverOptions {
  deliverer: Deliverer;
  metrics: Metrics;
  topic: string;
  quarantineTopic: string;
  contentMode: ContentMode;
  dataSchemaBaseUrl: string;
  now: () => number;
}

/** Refusals caused by the body of an authenticated request: its bytes go to quarantine. */
const QUARANTINED = new Set(['JSON_INVALID', 'COMMAND_MISMATCH', 'PAYLOAD_INVALID']);

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

function parseCreateRoom(request: VerifiedRequest, body: Buffer): CreateRoomCallback | undefined {
  const parsed = parseJsonBody(body);
  if (parsed.CallbackCommand !== request.query.command) {
    throw new CallbackRejectedError(
      'COMMAND_MISMATCH',
      'CallbackCommand in the body differs from the query',
    );
  }
  if (request.query.command !== CREATE_ROOM_COMMAND) return undefined;
  const validation = validateCreateRoom(parsed);
  if (validation.error !== undefined) {
    throw new CallbackRejectedError('PAYLOAD_INVALID', validation.error.slice(0, 200));
  }
  return validation.value;
}

export function createCallbackReceiver(options: ReceiverOptions): CallbackReceiver {
  const { deliverer, metrics } = options;

  /** Stores the raw body of a refused callback, durable like any event, then lets it fail. */
  async function quarantine(
    request: VerifiedRequest,
    body: Buffer,
    rejection: CallbackRejectedError,
    receivedAtMs: number,
  ): Promise<never> {
    await deliverer.deliver(
      quarantineRecord({
        topic: options.quarantineTopic,
        sdkAppId: request.query.sdkAppId,
        command: request.query.command,
        reason: rejection.reason,
        detail: rejection.message,
        body,
        receivedAtMs,
      }),
    );
    metrics.eventsQuarantined.inc({ reason: rejection.reason });
    throw rejection;
  }

  return {
    async receive(request, body, contentType) {
      const receivedAtMs = options.now();
      checkMediaType(request, contentType);
      if (isProbe(body)) return { outcome: 'ignored', reason: 'probe' };
      let callback: CreateRoomCallback | undefined;
      try {
        callback = parseCreateRoom(request, body);
      } catch (error) {
        if (error instanceof CallbackRejectedError && QUARANTINED.has(error.code)) {
          return quarantine(request, body, error, receivedAtMs);
        }
        throw error;
      }
      if (!callback) return { outcome: 'ignored', reason: 'unsupported_command' };
      const { query } = request;
      const event = normalizeRoomCreated(
        callback,
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
      const outcome = await deliverer.deliver(record);
      return { outcome, eventId: record.eventId, eventType: record.eventType };
    },
  };
}
