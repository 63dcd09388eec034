import { CloudEvent, Kafka } from 'cloudevents';
import type { ContentMode, KafkaRecord } from '../../src/events/cloudevents';
import { commandFor } from '../../src/pipeline/command-table';
import { parseJsonBody } from '../../src/tencent/json';
import { assertMatchesSchema } from '../helpers/event-schema';
import { receiveOnce } from '../helpers/receive-once';
import { ALL_COMMANDS, sampleText } from '../helpers/samples';

const APP = '1400000001';
const RECEIVED_AT = Date.parse('2026-11-30T08:00:00.000Z');

/** The record the receiver makes of a command's sample, in one content mode. */
const recordOf = (command: string, mode: ContentMode, base: string): Promise<KafkaRecord> =>
  receiveOnce({
    sdkAppId: APP,
    command,
    body: sampleText(command),
    receivedAtMs: RECEIVED_AT,
    clientIp: '203.0.113.7',
    optPlatform: 'iOS',
    receiver: {
      topic: 'tencent-live-events',
      quarantineTopic: 'tencent-live-events.quarantine',
      contentMode: mode,
      dataSchemaBaseUrl: base,
    },
  });

/** A consumed record as the SDK's Kafka binding takes it: headers and value as text. */
function asConsumed(record: KafkaRecord) {
  const value = record.value.toString('utf8');
  return { key: record.key, value, body: value, headers: { ...record.headers } };
}

describe('the official cloudevents SDK (Kafka binding) reads our records', () => {
  const cases = ALL_COMMANDS.flatMap((command) =>
    (['binary', 'structured'] as const).flatMap((mode) =>
      ['', 'http://bridge.test:9464/schemas'].map((base) => [command, mode, base] as const),
    ),
  );

  it.each(cases)('%s in %s mode (dataschema base %p)', async (command, mode, base) => {
    const record = await recordOf(command, mode, base);
    const message = asConsumed(record);
    expect(Kafka.isEvent(message)).toBe(true);
    const event = Kafka.toEvent(message) as CloudEvent<unknown>;
    expect(event).toBeInstanceOf(CloudEvent);
    // the SDK parses without checking; validate() applies the CloudEvents 1.0 rules
    expect(event.validate()).toBe(true);
    const type = commandFor(command)!.type;
    expect(event).toMatchObject({
      specversion: '1.0',
      id: record.eventId,
      source: `tencentcloud:live:${APP}`,
      type,
      datacontenttype: 'application/json',
      partitionkey: record.key,
    });
    expect(event.dataschema).toBe(base === '' ? undefined : `${base}/${type}.json`);
    expect(typeof event.subject).toBe('string');
    // the data is the event's data, valid for its schema, and time is data.eventTime
    const data = (typeof event.data === 'string' ? JSON.parse(event.data) : event.data) as {
      eventTime: string;
    };
    assertMatchesSchema(type, data);
    expect(event.time).toBe(data.eventTime);
    expect(data).toEqual(
      JSON.parse(
        mode === 'binary'
          ? record.value.toString('utf8')
          : JSON.stringify((parseJsonBody(record.value) as { data: unknown }).data),
      ),
    );
  });
});
