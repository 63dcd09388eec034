import { CallbackRejectedError } from '../errors';
import type { ContentMode, KafkaRecord } from '../events/cloudevents';
import { toKafkaRecord } from '../events/cloudevents';
import type { ReceiptMetadata } from '../events/normalize';
import { quarantineRecord } from '../events/quarantine';
import type { Metrics } from '../metrics';
import { perLabelValue } from '../metrics';
import { parseJsonBody } from '../tencent/json';
import { verdictBody } from '../tencent/protocol';
import type { Command } from './command';
import { commandFor } from './command-table';
import type { Delivery, Deliverer } from './deliver';
import type { VerifiedRequest } from './verify-request';

/** The answer to a before-callback: the verdict's name and the body Tencent acts on. */
export interface Verdict {
  name: string;
  body: string;
}

export type CallbackResult =
  /** A record was made durable: the event, or the raw body in quarantine (`reason`). */
  | {
      outcome: Delivery;
      eventId: string;
      eventType: string;
      reason?: 'unsupported_command' | 'payload_invalid';
      /** Before-callbacks: the answer to give. */
      verdict?: Verdict;
    }
  /** A before-callback answered without a record (`callbacks.publishBeforeEvents` off). */
  | { outcome: 'answered'; verdict: Verdict }
  | { outcome: 'ignored'; reason: 'unsupported_command' | 'probe' };

export interface CallbackReceiver {
  /**
   * The pipeline after verification: media type, parse, command, validate, normalize, publish or
   * spool. Resolves only once the callback's record is durable (or none is due).
   * @throws CallbackRejectedError for the caller's mistakes (after storing the body in the
   * quarantine topic when the body was at fault) and when nothing could store the record;
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
  /** Topic of every event whose entity has none in `topicByEntity`. */
  topic: string;
  /** Topic per entity of the event type (`room`, `member`, …), config `kafka.topicByEntity`. */
  topicByEntity?: Readonly<Record<string, string>>;
  quarantineTopic: string;
  contentMode: ContentMode;
  dataSchemaBaseUrl: string;
  /**
   * Store the raw body of a command the table does not know in the quarantine topic (reason
   * `unsupported_command`) before answering OK. Default true (config
   * `callbacks.quarantineUnsupported`); false answers OK and only counts it.
   */
  quarantineUnsupported?: boolean;
  /** Before-callbacks: verdict name per command (default `allow`), config `callbacks.beforeVerdicts`. */
  beforeVerdicts?: Readonly<Record<string, string>>;
  /** Before-callbacks: also publish an observation event (default false). */
  publishBeforeEvents?: boolean;
  /** The table to dispatch by (tests); default the command table. */
  commandFor?: (name: string) => Command | undefined;
  now: () => number;
}

/** Refusals caused by the body of an authenticated request: its bytes go to quarantine. */
const QUARANTINED = new Set([
  'JSON_INVALID',
  'JSON_TOO_DEEP',
  'COMMAND_MISMATCH',
  'PAYLOAD_INVALID',
]);

/**
 * Media types we parse as JSON. Tencent's docs name no Content-Type header
 * (https://trtc.io/document/34354), so a missing header and `text/plain` are read as JSON too;
 * declared non-JSON types are refused.
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

/** The console's "verify URL" probe posts an empty body or `{}`: answer OK. */
function isProbe(body: Buffer): boolean {
  if (body.length > 16) return false;
  const text = body.toString('utf8').replace(/\s+/g, '');
  return text === '' || text === '{}';
}

function parseBody(request: VerifiedRequest, body: Buffer): Record<string, unknown> {
  const parsed = parseJsonBody(body);
  if (parsed.CallbackCommand !== request.query.command) {
    throw new CallbackRejectedError(
      'COMMAND_MISMATCH',
      'CallbackCommand in the body differs from the query',
    );
  }
  return parsed;
}

