import { Registry } from 'prom-client';
import { deadLetterRecord, quarantineRecord } from '../../src/events/quarantine';
import type { KafkaRecord } from '../../src/events/cloudevents';
import { createMetrics } from '../../src/metrics';
import { createQuarantineReplayer } from '../../src/pipeline/replay-quarantine';
import { receiveOnce } from '../helpers/receive-once';
import { sampleText } from '../helpers/samples';

const APP = '1400000001';
const AT = Date.parse('2026-11-29T10:00:00.000Z');
const options = {
  topic: 'events',
  quarantineTopic: 'events.quarantine',
  contentMode: 'binary' as const,
  dataSchemaBaseUrl: '',
};
const replayer = () =>
  createQuarantineReplayer({
    metrics: createMetrics(new Registry(), { defaultMetrics: false }),
    ...options,
  });

/** What the live receiver publishes for a body received at `AT` (the reference). */
const liveRecord = (command: string, body: string): Promise<KafkaRecord> =>
  receiveOnce({ sdkAppId: APP, command, body, receivedAtMs: AT, receiver: options });

const asRead = (record: KafkaRecord, offset = '0') => ({
  partition: 0,
  offset,
  key: record.key,
  value: record.value,
  headers: record.headers,
});

describe('replaying quarantined records', () => {
  it.each(['Live.CallbackAfterCreateRoom', 'Live.CallbackBeforeSendGift'])(
    '%s: a body quarantined at receipt becomes the event a live callback at that time gets, id included',
    async (command) => {
      const body = sampleText(command);
      const quarantined = quarantineRecord({
        topic: options.quarantineTopic,
        sdkAppId: APP,
        command,
        reason: 'unsupported_command',
        detail: 'no event for this command',
        body: Buffer.from(body),
        receivedAtMs: AT,
      });
      const verdict = await replayer().replay(asRead(quarantined));
      const expected = await liveRecord(command, body);
      expect(verdict).toEqual({ outcome: 'passes', record: expected });
    },
  );

  it('a body still invalid stays put, with the reason and the first complaint', async () => {
    const quarantined = quarantineRecord({
      topic: options.quarantineTopic,
      sdkAppId: APP,
      command: 'Live.CallbackAfterCreateRoom',
      reason: 'payload_invalid',
      detail: 'x',
      body: Buffer.from('{"CallbackCommand":"Live.CallbackAfterCreateRoom","RoomInfo":{}}'),
      receivedAtMs: AT,
    });
    expect(await replayer().replay(asRead(quarantined))).toEqual({
      outcome: 'still_fails',
      reason: 'payload_invalid',
      detail: '"RoomInfo.RoomId" is required',
    });
  });

  it('a kafka_refused copy goes back to its topic as the original record (structured: no ce_id header)', async () => {
    const original: KafkaRecord = {
      topic: 'events',
      key: `${APP}:r1`,
      value: Buffer.from('{"id":"abc","type":"com.tencentcloud.live.room.created.v1"}'),
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      eventId: 'abc',
      eventType: 'com.tencentcloud.live.room.created.v1',
    };
    const copy = deadLetterRecord(original, 'MESSAGE_TOO_LARGE', options.quarantineTopic);
    const verdict = await replayer().replay(asRead(copy));
    expect(verdict).toEqual({
      outcome: 'passes',
      record: original,
    });
  });

  it('leaves records the bridge did not write alone', async () => {
    const foreign = { partition: 0, offset: '9', key: null, value: Buffer.from('x'), headers: {} };
    expect(await replayer().replay(foreign)).toMatchObject({
      outcome: 'skipped',
      reason: 'foreign',
    });
  });
});
