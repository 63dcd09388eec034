/**
 * Renders docs/asyncapi.yaml, the consumer contract in AsyncAPI 3.0, from the command table, the
 * JSON Schemas in schemas/ and the defaults in config/default.json: the topics, the key, the
 * CloudEvents headers and every event type with its schema. `npm run docs:asyncapi` writes it;
 * test/unit/asyncapi.test.ts fails when it is stale and validates it with @asyncapi/parser.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { COMMAND_TABLE } from '../../src/pipeline/command-table';
import { CALLBACK_QUARANTINED_V1 } from '../../src/events/quarantine';
import { prettierFormat } from './events-doc';

export const ROOT = join(__dirname, '..', '..');
export const ASYNCAPI_DOC = join(ROOT, 'docs', 'asyncapi.yaml');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** `com.tencentcloud.live.room.created.v1` → `roomCreatedV1` (an AsyncAPI component name). */
export function componentName(type: string): string {
  const [, , , entity = '', action = '', version = ''] = type.split('.');
  const words = [...entity.split('_'), ...action.split('_'), version];
  return words
    .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('');
}

/** Our schemas are JSON Schema 2020-12 that use only draft-07 keywords (the test checks). */
const SCHEMA_FORMAT = 'application/schema+json;version=draft-07';

function schemaOf(type: string): JsonObject {
  const schema = JSON.parse(
    readFileSync(join(ROOT, 'schemas', `${type}.json`), 'utf8'),
  ) as JsonObject;
  // `$schema` names 2020-12, which the draft-07 validator of AsyncAPI tools does not know; the
  // keywords mean the same in both.
  delete schema.$schema;
  return schema;
}

const header = (description: string, extra: JsonObject = {}): JsonObject => ({
  type: 'string',
  description,
  ...extra,
});

/** The binary-mode headers of an event of `type` (structured mode: see the channel text). */
function eventHeaders(type: string, subjectDoc: string): JsonObject {
  return {
    type: 'object',
    required: [
      'ce_specversion',
      'ce_id',
      'ce_source',
      'ce_type',
      'ce_subject',
      'ce_time',
      'content-type',
    ],
    properties: {
      ce_specversion: header('CloudEvents version.', { const: '1.0' }),
      ce_id: header(
        'Event id: 32 hex characters, the same for a re-delivered callback. Dedupe by it.',
        { pattern: '^[0-9a-f]{32}$' },
      ),
      ce_source: header('`tencentcloud:live:<SdkAppid>`.', {
        pattern: '^tencentcloud:live:[0-9]+$',
      }),
      ce_type: header('The event type (and version).', { const: type }),
      ce_subject: header(`The event's subject: Tencent's \`${subjectDoc}\`.`),
      ce_time: header('When it happened, RFC 3339 in UTC (`data.eventTime`).', {
        format: 'date-time',
      }),
      ce_dataschema: header(
        '`<events.dataSchemaBaseUrl>/<type>.json`; absent when no base URL is configured. The ' +
          "bridge's admin port serves every schema at `GET /schemas/<type>.json`.",
        { format: 'uri' },
      ),
      'content-type': header('Media type of the value.', { const: 'application/json' }),
    },
  };
}

const kafkaKey = (description: string): JsonObject => ({
  kafka: { key: { type: 'string', description }, bindingVersion: '0.5.0' },
});

function eventMessage(command: (typeof COMMAND_TABLE)[number]): JsonObject {
  const names = command.commands.map((name) => `\`${name}\``).join(' or ');
  return {
    name: command.type,
    title: command.type,
    summary: `From Tencent's ${names} (${command.docUrl}).`,
    contentType: 'application/json',
    headers: eventHeaders(command.type, command.subjectDoc),
    payload: {
      schemaFormat: SCHEMA_FORMAT,
      schema: { $ref: `#/components/schemas/${componentName(command.type)}` },
    },
    bindings: kafkaKey(
      `\`${command.keyDoc}\`: all events of one key are on one partition, in order.`,
    ),
  };
}

function quarantinedMessage(): JsonObject {
  return {
    name: CALLBACK_QUARANTINED_V1,
    title: CALLBACK_QUARANTINED_V1,
    summary:
      'An authenticated callback the bridge could not turn into an event (unknown command, ' +
      'not JSON, invalid): the raw body as received.',
    contentType: 'application/octet-stream',
    headers: {
      type: 'object',
      required: ['ce_id', 'ce_type', 'ce_quarantinereason', 'ce_tencentcommand'],
      properties: {
        ce_specversion: header('CloudEvents version.', { const: '1.0' }),
        ce_id: header('Id of this quarantine record (same body, same id).'),
        ce_source: header('`tencentcloud:live:<SdkAppid>`.'),
        ce_type: header('Quarantine record type.', { const: CALLBACK_QUARANTINED_V1 }),
        ce_subject: header('The `CallbackCommand`.'),
        ce_time: header('When the bridge received it.', { format: 'date-time' }),
        ce_quarantinereason: header(
          'Why: `unsupported_command`, `json_invalid`, `command_mismatch`, `payload_invalid`.',
        ),
        ce_quarantinedetail: header('The first complaint, at most 200 characters.'),
        ce_tencentcommand: header('The `CallbackCommand` of the query.'),
        'content-type': header('The raw body.', { const: 'application/octet-stream' }),
      },
    },
    payload: {
      schemaFormat: SCHEMA_FORMAT,
      schema: { type: 'string', description: 'The body exactly as Tencent sent it.' },
    },
    bindings: kafkaKey('`<SdkAppid>:<CallbackCommand>`.'),
  };
}

