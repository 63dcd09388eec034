import type Joi from 'joi';
import type { CloudEventAttributes } from '../events/cloudevents';
import { eventSource } from '../events/cloudevents';
import type { EventData, ReceiptMetadata } from '../events/normalize';
import { contentId } from '../events/normalize';
import type { Validation } from '../tencent/commands/validator';
import { createValidator } from '../tencent/commands/validator';

/** How an event is keyed in Kafka and what its CloudEvents `subject` is. */
export interface Keying<D> {
  /** How the key is made, for the docs, e.g. `<SdkAppid>:<RoomId>`. */
  doc: string;
  /** The Tencent field that is the subject, for the docs, e.g. `RoomId`. */
  subjectDoc: string;
  key(data: D): string;
  subject(data: D): string;
}

interface Row<C, D extends EventData> {
  /** What Tencent sends as `CallbackCommand`; the first is the name its command list uses. */
  commands: readonly [string, ...string[]];
  /** The vendor page of the callback. */
  docUrl: string;
  /** The body's joi schema: the only description of the body (unknown keys kept). */
  schema: Joi.ObjectSchema<C>;
  /** CloudEvents type, `com.tencentcloud.live.<entity>.<action>.v<major>`; schemas/<type>.json. */
  type: string;
  keying: Keying<D>;
}

/** An after-callback: Tencent reports what happened and ignores our answer (beyond HTTP 200). */
export interface AfterRow<C, D extends EventData> extends Row<C, D> {
  normalize(callback: C, meta: ReceiptMetadata): D;
  /** The event id; by default {@link contentId} of the data. */
  id?(callback: C, meta: ReceiptMetadata): string;
}

/**
 * A before-callback: Tencent holds a user action until we answer. `verdicts` maps each answer
 * the bridge can be configured to give to the `ErrorCode` of the vendor's response format;
 * `allow` is 0 for all of them.
 */
export interface BeforeRow<C, D extends EventData> extends Row<C, D> {
  verdicts: { readonly allow: 0 } & Readonly<Record<string, number>>;
  /** The observation event's data; `verdict` is the answer the bridge gave. */
  normalize(callback: C, meta: ReceiptMetadata, verdict: string): D;
}

/** An event ready for a Kafka record. */
export interface BuiltEvent {
  key: string;
  attributes: CloudEventAttributes;
  data: EventData;
}

/** A row of the command table with its types erased: what the receiver works with. */
export interface Command {
  readonly kind: 'after' | 'before';
  readonly commands: readonly string[];
  readonly type: string;
  /** The `<entity>` part of the type: what `kafka.topicByEntity` routes by. */
  readonly entity: string;
  readonly keyDoc: string;
  readonly subjectDoc: string;
  readonly docUrl: string;
  /** The body's joi schema (what `validate` applies). */
  readonly schema: Joi.Schema;
  /** Before-callbacks only: verdict name → `ErrorCode`. */
  readonly verdicts: Readonly<Record<string, number>> | undefined;
  /** Checks a parsed body: the value to build the event from, or joi's first complaint. */
  readonly validate: (parsed: object) => Validation<unknown>;
  /**
   * Builds the event from a value `validate` returned. `verdict` is the answer given to a
   * before-callback (it is part of the observation's data). `dataSchemaBaseUrl` '' leaves the
   * `dataschema` attribute out.
   */
  toEvent(
    value: unknown,
    meta: ReceiptMetadata,
    options: { dataSchemaBaseUrl: string; verdict?: string },
  ): BuiltEvent;
}

const TYPE = /^com\.tencentcloud\.live\.([a-z_]+)\.([a-z_]+)\.v[1-9][0-9]*$/;

function entityOf(type: string): string {
  const entity = TYPE.exec(type)?.[1];
  if (entity === undefined)
    throw new Error(`event type ${type} is not com.tencentcloud.live.<entity>.<action>.v<n>`);
  return entity;
}

function attributes<D extends EventData>(
  type: string,
  keying: Keying<D>,
  id: string,
  data: D,
  dataSchemaBaseUrl: string,
): CloudEventAttributes {
  return {
    specversion: '1.0',
    id,
    source: eventSource(data.sdkAppId),
    type,
    subject: keying.subject(data),
    time: data.eventTime,
    // no base configured: no dataschema (never a URL that does not resolve); see docs/decisions.md
    ...(dataSchemaBaseUrl !== '' && { dataschema: `${dataSchemaBaseUrl}/${type}.json` }),
    datacontenttype: 'application/json',
  };
}

function common<C, D extends EventData>(row: Row<C, D>) {
  return {
    commands: row.commands,
    type: row.type,
    entity: entityOf(row.type),
    keyDoc: row.keying.doc,
    subjectDoc: row.keying.subjectDoc,
    docUrl: row.docUrl,
    schema: row.schema,
    validate: createValidator(row.schema),
  };
}

/** Erases the types of an after-callback row, keeping them checked inside. */
export function afterCommand<C, D extends EventData>(row: AfterRow<C, D>): Command {
  return {
    ...common(row),
    kind: 'after',
    verdicts: undefined,
    toEvent(value, meta, options) {
      const callback = value as C;
      const data = row.normalize(callback, meta);
      const id = row.id ? row.id(callback, meta) : contentId(row.type, data);
      return {
        key: row.keying.key(data),
        attributes: attributes(row.type, row.keying, id, data, options.dataSchemaBaseUrl),
        data,
      };
    },
  };
}

/**
 * Erases the types of a before-callback row. Tencent never re-sends a before-callback, so two
 * identical requests are two user actions: the id includes the receipt time.
 */
export function beforeCommand<C, D extends EventData>(row: BeforeRow<C, D>): Command {
  return {
    ...common(row),
    kind: 'before',
    verdicts: row.verdicts,
    toEvent(value, meta, options) {
      const data = row.normalize(value as C, meta, options.verdict ?? 'allow');
      const id = contentId(row.type, data, [data.receivedAt]);
      return {
        key: row.keying.key(data),
        attributes: attributes(row.type, row.keying, id, data, options.dataSchemaBaseUrl),
        data,
      };
    },
  };
}
