import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_TABLE } from '../../src/pipeline/command-table';
import type { TestBridge } from '../helpers/bridge';
import { buildTestBridge } from '../helpers/bridge';

const SCHEMAS = join(__dirname, '..', '..', 'schemas');

let t: TestBridge;

beforeAll(async () => {
  t = await buildTestBridge();
});

afterAll(async () => {
  await t.publisher.close(2000);
});

describe('admin listener', () => {
  it('serves Prometheus metrics with every documented family', async () => {
    await t.bridge.webhook.inject({ method: 'POST', url: '/nope' });
    const response = await t.bridge.admin.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      'live_bridge_callbacks_received_total',
      'live_bridge_callbacks_rejected_total',
      'live_bridge_events_forwarded_total',
      'live_bridge_request_duration_seconds',
      'live_bridge_kafka_publish_duration_seconds',
      'live_bridge_kafka_connected',
    ]) {
      expect(response.payload).toContain(`# TYPE ${name}`);
    }
    expect(response.payload).toContain(
      'live_bridge_callbacks_rejected_total{reason="not_found"} 1',
    );
  });

  it('is alive, and ready only once Kafka is connected', async () => {
    expect((await t.bridge.admin.inject('/healthz')).statusCode).toBe(200);
    const before = await t.bridge.admin.inject('/readyz');
    expect(before.statusCode).toBe(503);
    expect(JSON.parse(before.payload)).toMatchObject({ ready: false, checks: { kafka: false } });
    await t.publisher.connect();
    const after = await t.bridge.admin.inject('/readyz');
    expect(after.statusCode).toBe(200);
    expect(JSON.parse(after.payload)).toEqual({
      ready: true,
      checks: { kafka: true, spool: false, notStopping: true },
    });
  });

  it("serves every event type's JSON Schema from schemas/, byte for byte, and 404 otherwise", async () => {
    const files = readdirSync(SCHEMAS).filter((file) => file.endsWith('.json'));
    expect(files.length).toBe(COMMAND_TABLE.length);
    for (const row of COMMAND_TABLE) {
      const response = await t.bridge.admin.inject(`/schemas/${row.type}.json`);
      expect({ type: row.type, status: response.statusCode }).toEqual({
        type: row.type,
        status: 200,
      });
      expect(response.headers['content-type']).toMatch(/^application\/schema\+json/);
      expect(response.rawPayload.equals(readFileSync(join(SCHEMAS, `${row.type}.json`)))).toBe(
        true,
      );
    }
    for (const path of [
      '/schemas/com.tencentcloud.live.room.created.v9.json',
      '/schemas/com.tencentcloud.live.room.created.v1',
      '/schemas/..%2Fpackage.json',
    ]) {
      expect({ path, status: (await t.bridge.admin.inject(path)).statusCode }).toEqual({
        path,
        status: 404,
      });
    }
  });
});
