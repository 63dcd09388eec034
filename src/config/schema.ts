import Joi from 'joi';
import { BEFORE_COMMANDS, ENTITIES } from '../pipeline/command-table';
import { parseCidr } from '../http/source-allowlist';
import type { BridgeConfig } from './types';

const port = Joi.number().integer().min(1).max(65535);
const ms = Joi.number().integer().min(0);
const positive = Joi.number().integer().min(1);
const token = Joi.string().min(1).max(128);
const path = Joi.string().min(1);
/** An IPv4/IPv6 address or CIDR block, as `parseCidr` (src/http/source-allowlist.ts) reads it. */
const cidr = Joi.string()
  .custom((value: string, helpers) =>
    parseCidr(value) === undefined ? helpers.error('cidr.invalid') : value,
  )
  .messages({ 'cidr.invalid': '{{#label}} must be an IP address or CIDR block' });
const topicName = Joi.string().pattern(/^[A-Za-z0-9._-]{1,249}$/);

const app = Joi.object({
  sdkAppId: Joi.string()
    .pattern(/^[0-9]{1,20}$/)
    .required()
    .messages({ 'string.pattern.base': '{{#label}} must be the numeric SDKAppID' }),
  token,
  tokenFile: path,
  previousTokens: Joi.array().items(token),
  previousTokenFiles: Joi.array().items(path),
  unsigned: Joi.boolean(),
})
  .oxor('token', 'tokenFile')
  .custom((value: { token?: string; tokenFile?: string; unsigned?: boolean }, helpers) => {
    const hasToken = value.token !== undefined || value.tokenFile !== undefined;
    if (value.unsigned === true && hasToken) return helpers.error('app.unsignedWithToken');
    if (value.unsigned !== true && !hasToken) return helpers.error('app.noToken');
    return value;
  })
  .messages({
    'app.noToken':
      '{{#label}} needs token or tokenFile; set unsigned: true to accept unsigned callbacks',
    'app.unsignedWithToken': '{{#label}} is unsigned but has a token',
  });

