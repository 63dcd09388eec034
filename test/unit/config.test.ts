import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, envKeys, envNameFor, loadConfig, resolveApps } from '../../src/config/load';
import { configuredTopics } from '../../src/config/topics';
import { testTempDir } from '../helpers/temp-dir';

const CONFIG_DIR = join(__dirname, '..', '..', 'config');
const APP = { TENCENT_SDK_APP_ID: '1400000001', TENCENT_CALLBACK_TOKEN: 'tok' };

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ configDir: CONFIG_DIR, env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

function tempFile(name: string, content: string): string {
  const dir = testTempDir('bridge-config-');
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('loadConfig', () => {
  it('loads the defaults plus the one-app environment shortcut', () => {
    const config = loadConfig({ configDir: CONFIG_DIR, env: APP });
    expect(config.server.port).toBe(8080);
    expect(config.admin.port).toBe(9464);
    expect(config.kafka.topic).toBe('tencent-live-events');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.produceEncoder).toBe('bridge');
    expect(config.kafka.client).toBe('kafkajs');
    expect(config.tencent.apps).toEqual([{ sdkAppId: '1400000001', token: 'tok' }]);
    expect(Object.isFrozen(config.kafka.retry)).toBe(true);
  });

  it('needs an app, except for the CLI commands that only read the spool', () => {
    expect(problemsOf({})).toEqual([
      '"tencent.apps" must name at least one app (or set TENCENT_SDK_APP_ID and TENCENT_CALLBACK_TOKEN)',
    ]);
    const config = loadConfig({ configDir: CONFIG_DIR, env: {}, appsOptional: true });
    expect(config.tencent.apps).toEqual([]);
    // the rest is still checked
    expect(() =>
      loadConfig({ configDir: CONFIG_DIR, env: { SPOOL_MAX_EVENTS: '0' }, appsOptional: true }),
    ).toThrow(ConfigError);
  });

  it('reads the documented environment names', () => {
    const config = loadConfig({
      configDir: CONFIG_DIR,
      env: {
        ...APP,
        PORT: '18080',
        ADMIN_PORT: '19464',
        KAFKA_BROKERS: 'a:9092, b:9093',
        KAFKA_TOPIC: 'rooms',
        TENCENT_PREVIOUS_CALLBACK_TOKENS: 'old1,old2',
        KAFKA_RETRY_RETRIES: '9',
        KAFKA_SSL_ENABLED: 'true',
        EVENTS_CONTENT_MODE: 'structured',
        LOG_LEVEL: 'warn',
        KAFKA_PRODUCE_ENCODER: 'kafkajs',
        KAFKA_CLIENT: 'platformatic',
      },
    });
    expect(config.server.port).toBe(18080);
    expect(config.admin.port).toBe(19464);
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(config.kafka.topic).toBe('rooms');
    expect(config.kafka.retry.retries).toBe(9);
    expect(config.kafka.ssl.enabled).toBe(true);
    expect(config.events.contentMode).toBe('structured');
    expect(config.log.level).toBe('warn');
    expect(config.kafka.produceEncoder).toBe('kafkajs');
    expect(config.kafka.client).toBe('platformatic');
    expect(config.tencent.apps[0]?.previousTokens).toEqual(['old1', 'old2']);
  });

  it('has an environment variable for every key', () => {
    const names = envKeys({ kafka: { retry: { initialRetryTimeMs: 1 }, brokers: [] } }).map(
      (key) => key.name,
    );
    expect(names).toEqual(['KAFKA_RETRY_INITIAL_RETRY_TIME_MS', 'KAFKA_BROKERS']);
    expect(envNameFor(['server', 'callbackPath'])).toBe('SERVER_CALLBACK_PATH');
  });

  it('merges CONFIG_FILE over the defaults, and environment over the file', () => {
    const file = tempFile(
      'config.json',
      JSON.stringify({
        tencent: { apps: [{ sdkAppId: '1400000002', tokenFile: '/run/secrets/t' }] },
        kafka: { topic: 'from-file', retry: { retries: 2 } },
      }),
    );
    const config = loadConfig({
      configDir: CONFIG_DIR,
      env: { ...APP, CONFIG_FILE: file, KAFKA_TOPIC: 'from-env' },
    });
    expect(config.kafka.topic).toBe('from-env');
    expect(config.kafka.retry).toEqual({
      retries: 2,
      initialRetryTimeMs: 100,
      maxRetryTimeMs: 1000,
    });
    expect(config.tencent.apps.map((app) => app.sdkAppId)).toEqual(['1400000002', '1400000001']);
  });

  it('takes several apps from TENCENT_APPS', () => {
    const config = loadConfig({
      configDir: CONFIG_DIR,
      env: {
        TENCENT_APPS: JSON.stringify([
          { sdkAppId: '1', token: 'a', previousTokens: ['a0'] },
          { sdkAppId: '2', unsigned: true },
        ]),
      },
    });
    expect(config.tencent.apps).toHaveLength(2);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      TENCENT_SDK_APP_ID: 'not-a-number',
      PORT: '9464',
      KAFKA_COMPRESSION: 'snappy',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_BROKERS: 'no-port',
      KAFKA_PUBLISH_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'loud',
      KAFKA_RETRY_RETRIES: '0',
      KAFKA_PRODUCE_ENCODER: 'librdkafka',
      KAFKA_CLIENT: 'confluent',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        '"tencent.apps[0].sdkAppId" must be the numeric SDKAppID',
        '"kafka.compression" must be one of [none, gzip]',
        'kafka.sasl.username is required when a SASL mechanism is set',
        'server.port and admin.port must differ',
        'kafka.publishTimeoutMs must be shorter than server.requestTimeoutMs (Tencent waits 2 s)',
        '"kafka.retry.retries" must be greater than or equal to 1',
        '"kafka.produceEncoder" must be one of [bridge, kafkajs]',
        '"kafka.client" must be one of [kafkajs, platformatic]',
      ]),
    );
    expect(problems.some((problem) => problem.includes('kafka.brokers[0]'))).toBe(true);
    expect(problems.some((problem) => problem.includes('log.level'))).toBe(true);
    expect(problems.length).toBeGreaterThanOrEqual(10);
  });

  it('refuses kafka.retry.retries 1 with the platformatic client (it would retry without end)', () => {
    const retries = {
      TENCENT_SDK_APP_ID: '1',
      TENCENT_CALLBACK_TOKEN: 't',
      KAFKA_RETRY_RETRIES: '1',
    };
    expect(problemsOf({ ...retries, KAFKA_CLIENT: 'platformatic' })).toEqual([
      'kafka.retry.retries must be at least 2 with kafka.client=platformatic',
    ]);
    expect(problemsOf(retries)).toEqual([]);
    expect(
      problemsOf({ ...retries, KAFKA_CLIENT: 'platformatic', KAFKA_RETRY_RETRIES: '2' }),
    ).toEqual([]);
  });

  it('fails closed: an app needs a token unless marked unsigned', () => {
    // named in the environment's terms when the app came from the shortcut
    expect(problemsOf({ TENCENT_SDK_APP_ID: '1' })).toEqual([
      'TENCENT_SDK_APP_ID is set without TENCENT_CALLBACK_TOKEN or TENCENT_CALLBACK_TOKEN_FILE (TENCENT_APP_UNSIGNED=true accepts unsigned callbacks)',
    ]);
    expect(problemsOf({ TENCENT_APPS: '[{"sdkAppId":"1"}]' })).toEqual([
      '"tencent.apps[0]" needs token or tokenFile; set unsigned: true to accept unsigned callbacks',
    ]);
    expect(problemsOf({ TENCENT_SDK_APP_ID: '1', TENCENT_APP_UNSIGNED: 'true' })).toEqual([]);
    expect(
      problemsOf({
        TENCENT_SDK_APP_ID: '1',
        TENCENT_APP_UNSIGNED: 'true',
        TENCENT_CALLBACK_TOKEN: 'x',
      }),
    ).toEqual([expect.stringContaining('unsigned but has a token') as unknown]);
  });

  it('serves HTTPS only with both a certificate and a key file', () => {
    expect(loadConfig({ configDir: CONFIG_DIR, env: APP }).server.tls).toEqual({
      certFile: '',
      keyFile: '',
      reloadIntervalMs: 5000,
    });
    const both = {
      ...APP,
      SERVER_TLS_CERT_FILE: '/tls/tls.crt',
      SERVER_TLS_KEY_FILE: '/tls/tls.key',
    };
    expect(loadConfig({ configDir: CONFIG_DIR, env: both }).server.tls.certFile).toBe(
      '/tls/tls.crt',
    );
    expect(problemsOf({ ...APP, SERVER_TLS_CERT_FILE: '/tls/tls.crt' })).toEqual([
      'server.tls needs both certFile and keyFile, or neither',
    ]);
    expect(problemsOf({ ...APP, SERVER_TLS_KEY_FILE: '/tls/tls.key' })).toEqual([
      'server.tls needs both certFile and keyFile, or neither',
    ]);
  });

  it('requires at least one app', () => {
    expect(problemsOf({})).toEqual([expect.stringContaining('at least one app') as unknown]);
  });

  it('refuses a token given without an app id, unknown keys and duplicate apps', () => {
    expect(
      problemsOf({ ...APP, TENCENT_CALLBACK_TOKEN_FILE: '/x', TENCENT_SDK_APP_ID: '' }),
    ).toEqual(expect.arrayContaining([expect.stringContaining('sdkAppId') as unknown]));
    expect(
      problemsOf({
        TENCENT_CALLBACK_TOKEN: 'x',
        ...{ TENCENT_APPS: '[{"sdkAppId":"1","token":"a"}]' },
      }),
    ).toEqual(['TENCENT_CALLBACK_TOKEN is set but TENCENT_SDK_APP_ID is not']);
    const file = tempFile('c.json', JSON.stringify({ kafka: { topik: 'typo' } }));
    expect(problemsOf({ ...APP, CONFIG_FILE: file })).toEqual(['"kafka.topik" is not allowed']);
    expect(
      problemsOf({ TENCENT_APPS: '[{"sdkAppId":"1","token":"a"},{"sdkAppId":"1","token":"b"}]' }),
    ).toEqual([expect.stringContaining('duplicate') as unknown]);
  });

  it('reports a CONFIG_FILE that is missing or not JSON', () => {
    expect(problemsOf({ ...APP, CONFIG_FILE: '/nonexistent/config.json' })).toEqual([
      expect.stringContaining('/nonexistent/config.json') as unknown,
    ]);
    const bad = tempFile('bad.json', '{ nope');
    expect(problemsOf({ ...APP, CONFIG_FILE: bad })).toEqual([
      expect.stringContaining(bad) as unknown,
    ]);
    expect(problemsOf({ ...APP, TENCENT_APPS: '{' })).toEqual(
      expect.arrayContaining(['TENCENT_APPS: not valid JSON']),
    );
  });
});

