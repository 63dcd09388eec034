import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { GOLDEN_CASES } from '../fixtures/golden/cases';
import { receiveRecords } from '../helpers/receive-once';

interface GoldenRecord {
  name: string;
  record: Omit<KafkaRecord, 'value'> & { value: string };
}

const GOLDEN = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'golden', 'room-created-v1.records.json'), 'utf8'),
) as GoldenRecord[];

/** The record the receiver hands to the deliverer for one golden case. */
async function recordOf(
  name: string,
  dataSchemaBaseUrl = 'https://schemas.tencent-live-kafka-bridge.dev/events',
): Promise<KafkaRecord> {
  const c = GOLDEN_CASES.find((item) => item.name === name)!;
  const records = await receiveRecords({
    query: c.query,
    body: c.body,
    receivedAtMs: c.receivedAtMs,
    receiver: {
      topic: 'tencent-live-events',
      quarantineTopic: 'tencent-live-events.quarantine',
      contentMode: c.mode,
      dataSchemaBaseUrl,
    },
  });
  expect(records).toHaveLength(1);
  return records[0]!;
}

/**
 * `com.tencentcloud.live.room.created.v1` is published: its records were captured from the code
 * before the command table (commit 98712fb) and must stay the same, byte for byte.
 */
describe('room.created.v1 golden records', () => {
  it('covers every golden case', () => {
    expect(GOLDEN.map((g) => g.name)).toEqual(GOLDEN_CASES.map((c) => c.name));
  });

  it.each(GOLDEN.map((g) => [g.name, g.record] as const))(
    '%s: same topic, key, headers (in order) and value bytes',
    async (name, expected) => {
      const record = await recordOf(name);
      expect(record.topic).toBe(expected.topic);
      expect(record.key).toBe(expected.key);
      expect(Object.entries(record.headers)).toEqual(Object.entries(expected.headers));
      expect(record.value.toString('utf8')).toBe(expected.value);
      expect(record.value.equals(Buffer.from(expected.value, 'utf8'))).toBe(true);
      expect(record.eventId).toBe(expected.eventId);
      expect(record.eventType).toBe(expected.eventType);
    },
  );

  // The default `events.dataSchemaBaseUrl` is '' since issue 12 (the host above never existed):
  // the same records without the dataschema attribute, every other byte as pinned above.
  it.each(GOLDEN.map((g) => [g.name, g.record] as const))(
    '%s with the default config: the pinned record without dataschema, nothing else changed',
    async (name, expected) => {
      const record = await recordOf(name, '');
      const headers = Object.entries(expected.headers).filter(([key]) => key !== 'ce_dataschema');
      expect(Object.entries(record.headers)).toEqual(headers);
      const value = expected.headers.ce_dataschema
        ? expected.value
        : expected.value.replace(/"dataschema":"[^"]*",/, '');
      expect(value).not.toContain('dataschema');
      expect(record.value.toString('utf8')).toBe(value);
      expect(record.eventId).toBe(expected.eventId);
      expect(record.key).toBe(expected.key);
      expect(record.topic).toBe(expected.topic);
    },
  );
});