export function createCallbackReceiver(options: ReceiverOptions): CallbackReceiver {
  const { deliverer, metrics } = options;
  const lookup = options.commandFor ?? commandFor;
  const quarantined = perLabelValue((reason) => metrics.eventsQuarantined.labels({ reason }));

  for (const [name, verdict] of Object.entries(options.beforeVerdicts ?? {})) {
    if (lookup(name)?.verdicts?.[verdict] === undefined) {
      throw new Error(`${name} cannot answer with verdict ${verdict}`);
    }
  }

  /** A command's topic and, for before-callbacks, its verdict: resolved once per name. */
  const routes = new Map<string, { command: Command; topic: string; verdict?: Verdict }>();
  function routeOf(name: string) {
    let route = routes.get(name);
    if (route !== undefined) return route;
    const command = lookup(name);
    if (command === undefined) return undefined;
    route = { command, topic: options.topicByEntity?.[command.entity] ?? options.topic };
    if (command.verdicts !== undefined) {
      const verdict = options.beforeVerdicts?.[name] ?? 'allow';
      route.verdict = { name: verdict, body: verdictBody(command.verdicts[verdict] ?? 0) };
    }
    routes.set(name, route);
    return route;
  }

  /** Makes a raw body durable in the quarantine topic, counted under its reason. */
  async function keep(
    request: VerifiedRequest,
    body: Buffer,
    receivedAtMs: number,
    reason: string,
    detail: string,
  ): Promise<{ outcome: Delivery; eventId: string; eventType: string }> {
    const record = quarantineRecord({
      topic: options.quarantineTopic,
      sdkAppId: request.query.sdkAppId,
      command: request.query.command,
      reason,
      detail,
      body,
      receivedAtMs,
    });
    const outcome = await deliverer.deliver(record);
    quarantined(reason).inc();
    return { outcome, eventId: record.eventId, eventType: record.eventType };
  }

  /** Stores the raw body of a refused callback, durable like any event, then lets it fail. */
  async function refuse(
    request: VerifiedRequest,
    body: Buffer,
    receivedAtMs: number,
    rejection: CallbackRejectedError,
  ): Promise<never> {
    await keep(request, body, receivedAtMs, rejection.reason, rejection.message);
    throw rejection;
  }

  function eventRecord(
    route: { command: Command; topic: string },
    value: unknown,
    meta: ReceiptMetadata,
    verdict?: Verdict,
  ): KafkaRecord {
    const event = route.command.toEvent(value, meta, {
      dataSchemaBaseUrl: options.dataSchemaBaseUrl,
      ...(verdict && { verdict: verdict.name }),
    });
    return toKafkaRecord({
      mode: options.contentMode,
      topic: route.topic,
      key: event.key,
      attributes: event.attributes,
      data: event.data,
    });
  }

  return {
    async receive(request, body, contentType) {
      const receivedAtMs = options.now();
      checkMediaType(request, contentType);
      if (isProbe(body)) return { outcome: 'ignored', reason: 'probe' };
      let parsed: Record<string, unknown>;
      try {
        parsed = parseBody(request, body);
      } catch (error) {
        if (error instanceof CallbackRejectedError && QUARANTINED.has(error.code)) {
          return refuse(request, body, receivedAtMs, error);
        }
        throw error;
      }
      const { query } = request;
      const route = routeOf(query.command);
      if (route === undefined) {
        // Tencent adds commands over time; answering OK without keeping the body would lose it.
        if (options.quarantineUnsupported === false) {
          return { outcome: 'ignored', reason: 'unsupported_command' };
        }
        const kept = await keep(
          request,
          body,
          receivedAtMs,
          'unsupported_command',
          'no event for this command',
        );
        return { ...kept, reason: 'unsupported_command' };
      }
      const { verdict } = route;
      if (verdict !== undefined && options.publishBeforeEvents !== true) {
        // A user is waiting on this answer; it does not depend on the body (we judge nothing).
        return { outcome: 'answered', verdict };
      }
      const validation = route.command.validate(parsed);
      if (validation.error !== undefined) {
        const rejection = new CallbackRejectedError(
          'PAYLOAD_INVALID',
          validation.error.slice(0, 200),
        );
        if (verdict === undefined) return refuse(request, body, receivedAtMs, rejection);
        // A before-callback keeps its verdict: our schema does not get to block a user action.
        const kept = await keep(request, body, receivedAtMs, rejection.reason, rejection.message);
        return { ...kept, reason: 'payload_invalid', verdict };
      }
      const meta: ReceiptMetadata = {
        sdkAppId: query.sdkAppId,
        command: query.command,
        receivedAtMs,
        clientIp: query.clientIp,
        optPlatform: query.optPlatform,
        rawBody: body,
      };
      const record = eventRecord(route, validation.value, meta, verdict);
      const outcome = await deliverer.deliver(record);
      const { eventId, eventType } = record;
      return verdict === undefined
        ? { outcome, eventId, eventType }
        : { outcome, eventId, eventType, verdict };
    },
  };
}
