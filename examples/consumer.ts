/**
 * An example consumer of the bridge's events (kafkajs): reads the topic, validates each event
 * against its JSON Schema, drops duplicates by `ce_id`, and prints one line per event. Binary and
 * structured CloudEvents both work. Run it with:
 *
 *   KAFKA_BROKERS=localhost:9092 TOPIC=tencent-live-events npx tsx examples/consumer.ts
 *
 * Environment: KAFKA_BROKERS, TOPIC, GROUP_ID (default `live-events-example`), SCHEMAS_DIR (a
 * folder of `<type>.json`, default the repository's schemas/) or SCHEMA_BASE_URL (where the
 * bridge's admin port serves them, e.g. `http://bridge:9464/schemas`), FROM_BEGINNING=true,
 * MAX_EVENTS (stop after that many lines; for tests).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';

/** A CloudEvent as this consumer sees it, whichever content mode it came in. */
export interface ReceivedEvent {
  id: string;
  type: string;
  subject: string | undefined;
  time: string | undefined;
  data: unknown;
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last?.toString();
}

/**
 * The CloudEvent in a Kafka message (CloudEvents Kafka binding): structured mode when the
 * content type is `application/cloudevents+json`, else binary mode (`ce_*` headers, data in the
 * value). Undefined when it is not a CloudEvent.
 */
export function readEvent(
  message: Pick<KafkaMessage, 'headers' | 'value'>,
): ReceivedEvent | undefined {
  const text = message.value?.toString('utf8') ?? '';
  if (header(message.headers, 'content-type')?.startsWith('application/cloudevents+json')) {
    const event = JSON.parse(text) as Record<string, unknown>;
    if (typeof event.id !== 'string' || typeof event.type !== 'string') return undefined;
    return {
      id: event.id,
      type: event.type,
      subject: event.subject as string | undefined,
      time: event.time as string | undefined,
      data: event.data,
    };
  }
  const id = header(message.headers, 'ce_id');
  const type = header(message.headers, 'ce_type');
  if (id === undefined || type === undefined) return undefined;
  return {
    id,
    type,
    subject: header(message.headers, 'ce_subject'),
    time: header(message.headers, 'ce_time'),
    data: JSON.parse(text) as unknown,
  };
}

/** Where schemas come from: a folder, or a base URL (the bridge's `GET /schemas/<type>.json`). */
export type SchemaSource = { dir: string } | { baseUrl: string };

/** Compiled validators by event type, loaded on first use; undefined for a type with no schema. */
export function schemaValidators(source: SchemaSource) {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  const cache = new Map<string, ValidateFunction | undefined>();
  async function load(type: string): Promise<object | undefined> {
    if ('dir' in source) {
      try {
        return JSON.parse(readFileSync(join(source.dir, `${type}.json`), 'utf8')) as object;
      } catch {
        return undefined;
      }
    }
    const response = await fetch(`${source.baseUrl}/${type}.json`);
    return response.ok ? ((await response.json()) as object) : undefined;
  }
  return async (type: string): Promise<ValidateFunction | undefined> => {
    if (!cache.has(type)) {
      const schema = await load(type);
      cache.set(type, schema === undefined ? undefined : ajv.compile(schema));
    }
    return cache.get(type);
  };
}

/**
 * Ids seen lately, to drop the duplicates at-least-once delivery brings (a spool drained after
 * a crash, a retried batch). Bounded: the oldest ids are forgotten first.
 */
export function recentIds(capacity: number) {
  const ids = new Set<string>();
  return {
    /** True the first time an id is seen (and remembers it). */
    firstTime(id: string): boolean {
      if (ids.has(id)) return false;
      ids.add(id);
      if (ids.size > capacity) ids.delete(ids.values().next().value!);
      return true;
    },
  };
}

/** What a consumer does with each message; returns the one-line summary. */
export function createHandler(options: {
  validator: (type: string) => Promise<ValidateFunction | undefined>;
  dedupeCapacity?: number;
}) {
  const seen = recentIds(options.dedupeCapacity ?? 100_000);
  return async (message: Pick<KafkaMessage, 'headers' | 'value' | 'key' | 'offset'>) => {
    const event = readEvent(message);
    const key = message.key?.toString() ?? '';
    if (event === undefined) return `skip offset=${message.offset}: not a CloudEvent`;
    if (!seen.firstTime(event.id)) return `duplicate ${event.type} id=${event.id}`;
    const validate = await options.validator(event.type);
    // A type this consumer has no schema for (e.g. a new …v2 while we still read …v1): skip it,
    // never guess; upgrade the consumer to read it.
    if (validate === undefined) return `unknown ${event.type} id=${event.id}: no schema, skipped`;
    if (!validate(event.data)) {
      const why = validate.errors?.map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
      return `invalid ${event.type} id=${event.id}: ${why?.join('; ') ?? ''}`;
    }
    return `ok ${event.type} id=${event.id} key=${key} subject=${event.subject ?? ''} time=${event.time ?? ''}`;
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const brokers = (env.KAFKA_BROKERS ?? 'localhost:9092').split(',');
  const topic = env.TOPIC ?? 'tencent-live-events';
  const source: SchemaSource = env.SCHEMA_BASE_URL
    ? { baseUrl: env.SCHEMA_BASE_URL }
    : { dir: env.SCHEMAS_DIR ?? join(__dirname, '..', 'schemas') };
  const maxEvents = env.MAX_EVENTS === undefined ? Infinity : Number(env.MAX_EVENTS);
  const handle = createHandler({ validator: schemaValidators(source) });
  const kafka = new Kafka({ clientId: 'live-events-example', brokers, logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId: env.GROUP_ID ?? 'live-events-example' });
  let printed = 0;
  const stop = async () => {
    await consumer.disconnect();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: env.FROM_BEGINNING === 'true' });
  await consumer.run({
    // Ordering: one partition's messages arrive in order, and every event of one key (a room)
    // is on one partition, so a room's events are handled in order here.
    eachMessage: async ({ partition, message }) => {
      process.stdout.write(`p${partition} ${await handle(message)}\n`);
      // disconnect waits for this handler to return: stop after it, not inside it
      if (++printed >= maxEvents) setImmediate(() => void stop());
    },
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