/** The configuration schema: every key, its type and range. Unknown keys are mistakes. */
export const configSchema: Joi.ObjectSchema<BridgeConfig> = Joi.object<BridgeConfig>({
  server: Joi.object({
    host: Joi.string().required(),
    port: port.required(),
    callbackPath: Joi.string()
      .pattern(/^\/[A-Za-z0-9/_.-]*$/)
      .required(),
    bodyLimitBytes: Joi.number().integer().min(1024).max(16_777_216).required(),
    payloadTimeoutMs: positive.required(),
    requestTimeoutMs: positive.required(),
    keepAliveTimeoutMs: positive.required(),
    tls: Joi.object({
      certFile: Joi.string().allow('').required(),
      keyFile: Joi.string().allow('').required(),
      reloadIntervalMs: Joi.number().integer().min(100).max(3_600_000).required(),
    })
      // one without the other is a mistake, not "plain HTTP"
      .custom((value: BridgeConfig['server']['tls'], helpers) =>
        (value.certFile === '') === (value.keyFile === '') ? value : helpers.error('tls.pair'),
      )
      .messages({ 'tls.pair': 'server.tls needs both certFile and keyFile, or neither' })
      .required(),
  }).required(),
  admin: Joi.object({ host: Joi.string().required(), port: port.required() }).required(),
  tencent: Joi.object({
    apps: Joi.array().items(app).min(1).unique('sdkAppId').required().messages({
      'array.min':
        '{{#label}} must name at least one app (or set TENCENT_SDK_APP_ID and TENCENT_CALLBACK_TOKEN)',
    }),
    signatureWindowSeconds: Joi.number().integer().min(1).max(3600).required(),
  }).required(),
  kafka: Joi.object({
    brokers: Joi.array()
      .items(Joi.string().pattern(/^[^\s:]+:[0-9]{1,5}$/))
      .min(1)
      .required(),
    clientId: Joi.string().min(1).required(),
    topic: Joi.string()
      .pattern(/^[A-Za-z0-9._-]{1,249}$/)
      .required(),
    quarantineTopic: Joi.string()
      .pattern(/^[A-Za-z0-9._-]{1,249}$/)
      .required(),
    // one optional key per entity of the command table; any other key is a mistake
    topicByEntity: Joi.object(Object.fromEntries(ENTITIES.map((entity) => [entity, topicName])))
      .messages({ 'object.unknown': `{{#label}} is not an entity (${ENTITIES.join(', ')})` })
      .required(),
    compression: Joi.string().valid('none', 'gzip').required(),
    client: Joi.string().valid('kafkajs', 'platformatic').required(),
    produceEncoder: Joi.string().valid('bridge', 'kafkajs').required(),
    connectionTimeoutMs: positive.required(),
    requestTimeoutMs: positive.required(),
    publishTimeoutMs: positive.required(),
    metadataMaxAgeMs: Joi.number().integer().min(1000).required(),
    retry: Joi.object({
      // kafkajs refuses an idempotent producer without retries
      retries: Joi.number().integer().min(1).max(100).required(),
      initialRetryTimeMs: positive.required(),
      maxRetryTimeMs: positive.required(),
    }).required(),
    batch: Joi.object({
      maxMessages: Joi.number().integer().min(1).max(100_000).required(),
      lingerMs: ms.max(1000).required(),
    }).required(),
    ssl: Joi.object({
      enabled: Joi.boolean().required(),
      rejectUnauthorized: Joi.boolean().required(),
      caFile: Joi.string().allow('').required(),
      certFile: Joi.string().allow('').required(),
      keyFile: Joi.string().allow('').required(),
    }).required(),
    sasl: Joi.object({
      mechanism: Joi.string().valid('none', 'plain', 'scram-sha-256', 'scram-sha-512').required(),
      username: Joi.string().allow('').required(),
      password: Joi.string().allow('').required(),
      passwordFile: Joi.string().allow('').required(),
    })
      .custom((value: BridgeConfig['kafka']['sasl'], helpers) => {
        if (value.mechanism === 'none') return value;
        if (!value.username) return helpers.error('sasl.username');
        if (!value.password && !value.passwordFile) return helpers.error('sasl.password');
        return value;
      })
      .messages({
        'sasl.username': 'kafka.sasl.username is required when a SASL mechanism is set',
        'sasl.password': 'kafka.sasl needs password or passwordFile when a mechanism is set',
      })
      .required(),
    createTopics: Joi.object({
      enabled: Joi.boolean().required(),
      partitions: Joi.number().integer().min(1).max(10_000).required(),
      replicationFactor: Joi.number().integer().min(-1).max(32).invalid(0).required(),
    }).required(),
  }).required(),
  callbacks: Joi.object({
    quarantineUnsupported: Joi.boolean().required(),
    // the verdicts each before-callback can answer with, from the command table
    beforeVerdicts: Joi.object(
      Object.fromEntries(
        [...BEFORE_COMMANDS].map(([name, verdicts]) => [
          name,
          Joi.string().valid(...Object.keys(verdicts)),
        ]),
      ),
    )
      .messages({ 'object.unknown': '{{#label}} is not a before-callback of the command table' })
      .required(),
    publishBeforeEvents: Joi.boolean().required(),
  }).required(),
  events: Joi.object({
    contentMode: Joi.string().valid('binary', 'structured').required(),
    // '' (the default): events carry no dataschema attribute
    dataSchemaBaseUrl: Joi.string()
      .uri({ scheme: ['http', 'https'] })
      .pattern(/[^/]$/)
      .allow('')
      .required(),
  }).required(),
  spool: Joi.object({
    enabled: Joi.boolean().required(),
    dir: Joi.string().min(1).required(),
    maxEvents: positive.required(),
    maxBytes: positive.required(),
    maxAgeSeconds: positive.required(),
    minFreeBytes: Joi.number().integer().min(0).required(),
    drainBatchSize: Joi.number().integer().min(1).max(10_000).required(),
    drainBackoffMinMs: positive.required(),
    drainBackoffMaxMs: positive.required(),
  }).required(),
  dedupe: Joi.object({
    enabled: Joi.boolean().required(),
    windowSeconds: positive.required(),
    maxEntries: positive.required(),
  }).required(),
  allowlist: Joi.object({
    cidrs: Joi.array().items(cidr).required(),
    trustedProxies: Joi.array().items(cidr).required(),
  }).required(),
  connections: Joi.object({
    headersTimeoutMs: positive.required(),
    maxConnections: positive.required(),
    // 0: a request sent before the previous one is answered is refused.
    maxPipelinedRequests: Joi.number().integer().min(0).max(1000).required(),
  }).required(),
  log: Joi.object({
    level: Joi.string()
      .valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')
      .required(),
  }).required(),
  shutdown: Joi.object({ graceMs: positive.required() }).required(),
});

/**
 * Rules across sections. Checked separately from the schema so they are reported together with
 * every other problem, not only once the rest is valid.
 */
export function crossCheck(config: Partial<BridgeConfig>): string[] {
  const problems: string[] = [];
  if (config.server?.port !== undefined && config.server.port === config.admin?.port) {
    problems.push('server.port and admin.port must differ');
  }
  const publish = config.kafka?.publishTimeoutMs;
  const request = config.server?.requestTimeoutMs;
  if (typeof publish === 'number' && typeof request === 'number' && publish >= request) {
    problems.push(
      'kafka.publishTimeoutMs must be shorter than server.requestTimeoutMs (Tencent waits 2 s)',
    );
  }
  // @platformatic/kafka turns retries <= 1 of an idempotent producer into unlimited retries, and
  // the batcher sends one batch at a time: one batch retried for ever would hold up every other.
  if (config.kafka?.client === 'platformatic' && (config.kafka.retry?.retries ?? 2) < 2) {
    problems.push('kafka.retry.retries must be at least 2 with kafka.client=platformatic');
  }
  const quarantine = config.kafka?.quarantineTopic;
  for (const [entity, topic] of Object.entries(config.kafka?.topicByEntity ?? {})) {
    if (topic === quarantine) {
      problems.push(`kafka.topicByEntity.${entity} must not be the quarantine topic`);
    }
  }
  return problems;
}
