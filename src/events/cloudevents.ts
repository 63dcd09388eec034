import { hash } from 'node:crypto';

/** How CloudEvents are laid out in Kafka records (CloudEvents Kafka protocol binding 1.0). */
export type ContentMode = 'binary' | 'structured';

/** The CloudEvents 1.0 context attributes we set on every event. */
export interface CloudEventAttributes {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  /** `<events.dataSchemaBaseUrl>/<type>.json`; absent when no base URL is configured. */
  dataschema?: string;
  datacontenttype: 'application/json';
}

/** A Kafka record ready to produce. `eventType` is for metrics only and is not sent. */
export interface KafkaRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  eventId: string;
  eventType: string;
}

/** CloudEvents `source` for one Tencent application. */
export function eventSource(sdkAppId: string): string {
  return `tencentcloud:live:${sdkAppId}`;
}

/**
 * A deterministic event id: the same callback delivered twice gets the same id, so consumers and
 * our own dedupe can drop the copy. 32 hex characters (128 bits) of SHA-256 over the parts.
 */
export function deterministicId(parts: readonly string[]): string {
  return hash('sha256', parts.join('\n'), 'hex').slice(0, 32);
}

/**
 * Wraps event data into a Kafka record.
 * Binary mode: attributes in `ce_*` headers, the data as the value. Structured mode: the whole
 * event as JSON with `content-type: application/cloudevents+json`.
 */
export function toKafkaRecord(options: {
  mode: ContentMode;
  topic: string;
  key: string;
  attributes: CloudEventAttributes;
  data: unknown;
}): KafkaRecord {
  const { attributes: a, mode } = options;
  if (mode === 'structured') {
    return {
      topic: options.topic,
      key: options.key,
      value: Buffer.from(JSON.stringify({ ...a, data: options.data })),
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      eventId: a.id,
      eventType: a.type,
    };
  }
  return {
    topic: options.topic,
    key: options.key,
    value: Buffer.from(JSON.stringify(options.data)),
    headers: {
      ce_specversion: a.specversion,
      ce_id: a.id,
      ce_source: a.source,
      ce_type: a.type,
      ce_subject: a.subject,
      ce_time: a.time,
      ...(a.dataschema !== undefined && { ce_dataschema: a.dataschema }),
      'content-type': a.datacontenttype,
    },
    eventId: a.id,
    eventType: a.type,
  };
}

/**
 * The CloudEvents type of a record in either content mode: its `ce_type` header (binary), or the
 * `type` of the JSON envelope (structured); `unknown` when it has neither.
 */
export function recordType(record: { headers: Record<string, string>; value: Buffer }): string {
  const header = record.headers.ce_type;
  if (header !== undefined) return header;
  try {
    const parsed = JSON.parse(record.value.toString('utf8')) as { type?: unknown };
    return typeof parsed.type === 'string' ? parsed.type : 'unknown';
  } catch {
    return 'unknown';
  }
}
