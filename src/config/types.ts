import type { ContentMode } from '../events/cloudevents';

/** One Tencent application allowed to call us. */
export interface AppConfig {
  sdkAppId: string;
  token?: string;
  tokenFile?: string;
  previousTokens?: string[];
  previousTokenFiles?: string[];
  /** Accept callbacks without a signature. Must be said explicitly (fail closed). */
  unsigned?: boolean;
}

export type KafkaClientName = 'kafkajs' | 'platformatic';

export type SaslMechanism = 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** The whole configuration after loading and validation (see config/default.json). */
export interface BridgeConfig {
  server: {
    host: string;
    port: number;
    callbackPath: string;
    bodyLimitBytes: number;
    payloadTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /**
     * HTTPS on the webhook listener: PEM certificate chain and key files (both empty: plain
     * HTTP). Both files are checked every `reloadIntervalMs` and a changed pair is served to new
     * connections without a restart.
     */
    tls: { certFile: string; keyFile: string; reloadIntervalMs: number };
  };
  admin: { host: string; port: number };
  tencent: { apps: AppConfig[]; signatureWindowSeconds: number };
  kafka: {
    brokers: string[];
    clientId: string;
    topic: string;
    quarantineTopic: string;
    /** Topic per event entity (`room`, `member`, …); entities not named go to `topic`. */
    topicByEntity: Readonly<Record<string, string>>;
    compression: 'none' | 'gzip';
    /**
     * The Kafka client library: `kafkajs` (2.2.4, unmaintained since 2023; the default) or
     * `platformatic` (@platformatic/kafka, maintained). Same records, partitions and guarantees.
     */
    client: KafkaClientName;
    /** Who encodes uncompressed Produce requests: our encoder (`produce-request.ts`) or kafkajs. */
    produceEncoder: 'bridge' | 'kafkajs';
    connectionTimeoutMs: number;
    requestTimeoutMs: number;
    publishTimeoutMs: number;
    /**
     * How often the configured topics are checked: existence (`live_bridge_kafka_topic_available`)
     * and `max.message.bytes`. Kafka's `metadata.max.age.ms` plays the same role in its clients.
     */
    metadataMaxAgeMs: number;
    retry: { retries: number; initialRetryTimeMs: number; maxRetryTimeMs: number };
    batch: { maxMessages: number; lingerMs: number };
    ssl: {
      enabled: boolean;
      rejectUnauthorized: boolean;
      caFile: string;
      certFile: string;
      keyFile: string;
    };
    sasl: { mechanism: SaslMechanism; username: string; password: string; passwordFile: string };
    createTopics: { enabled: boolean; partitions: number; replicationFactor: number };
  };
  callbacks: {
    /** Keep the raw body of commands without an event in the quarantine topic. */
    quarantineUnsupported: boolean;
    /** Before-callbacks: verdict per command (`allow` when absent). */
    beforeVerdicts: Readonly<Record<string, string>>;
    /** Before-callbacks: publish an observation event too. */
    publishBeforeEvents: boolean;
  };
  events: { contentMode: ContentMode; dataSchemaBaseUrl: string };
  spool: {
    enabled: boolean;
    dir: string;
    maxEvents: number;
    maxBytes: number;
    maxAgeSeconds: number;
    /** Bytes kept free on the spool's volume: appends stop below it (issue 16 review). */
    minFreeBytes: number;
    drainBatchSize: number;
    drainBackoffMinMs: number;
    drainBackoffMaxMs: number;
  };
  dedupe: { enabled: boolean; windowSeconds: number; maxEntries: number };
  /**
   * Source allowlist of the webhook listener (issue 14): client addresses or CIDRs allowed to
   * call; empty: off. `X-Forwarded-For` is believed only from `trustedProxies`.
   */
  allowlist: { cidrs: string[]; trustedProxies: string[] };
  /** Limits on webhook connections against slow and abusive clients (issue 14). */
  connections: { headersTimeoutMs: number; maxConnections: number; maxPipelinedRequests: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  shutdown: { graceMs: number };
}

/** An app with its secrets read: the tokens to accept, current first. */
export interface ResolvedApp {
  sdkAppId: string;
  tokens: string[];
  unsigned: boolean;
}