function deadLetterCopyMessage(): JsonObject {
  return {
    name: 'kafka-refused-copy',
    title: 'Copy of an event Kafka refused on its own topic',
    summary:
      'The record exactly as it was meant for its topic (same key, value, headers and ce_id), ' +
      'plus why. Replay it with `tencent-live-kafka-bridge replay-quarantine`.',
    headers: {
      type: 'object',
      required: ['ce_id', 'ce_quarantinereason', 'ce_kafkaerror', 'ce_originaltopic'],
      properties: {
        ce_id: header('The event id (the original event, unchanged).'),
        ce_quarantinereason: header('Always `kafka_refused`.', { const: 'kafka_refused' }),
        ce_kafkaerror: header("Kafka's error name, e.g. `MESSAGE_TOO_LARGE`."),
        ce_originaltopic: header('The topic that refused it.'),
      },
    },
    payload: {
      schemaFormat: SCHEMA_FORMAT,
      schema: { description: 'The original value: one of the event schemas.' },
    },
    bindings: kafkaKey('The original key.'),
  };
}

/** The whole document, as a plain object. */
export function asyncApiDocument(): JsonObject {
  const defaults = JSON.parse(readFileSync(join(ROOT, 'config', 'default.json'), 'utf8')) as {
    kafka: { topic: string; quarantineTopic: string };
  };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    description: string;
  };
  const messages: JsonObject = {};
  const schemas: JsonObject = {};
  for (const command of COMMAND_TABLE) {
    messages[componentName(command.type)] = eventMessage(command);
    schemas[componentName(command.type)] = schemaOf(command.type);
  }
  messages.callbackQuarantinedV1 = quarantinedMessage();
  messages.kafkaRefusedCopy = deadLetterCopyMessage();
  const refs = (names: readonly string[]): JsonObject =>
    Object.fromEntries(names.map((name) => [name, { $ref: `#/components/messages/${name}` }]));
  const eventNames = COMMAND_TABLE.map((command) => componentName(command.type));
  const channelRef = (channel: string, names: readonly string[]) =>
    names.map((name) => ({ $ref: `#/channels/${channel}/messages/${name}` }));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'tencent-live-kafka-bridge events',
      version: pkg.version,
      description:
        `${pkg.description}. Every record is a CloudEvents 1.0 event (Kafka protocol binding), ` +
        'binary mode by default (`ce_*` headers, the data as the value; `events.contentMode: ' +
        'structured` puts the whole event in the value as `application/cloudevents+json`). ' +
        'Delivery is at least once: dedupe by `ce_id`. A type never changes incompatibly; a ' +
        'breaking change is a new type ending in `.v2`, with its own schema: skip types you have no ' +
        'schema for. ' +
        'Generated by `npm run docs:asyncapi` from the command table and schemas/.',
    },
    defaultContentType: 'application/json',
    servers: {
      kafka: {
        host: 'kafka:9092',
        protocol: 'kafka',
        description: 'The cluster of `kafka.brokers`.',
      },
    },
    channels: {
      events: {
        address: defaults.kafka.topic,
        title: 'Events',
        description:
          'Every event type, on `kafka.topic` (default shown). `kafka.topicByEntity` can move ' +
          'the types of one entity (the part after `com.tencentcloud.live.`) to a topic of its own.',
        messages: refs(eventNames),
      },
      quarantine: {
        address: defaults.kafka.quarantineTopic,
        title: 'Quarantine',
        description:
          'Callbacks the bridge could not turn into events, and copies of events Kafka refused ' +
          'for good on their own topic (`kafka.quarantineTopic`, default shown).',
        messages: refs(['callbackQuarantinedV1', 'kafkaRefusedCopy']),
      },
    },
    operations: {
      consumeEvents: {
        action: 'receive',
        title: 'Consume events',
        channel: { $ref: '#/channels/events' },
        messages: channelRef('events', eventNames),
      },
      consumeQuarantine: {
        action: 'receive',
        title: 'Inspect the quarantine',
        channel: { $ref: '#/channels/quarantine' },
        messages: channelRef('quarantine', ['callbackQuarantinedV1', 'kafkaRefusedCopy']),
      },
    },
    components: { messages, schemas },
  };
}

/** docs/asyncapi.yaml's text, formatted as `npm run format` would leave it. */
export function renderAsyncApi(): string {
  const text =
    '# Generated by `npm run docs:asyncapi` from the command table and schemas/: do not edit.\n' +
    stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false });
  return prettierFormat(text, ASYNCAPI_DOC);
}