describe('routing and callback settings', () => {
  it('defaults: one topic, unknown commands quarantined, before-callbacks allowed and not published', () => {
    const config = loadConfig({ configDir: CONFIG_DIR, env: APP });
    expect(config.kafka.topicByEntity).toEqual({});
    expect(config.callbacks).toEqual({
      quarantineUnsupported: true,
      beforeVerdicts: {},
      publishBeforeEvents: false,
    });
    expect(configuredTopics(config.kafka)).toEqual([
      'tencent-live-events',
      'tencent-live-events.quarantine',
    ]);
  });

  it('reads the maps as JSON from the environment, the flags as booleans', () => {
    const config = loadConfig({
      configDir: CONFIG_DIR,
      env: {
        ...APP,
        KAFKA_TOPIC_BY_ENTITY: '{"member":"live-members","battle":"live-battles"}',
        CALLBACKS_BEFORE_VERDICTS:
          '{"Live.CallbackBeforeSendGift":"block","Group.CallbackBeforeSendMsg":"discard"}',
        CALLBACKS_QUARANTINE_UNSUPPORTED: 'false',
        CALLBACKS_PUBLISH_BEFORE_EVENTS: 'true',
      },
    });
    expect(config.kafka.topicByEntity).toEqual({ member: 'live-members', battle: 'live-battles' });
    expect(config.callbacks).toEqual({
      quarantineUnsupported: false,
      beforeVerdicts: {
        'Live.CallbackBeforeSendGift': 'block',
        'Group.CallbackBeforeSendMsg': 'discard',
      },
      publishBeforeEvents: true,
    });
    // kafka.createTopics creates every topic the bridge writes to, each once
    expect(configuredTopics(config.kafka)).toEqual([
      'tencent-live-events',
      'live-members',
      'live-battles',
      'tencent-live-events.quarantine',
    ]);
  });

  it('lists an empty object default as one JSON variable', () => {
    expect(envKeys({ kafka: { topicByEntity: {} } })).toEqual([
      { name: 'KAFKA_TOPIC_BY_ENTITY', path: ['kafka', 'topicByEntity'], kind: 'json' },
    ]);
  });

  it('refuses unknown entities, bad topic names, unknown or wrong verdicts, and the quarantine topic as an entity topic', () => {
    const problems = problemsOf({
      ...APP,
      KAFKA_TOPIC_BY_ENTITY:
        '{"rooms":"x","member":"bad topic","seat":"tencent-live-events.quarantine"}',
      CALLBACKS_BEFORE_VERDICTS:
        '{"Live.CallbackBeforeSendGift":"discard","Live.CallbackAfterCreateRoom":"allow"}',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"kafka.topicByEntity.rooms" is not an entity (room,'),
        expect.stringContaining('"kafka.topicByEntity.member" with value "bad topic"'),
        expect.stringContaining(
          '"callbacks.beforeVerdicts.Live.CallbackBeforeSendGift" must be one of [allow, block]',
        ),
        expect.stringContaining('Live.CallbackAfterCreateRoom" is not a before-callback'),
        'kafka.topicByEntity.seat must not be the quarantine topic',
      ]),
    );
    expect(problemsOf({ ...APP, KAFKA_TOPIC_BY_ENTITY: '{' })).toEqual(
      expect.arrayContaining(['KAFKA_TOPIC_BY_ENTITY: not valid JSON']),
    );
  });
});

