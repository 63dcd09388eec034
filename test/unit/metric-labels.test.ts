import pino from 'pino';
import { Registry } from 'prom-client';
import { createBridge } from '../../src/app';
import { loadConfig, resolveApps } from '../../src/config/load';
import { REJECTIONS } from '../../src/errors';
import { createMetrics, DROPPED_DEFAULT_METRICS } from '../../src/metrics';
import { COMMAND_NAMES } from '../../src/pipeline/command-table';
import { CONFIG_DIR } from '../helpers/bridge';
import { createMemoryPublisher } from '../helpers/memory-publisher';
import { seededRandom } from '../helpers/random';
import { APP_ID, TOKEN, callbackUrl, createRoomBody } from '../helpers/tencent';

/** Every `live_bridge_*` series of an exposition: `name{labels}`. */
async function bridgeSeries(registry: Registry): Promise<Set<string>> {
  const text = await registry.metrics();
  return new Set(
    text
      .split('\n')
      .filter((line) => line.startsWith('live_bridge_'))
      .map((line) => line.slice(0, line.lastIndexOf(' '))),
  );
}

async function buildBridge() {
  const config = loadConfig({
    configDir: CONFIG_DIR,
    env: {
      TENCENT_APPS: JSON.stringify([{ sdkAppId: APP_ID, token: TOKEN }]),
      SERVER_HOST: '127.0.0.1',
      ADMIN_HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
    },
  });
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const bridge = await createBridge({
    config,
    apps: resolveApps(config.tencent.apps),
    publisher: createMemoryPublisher(),
    registry,
    metrics,
    logger: pino({ level: 'silent' }),
  });
  return { bridge, registry };
}

describe('metric series', () => {
  it('exist at 0 from the start for every known label value (commands, reasons, outcomes)', async () => {
    const { registry } = await buildBridge();
    const series = await bridgeSeries(registry);
    for (const command of [...COMMAND_NAMES, 'other', 'none']) {
      expect(series).toContain(`live_bridge_callbacks_received_total{command="${command}"}`);
    }
    for (const { reason } of Object.values(REJECTIONS)) {
      expect(series).toContain(`live_bridge_callbacks_rejected_total{reason="${reason}"}`);
    }
    expect(series).toContain('live_bridge_events_dead_lettered_total{reason="message_too_large"}');
    expect(series).toContain(
      'live_bridge_before_callbacks_total{command="Live.CallbackBeforeSendGift",verdict="block"}',
    );
    expect(series).toContain('live_bridge_request_duration_seconds_count{outcome="rejected"}');
    expect(series).toContain('live_bridge_kafka_publish_duration_seconds_count{outcome="ok"}');
    expect(series).toContain('live_bridge_ready');
    const text = await registry.metrics();
    expect(text).toMatch(/^live_bridge_callbacks_received_total\{command="other"\} 0$/m);
  });

  it('leaves out the default gauges named _total that promtool refuses', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const text = await registry.metrics();
    for (const name of DROPPED_DEFAULT_METRICS) expect(text).not.toContain(`${name} `);
    expect(text).toContain('# TYPE nodejs_active_handles gauge');
  });

  it('gain no series from 1,000 distinct hostile requests', async () => {
    const { bridge, registry } = await buildBridge();
    const before = await bridgeSeries(registry);
    const random = seededRandom(14);
    const hostile = (): string =>
      random.pick([
        () => `Live.${random.string(random.int(1, 40))}`,
        () => `{{${random.string(8)}}}`,
        () => `"} 1\nlive_bridge_injected_total{x="`,
        () => '\u0000\u202e' + random.string(12, 'ab\u00e9\u{1f600}'),
        () => 'x'.repeat(random.int(100, 2000)),
        () => COMMAND_NAMES[random.int(0, COMMAND_NAMES.length - 1)]!.toLowerCase(),
      ])();
    const seen = new Set<string>();
    for (let n = 0; seen.size < 1000; n++) {
      const value = `${hostile()}#${n}`;
      seen.add(value);
      const signed = n % 2 === 0; // half authenticated (command and body are the attacker's)
      // well-formed unknown commands reach the receiver; odd ones stop at the query check
      const word = [...n.toString(26)]
        .map((d) => String.fromCharCode(97 + parseInt(d, 26)))
        .join('');
      const command = random.pick([value, `Live.CallbackAfterNew${word}`, `Group.Callback${word}`]);
      const url = callbackUrl({
        command,
        token: signed ? TOKEN : 'wrong-token',
        appId: n % 7 === 0 ? value : APP_ID,
        extra: n % 3 === 0 ? { [value.slice(0, 50)]: value } : {},
      });
      const response = await bridge.webhook.inject({
        method: random.pick(['POST', 'POST', 'PUT', 'GET']),
        url: n % 11 === 0 ? `/${encodeURIComponent(value)}` : url,
        headers: {
          'content-type': random.pick([
            'application/json',
            encodeURIComponent(value),
            'text/plain',
          ]),
          'x-forwarded-for': encodeURIComponent(value),
        },
        payload: JSON.stringify({
          ...createRoomBody(value),
          CallbackCommand: random.pick([value, command, 'Live.CallbackAfterCreateRoom']),
          EventTime: n,
        }),
      });
      expect(response.statusCode).toBeLessThan(500);
    }
    const after = await bridgeSeries(registry);
    expect([...after].filter((series) => !before.has(series))).toEqual([]);
    // and the traffic was counted, within the known series
    const text = await registry.metrics();
    expect(text).toMatch(/^live_bridge_callbacks_received_total\{command="other"\} [1-9]\d*$/m);
    expect(text).toMatch(
      /^live_bridge_callbacks_rejected_total\{reason="signature_mismatch"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(
      /^live_bridge_events_quarantined_total\{reason="unsupported_command"\} [1-9]\d*$/m,
    );
  });
});
