import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_TABLE, commandFor } from '../../src/pipeline/command-table';
import { parseJsonBody } from '../../src/tencent/json';
import { brokers, uniqueTopic } from '../helpers/bridge';
import type { BridgeProcess } from '../helpers/bridge-process';
import { bridgeEnv, freePort, readMetrics, startBridgeProcess } from '../helpers/bridge-process';
import { assertMatchesSchema } from '../helpers/event-schema';
import { createTopic } from '../helpers/kafka-broker';
import { kcatConsume } from '../helpers/kcat';
import { ALL_COMMANDS, sampleText } from '../helpers/samples';
import { APP_ID, callbackUrl } from '../helpers/tencent';

async function post(bridge: BridgeProcess, command: string, body: string) {
  const response = await fetch(bridge.webhook + callbackUrl({ command }), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return {
    status: response.status,
    text: await response.text(),
    eventId: response.headers.get('x-event-id'),
  };
}

/** The key each type must have, from its data (written out here, not taken from src/). */
function expectedKey(type: string, data: Record<string, unknown>): string {
  const entity = type.split('.')[3];
  if (entity === 'roomquota') return APP_ID;
  if (entity === 'follow') return `${APP_ID}:user:${String(data.fromAccount)}`;
  if (entity === 'message') return `${APP_ID}:${String(data.groupId)}`;
  if (type.endsWith('battle.created.v1')) return `${APP_ID}:${String(data.fromRoomId)}`;
  if (entity === 'battle') {
    return `${APP_ID}:${String((data.fromRoomInfo as { roomId: string }).roomId)}`;
  }
  return `${APP_ID}:${String(data.roomId)}`;
}

describe('every Live callback through the built service, read back with kcat', () => {
  it('publishes one event per command, answers before-callbacks with their verdict, quarantines an unknown command', async () => {
    const topic = uniqueTopic('e2e-live');
    const memberTopic = `${topic}.members`;
    const quarantineTopic = `${topic}.quarantine`;
    for (const name of [topic, memberTopic, quarantineTopic]) {
      await createTopic(brokers(), name, 3);
    }
    const adminPort = await freePort();
    const bridge = await startBridgeProcess(
      bridgeEnv(topic, {
        ADMIN_PORT: String(adminPort),
        // ce_dataschema points at the bridge's own admin port, which serves schemas/
        EVENTS_DATA_SCHEMA_BASE_URL: `http://127.0.0.1:${adminPort}/schemas`,
        KAFKA_TOPIC_BY_ENTITY: JSON.stringify({ member: memberTopic }),
        CALLBACKS_BEFORE_VERDICTS: JSON.stringify({ 'Live.CallbackBeforeSendGift': 'block' }),
        CALLBACKS_PUBLISH_BEFORE_EVENTS: 'true',
        LOG_LEVEL: 'info',
      }),
    );
    try {
      const ids = new Map<string, string>(); // event id → command
      for (const [n, command] of ALL_COMMANDS.entries()) {
        // each command its own callback: the samples of two spellings would be one event
        // (parsed without losing digits, sent with the 18-digit ids as JSON numbers again)
        const sample = parseJsonBody(Buffer.from(sampleText(command)));
        const body = JSON.stringify({ ...sample, EventTime: 1703589922000 + n }).replace(
          /"(14411\d{13})"/g,
          '$1',
        );
        const answer = await post(bridge, command, body);
        expect({ command, status: answer.status }).toEqual({ command, status: 200 });
        const errorCode = command === 'Live.CallbackBeforeSendGift' ? 1 : 0;
        expect(JSON.parse(answer.text)).toEqual({
          ActionStatus: 'OK',
          ErrorInfo: '',
          ErrorCode: errorCode,
        });
        expect(answer.eventId).toMatch(/^[0-9a-f]{32}$/);
        ids.set(answer.eventId!, command);
      }
      expect(ids.size).toBe(ALL_COMMANDS.length);

      const unknownBody =
        '{"CallbackCommand":"Live.CallbackAfterSomethingNew","RoomId":"r9","N":144115216631667826}';
      const unknown = await post(bridge, 'Live.CallbackAfterSomethingNew', unknownBody);
      expect(unknown.status).toBe(200);
      expect(JSON.parse(unknown.text)).toEqual({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 });

      const members = ALL_COMMANDS.filter((command) => commandFor(command)!.entity === 'member');
      expect(members).toHaveLength(2);
      const [main, routed, quarantined] = await Promise.all([
        kcatConsume(brokers(), topic, ALL_COMMANDS.length - members.length),
        kcatConsume(brokers(), memberTopic, members.length),
        kcatConsume(brokers(), quarantineTopic, 1),
      ]);
      const schemaUrls = new Set<string>();
      for (const message of [...main, ...routed]) {
        const command = ids.get(message.headers.ce_id!);
        expect(command).toBeDefined();
        const type = commandFor(command!)!.type;
        const data = JSON.parse(message.payload!) as Record<string, unknown>;
        expect(message.headers.ce_type).toBe(type);
        assertMatchesSchema(type, data);
        expect(message.key).toBe(expectedKey(type, data));
        expect(message.headers.ce_source).toBe(`tencentcloud:live:${APP_ID}`);
        expect(message.headers.ce_time).toBe(data.eventTime);
        expect(message.headers.ce_dataschema).toBe(`${bridge.admin}/schemas/${type}.json`);
        schemaUrls.add(message.headers.ce_dataschema!);
        // ids Tencent sent as 18-digit numbers arrive as strings, digit for digit
        expect(message.payload).not.toMatch(/[:[,]14411\d{13}[,\]}]/);
      }
      // every dataschema URL answers with the schema file the event was checked against
      expect(schemaUrls.size).toBe(COMMAND_TABLE.length);
      for (const url of schemaUrls) {
        const response = await fetch(url);
        expect({ url, status: response.status }).toEqual({ url, status: 200 });
        const file = join(__dirname, '..', '..', 'schemas', url.slice(url.lastIndexOf('/') + 1));
        expect(await response.text()).toBe(readFileSync(file, 'utf8'));
      }
      expect(new Set(routed.map((m) => m.headers.ce_type))).toEqual(
        new Set(['com.tencentcloud.live.member.state_changed.v1']),
      );
      const gift = main.find(
        (m) => m.headers.ce_type === 'com.tencentcloud.live.gift.send_requested.v1',
      );
      expect(JSON.parse(gift!.payload!)).toMatchObject({ verdict: 'block' });
      const destroyed = main.find(
        (m) => m.headers.ce_type === 'com.tencentcloud.live.room.destroyed.v1',
      );
      expect(JSON.parse(destroyed!.payload!)).toMatchObject({ ownerAccount: '144115216631667826' });

      expect(quarantined[0]!.payload).toBe(unknownBody);
      expect(quarantined[0]!.key).toBe(`${APP_ID}:Live.CallbackAfterSomethingNew`);
      expect(quarantined[0]!.headers).toMatchObject({
        ce_id: unknown.eventId,
        ce_type: 'com.tencentcloud.live.callback.quarantined.v1',
        ce_quarantinereason: 'unsupported_command',
        ce_tencentcommand: 'Live.CallbackAfterSomethingNew',
      });

      const metrics = await readMetrics(bridge);
      for (const command of ALL_COMMANDS) {
        expect([
          command,
          metrics.get(`live_bridge_callbacks_received_total{command="${command}"}`),
        ]).toEqual([command, 1]);
      }
      expect(metrics.get('live_bridge_callbacks_received_total{command="other"}')).toBe(1);
      for (const row of COMMAND_TABLE) {
        expect([
          row.type,
          metrics.get(`live_bridge_events_forwarded_total{type="${row.type}"}`),
        ]).toEqual([row.type, row.commands.length]);
      }
      expect(
        metrics.get(
          'live_bridge_before_callbacks_total{command="Live.CallbackBeforeSendGift",verdict="block"}',
        ),
      ).toBe(1);
      expect(
        metrics.get(
          'live_bridge_before_callbacks_total{command="Group.CallbackBeforeSendMsg",verdict="allow"}',
        ),
      ).toBe(1);
      expect(
        metrics.get('live_bridge_events_quarantined_total{reason="unsupported_command"}'),
      ).toBe(1);
    } finally {
      bridge.signal('SIGTERM');
      expect(await bridge.exited).toBe(0);
    }
  });
});
