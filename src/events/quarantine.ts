import type { KafkaRecord } from './cloudevents';
import { deterministicId, eventSource } from './cloudevents';

/** CloudEvents `type` of an authenticated callback we could not turn into an event. */
export const CALLBACK_QUARANTINED_V1 = 'com.tencentcloud.live.callback.quarantined.v1';

/**
 * The record for the quarantine topic: the raw body exactly as received (it may not even be
 * JSON), in CloudEvents binary mode, with why it was refused in extension attributes
 * (`ce_quarantinereason`, `ce_quarantinedetail`, `ce_tencentcommand`). Same callback, same id.
 */
export function quarantineRecord(options: {
  topic: string;
  sdkAppId: string;
  command: string;
  reason: string;
  detail: string;
  body: Buffer;
  receivedAtMs: number;
}): KafkaRecord {
  const id = deterministicId([
    options.sdkAppId,
    options.command,
    'quarantine',
    options.body.toString('base64'),
  ]);
  return {
    topic: options.topic,
    key: `${options.sdkAppId}:${options.command}`,
    value: options.body,
    headers: {
      ce_specversion: '1.0',
      ce_id: id,
      ce_source: eventSource(options.sdkAppId),
      ce_type: CALLBACK_QUARANTINED_V1,
      ce_subject: options.command,
      ce_time: new Date(options.receivedAtMs).toISOString(),
      ce_quarantinereason: options.reason,
      ce_quarantinedetail: options.detail,
      ce_tencentcommand: options.command,
      'content-type': 'application/octet-stream',
    },
    eventId: id,
    eventType: CALLBACK_QUARANTINED_V1,
  };
}

/**
 * The quarantine-topic copy of an event Kafka refused for good on its own topic (issue #15):
 * the same key, value and headers (so the same `ce_id`, type and data), plus extension
 * attributes saying why: `ce_quarantinereason` `kafka_refused`, `ce_kafkaerror` (Kafka's error
 * name) and `ce_originaltopic`. `ce_id` is added as a header in structured mode too, so a
 * consumer of the quarantine topic finds the event id in the same place for every record.
 */
export function deadLetterRecord(
  record: Pick<KafkaRecord, 'topic' | 'key' | 'value' | 'headers' | 'eventId' | 'eventType'>,
  kafkaError: string,
  quarantineTopic: string,
): KafkaRecord {
  return {
    topic: quarantineTopic,
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      ce_id: record.eventId,
      ce_quarantinereason: 'kafka_refused',
      ce_kafkaerror: kafkaError,
      ce_originaltopic: record.topic,
    },
    eventId: record.eventId,
    eventType: record.eventType,
  };
}

/** Whether a record is already a dead letter's quarantine copy (never dead-lettered twice). */
export function isDeadLetterCopy(record: { headers: Record<string, string> }): boolean {
  return record.headers.ce_quarantinereason === 'kafka_refused';
}
