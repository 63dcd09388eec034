import { createLogger } from '../../src/logger';
import type { TestBridge } from '../helpers/bridge';
import { brokers, buildTestBridge, uniqueTopic } from '../helpers/bridge';
import { createTopic } from '../helpers/kafka-broker';
import { APP_ID, TOKEN, callbackUrl, createRoomBody } from '../helpers/tencent';
import { captureLogs } from '../helpers/log-capture';

describe('logs', () => {
  let t: TestBridge;
  const logs = captureLogs();

  beforeAll(async () => {
    const topic = uniqueTopic('logs');
    await createTopic(brokers(), topic, 1);
    await createTopic(brokers(), `${topic}.quarantine`, 1);
    t = await buildTestBridge(
      { KAFKA_TOPIC: topic, KAFKA_QUARANTINE_TOPIC: `${topic}.quarantine` },
      { logTo: logs.stream },
    );
    await t.publisher.connect();
  });

  afterAll(async () => {
    await t.publisher.close(2000);
  });

  it('write one line per request with its outcome, and never the token or the Sign', async () => {
    const urls = [
      callbackUrl(), // published
      callbackUrl({ token: 'wrong-token' }), // signature mismatch
      callbackUrl({ appId: '1400000777' }), // unknown app
      callbackUrl({ extra: { RequestTime: '1' } }), // expired
    ];
    const body = JSON.stringify(createRoomBody(`logs-${Date.now()}`));
    for (const url of urls) {
      await t.bridge.webhook.inject({
        method: 'POST',
        url,
        payload: body,
        headers: { 'content-type': 'application/json' },
      });
    }
    const signs = urls.map((url) => new URL(url, 'http://x').searchParams.get('Sign')!);
    for (const line of logs.lines) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain('previous-token');
      for (const sign of signs) expect(line).not.toContain(sign);
    }
    const requests = logs.parsed().filter((line) => line.msg === 'callback');
    expect(requests.map((line) => [line.status, line.outcome, line.reason])).toEqual([
      [200, 'published', undefined],
      [401, 'rejected', 'signature_mismatch'],
      [403, 'rejected', 'app_unknown'],
      [401, 'rejected', 'signature_expired'],
    ]);
    expect(requests[0]).toMatchObject({ app: APP_ID, path: '/webhooks/tencent/live' });
    expect(typeof requests[0]!.eventId).toBe('string');
    expect(requests[0]!.time).toEqual(
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    );
  });

  it('censor secrets at the known paths of the main logger', () => {
    const out = captureLogs();
    const logger = createLogger('info', out.stream);
    logger.info(
      {
        token: 'tok-1',
        query: { Sign: 'sig-1' },
        app: { tokens: ['tok-2'], password: 'pw-1' },
        config: {
          tencent: { apps: [{ token: 'tok-3', previousTokens: ['tok-4'] }] },
          kafka: { sasl: { password: 'pw-2' } },
        },
      },
      'something went wrong',
    );
    const [line] = out.lines;
    for (const secret of ['tok-1', 'sig-1', 'tok-2', 'pw-1', 'tok-3', 'tok-4', 'pw-2']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
  });
});
