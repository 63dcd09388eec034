/**
 * Renders docs/events.md from the JSON Schemas in schemas/ and the command table: for every event
 * type, the commands that produce it, its key, subject and topic, and a table of its fields.
 * `npm run docs:events` writes the file; test/unit/events-doc.test.ts fails when it is stale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Command } from '../../src/pipeline/command';
import { COMMAND_TABLE } from '../../src/pipeline/command-table';

export const ROOT = join(__dirname, '..', '..');
export const EVENTS_DOC = join(ROOT, 'docs', 'events.md');

interface JsonSchema {
  title?: string;
  description?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  minLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
}

export function readSchema(type: string): JsonSchema {
  return JSON.parse(readFileSync(join(ROOT, 'schemas', `${type}.json`), 'utf8')) as JsonSchema;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The type column: JSON types in words, `null` last, format and bounds noted. */
function typeOf(schema: JsonSchema): string {
  if (schema.enum) return `one of ${schema.enum.map((value) => `\`${String(value)}\``).join(', ')}`;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'any'];
  const named = types
    .filter((type) => type !== 'null')
    .map((type) => {
      if (type === 'string' && schema.format === 'date-time') return 'string (RFC 3339)';
      if (type === 'array' && schema.items) return `array of ${typeOf(schema.items)}`;
      return type;
    });
  return types.includes('null') ? `${named.join(' or ')} or null` : named.join(' or ');
}

/** One row per field, nested objects and list items as `parent.child` / `list[].child`. */
function fieldRows(schema: JsonSchema, prefix = ''): string[] {
  const rows: string[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${name}`;
    rows.push(`| \`${path}\` | ${cell(typeOf(property))} | ${cell(property.description ?? '')} |`);
    if (property.properties && name !== 'extensions') rows.push(...fieldRows(property, `${path}.`));
    if (property.items?.properties) rows.push(...fieldRows(property.items, `${path}[].`));
  }
  return rows;
}

function topicOf(command: Command): string {
  return `\`kafka.topicByEntity.${command.entity}\`, else \`kafka.topic\``;
}

function section(command: Command): string {
  const schema = readSchema(command.type);
  const names = command.commands.map((name) => `\`${name}\``).join(', ');
  const kind =
    command.kind === 'before'
      ? `before-callback ([vendor page](${command.docUrl})); answered with the configured verdict, published only with \`callbacks.publishBeforeEvents\``
      : `after-callback ([vendor page](${command.docUrl}))`;
  return [
    `## \`${command.type}\``,
    '',
    schema.description ?? '',
    '',
    `- **From**: ${names}, ${kind}.`,
    `- **Kafka key**: \`${command.keyDoc}\`; **subject**: \`${command.subjectDoc}\`; **topic**: ${topicOf(command)}.`,
    `- **JSON Schema**: [\`schemas/${command.type}.json\`](../schemas/${command.type}.json).`,
    '',
    '| field | type | description |',
    '| --- | --- | --- |',
    ...fieldRows(schema),
    '',
  ].join('\n');
}

/**
 * Formats a file's text with the repository's Prettier, in a child process: Prettier 3 loads its
 * plugins with dynamic `import()`, which jest's CommonJS runtime does not allow.
 */
export function prettierFormat(text: string, filepath: string): string {
  const bin = join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  const run = spawnSync(process.execPath, [bin, '--stdin-filepath', filepath], {
    input: text,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`prettier failed: ${run.stderr}`);
  return run.stdout;
}

const prettier = (text: string): string => prettierFormat(text, EVENTS_DOC);

/** docs/events.md as it should be, formatted with the repository's Prettier settings. */
export function renderEventsDoc(): string {
  const index = COMMAND_TABLE.map(
    (command) =>
      `| [\`${command.type}\`](#${command.type.replace(/\./g, '')}) | ${command.commands.map((name) => `\`${name}\``).join(', ')} | \`${command.keyDoc}\` |`,
  );
  const text = [
    '# Events',
    '',
    '<!-- Generated from schemas/ and src/pipeline/command-table.ts by `npm run docs:events`. Do not edit. -->',
    '',
    'Every event is a [CloudEvents 1.0](https://github.com/cloudevents/spec) event in Kafka, in binary mode by default: the attributes are `ce_*` headers (`ce_specversion`, `ce_id`, `ce_source` = `tencentcloud:live:<SdkAppid>`, `ce_type`, `ce_subject`, `ce_time` = `eventTime`, and `ce_dataschema` when `events.dataSchemaBaseUrl` is set) and the value is the data described below (structured mode: the whole event as JSON). `ce_id` is deterministic: a re-delivered callback gets the same id, so consumers can drop the copy.',
    '',
    'Conventions of every type: field names are camelCase forms of Tencent’s; every field is present, `null` when Tencent did not send it; ids are strings, also when Tencent sent an 18-digit number; times are RFC 3339 in UTC; `eventTime` says when it happened and `eventTimeSource` which input said so; `receivedAt`, `clientIp` and `optPlatform` say how the bridge received it; fields Tencent sent that v1 does not name are kept, exactly as sent, under `extensions` (of the object that carried them). A v1 type only grows by optional additions; a breaking change is a new `.v2` type.',
    '',
    'Callbacks the bridge cannot turn into an event (unknown commands, invalid bodies) go raw to `kafka.quarantineTopic` as `com.tencentcloud.live.callback.quarantined.v1` (see the README).',
    '',
    '| event type | Tencent commands | Kafka key |',
    '| --- | --- | --- |',
    ...index,
    '',
    ...COMMAND_TABLE.map(section),
  ].join('\n');
  return prettier(text);
}
