import { CallbackRejectedError } from '../errors';
import type { KafkaRecord } from '../events/cloudevents';
import { recordType } from '../events/cloudevents';
import { CALLBACK_QUARANTINED_V1, isDeadLetterCopy } from '../events/quarantine';
import type { ReceiverOptions } from './receive-callback';
import { createCallbackReceiver } from './receive-callback';

/** A record read back from the quarantine topic. */
export interface QuarantinedRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** What replaying one quarantined record gives. */
export type ReplayVerdict =
  /** It passes now: `record` is the event to publish, with the id it would have had. */
  | { outcome: 'passes'; record: KafkaRecord }
  /** It still fails: `reason` is the receiver's refusal (e.g. `payload_invalid`), `detail` why. */
  | { outcome: 'still_fails'; reason: string; detail: string }
  /** Not a record the bridge wrote (no `ce_quarantinereason`), left alone. */
  | { outcome: 'skipped'; reason: string; detail: string };

/** The extension attributes the dead-letter copy adds; removed when it goes back to its topic. */
const COPY_HEADERS = ['ce_quarantinereason', 'ce_kafkaerror', 'ce_originaltopic'] as const;

/** The receiver's settings that shape an event (as in the server's configuration). */
export type ReplayOptions = Pick<
  ReceiverOptions,
  | 'metrics'
  | 'topic'
  | 'topicByEntity'
  | 'quarantineTopic'
  | 'contentMode'
  | 'dataSchemaBaseUrl'
  | 'commandFor'
>;

/**
 * Re-runs quarantined records through the receiver with the current command table and schemas
 * (the same code path as a live callback, after verification: parse, command, validate,
 * normalize), so a record that failed only because the bridge was behind Tencent passes now.
 *
 * - A raw callback body (`ce_type` `…callback.quarantined.v1`) is received again as if it
 *   arrived at its original receipt time (`ce_time`), for its app (`ce_source`) and command
 *   (`ce_tencentcommand`): its event gets the id it would have had then (ids are derived from the
 *   callback, and for before-callbacks the receipt time). `ClientIP` and `OptPlatform` were not
 *   kept, so those fields are null.
 * - A copy of an event Kafka refused (`ce_quarantinereason` `kafka_refused`) is the event itself:
 *   it goes back to `ce_originaltopic` with its key, value, headers and id, without the copy's
 *   attributes.
 */
export function createQuarantineReplayer(options: ReplayOptions) {
  let captured: KafkaRecord | undefined;
  const receiver = createCallbackReceiver({
    deliverer: {
      deliver(record) {
        captured = record;
        return Promise.resolve('published');
      },
      spooling: () => false,
    },
    metrics: options.metrics,
    topic: options.topic,
    ...(options.topicByEntity && { topicByEntity: options.topicByEntity }),
    quarantineTopic: options.quarantineTopic,
    contentMode: options.contentMode,
    dataSchemaBaseUrl: options.dataSchemaBaseUrl,
    // a before-callback is replayed as an observation: its verdict was given long ago
    publishBeforeEvents: true,
    ...(options.commandFor && { commandFor: options.commandFor }),
    now: () => receivedAt,
  });
  let receivedAt = 0;

  async function replayBody(record: QuarantinedRecord): Promise<ReplayVerdict> {
    const { headers } = record;
    const sdkAppId = /^tencentcloud:live:(.+)$/.exec(headers.ce_source ?? '')?.[1];
    const command = headers.ce_tencentcommand;
    const time = Date.parse(headers.ce_time ?? '');
    if (sdkAppId === undefined || command === undefined || Number.isNaN(time)) {
      return {
        outcome: 'skipped',
        reason: 'incomplete',
        detail: 'ce_source, ce_tencentcommand or ce_time missing',
      };
    }
    receivedAt = time;
    captured = undefined;
    try {
      await receiver.receive(
        {
          query: {
            sdkAppId,
            command,
            contentType: 'json',
            clientIp: undefined,
            optPlatform: undefined,
            sign: undefined,
            requestTime: undefined,
          },
          app: { sdkAppId, tokens: [], unsigned: true },
        },
        record.value,
        'application/json',
      );
    } catch (error) {
      if (!(error instanceof CallbackRejectedError)) throw error;
      return { outcome: 'still_fails', reason: error.reason, detail: error.message };
    }
    const event = captured as KafkaRecord | undefined;
    if (event === undefined) {
      return { outcome: 'still_fails', reason: 'no_event', detail: 'the body makes no event' };
    }
    if (event.eventType === CALLBACK_QUARANTINED_V1) {
      // the receiver put it back in quarantine: unknown command, or still invalid
      const reason = event.headers.ce_quarantinereason ?? 'quarantined';
      return { outcome: 'still_fails', reason, detail: event.headers.ce_quarantinedetail ?? '' };
    }
    return { outcome: 'passes', record: event };
  }

  function replayCopy(record: QuarantinedRecord): ReplayVerdict {
    const headers = { ...record.headers };
    const topic = headers.ce_originaltopic;
    const eventId = headers.ce_id;
    if (topic === undefined || eventId === undefined || record.key === null) {
      return {
        outcome: 'skipped',
        reason: 'incomplete',
        detail: 'ce_originaltopic or ce_id missing',
      };
    }
    for (const name of COPY_HEADERS) delete headers[name];
    // structured mode: the id is in the value; the copy added the header only for consumers
    if (headers['content-type']?.startsWith('application/cloudevents+json')) delete headers.ce_id;
    return {
      outcome: 'passes',
      record: {
        topic,
        key: record.key,
        value: record.value,
        headers,
        eventId,
        eventType: recordType(record),
      },
    };
  }

  return {
    /** The verdict for one quarantined record; never publishes. */
    async replay(record: QuarantinedRecord): Promise<ReplayVerdict> {
      const reason = record.headers.ce_quarantinereason;
      if (reason === undefined) {
        return { outcome: 'skipped', reason: 'foreign', detail: 'no ce_quarantinereason header' };
      }
      return isDeadLetterCopy(record) ? replayCopy(record) : replayBody(record);
    },
  };
}