describe('connection limits', () => {
  it('allows 8 pipelined requests by default, 0 to refuse pipelining, and no negative or fraction', () => {
    expect(loadConfig({ configDir: CONFIG_DIR, env: APP }).connections.maxPipelinedRequests).toBe(
      8,
    );
    const none = loadConfig({
      configDir: CONFIG_DIR,
      env: { ...APP, CONNECTIONS_MAX_PIPELINED_REQUESTS: '0' },
    });
    expect(none.connections.maxPipelinedRequests).toBe(0);
    for (const value of ['-1', '1.5', 'many']) {
      const problems = problemsOf({ ...APP, CONNECTIONS_MAX_PIPELINED_REQUESTS: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('connections.maxPipelinedRequests');
    }
  });
});

describe('resolveApps', () => {
  it('reads token files, current token first, and keeps unsigned apps token-less', () => {
    const current = tempFile('current', 'new-token\n');
    const previous = tempFile('previous', 'old-token');
    expect(
      resolveApps([
        {
          sdkAppId: '1',
          tokenFile: current,
          previousTokenFiles: [previous],
          previousTokens: ['x'],
        },
        { sdkAppId: '2', unsigned: true },
      ]),
    ).toEqual([
      { sdkAppId: '1', tokens: ['new-token', 'x', 'old-token'], unsigned: false },
      { sdkAppId: '2', tokens: [], unsigned: true },
    ]);
  });

  it('lists every unreadable or empty token file', () => {
    const empty = tempFile('empty', '\n');
    try {
      resolveApps([
        { sdkAppId: '1', tokenFile: '/missing/one' },
        { sdkAppId: '2', tokenFile: empty },
      ]);
      throw new Error('expected ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        expect.stringContaining('/missing/one') as unknown,
        `${empty}: token file is empty`,
      ]);
    }
  });
});
