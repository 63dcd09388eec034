/**
 * How the bridge treats each error Kafka can answer a Produce request with (issue #15).
 *
 * - `retriable`: the same record may be accepted later without anyone changing it (leader moves,
 *   timeouts, too few in-sync replicas, a broker down, a topic not there yet). The record waits:
 *   it is retried, or spooled and drained later.
 * - `permanent`: Kafka will never accept this record as it is (too large, invalid, refused by a
 *   broker policy or by an ACL on its topic). Retrying would block every record queued behind it
 *   forever, so the record is taken off the path (quarantine topic or dead-letter table) and the
 *   others flow on.
 * - `producer`: this producer id's state is unusable (the broker lost records it had not
 *   replicated, or fenced the producer); a new producer id recovers, then the record is retried.
 *
 * Names are Kafka's error names (https://kafka.apache.org/protocol#protocol_error_codes), which
 * are also kafkajs' `KafkaJSProtocolError.type` and @platformatic/kafka's `ProtocolError.apiId`.
 * Any error not in this table is retriable: an unknown error never drops a record.
 */
export type KafkaErrorKind = 'retriable' | 'permanent' | 'producer';

export const PRODUCE_ERRORS: Readonly<Record<string, KafkaErrorKind>> = {
  // The record (or the batch it is in) can never be stored as it is.
  MESSAGE_TOO_LARGE: 'permanent',
  RECORD_LIST_TOO_LARGE: 'permanent',
  INVALID_RECORD: 'permanent',
  INVALID_TIMESTAMP: 'permanent',
  INVALID_TOPIC_EXCEPTION: 'permanent',
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 'permanent',
  UNSUPPORTED_COMPRESSION_TYPE: 'permanent',
  POLICY_VIOLATION: 'permanent',
  INVALID_REQUIRED_ACKS: 'permanent',
  // Authorization is per topic: the records of other topics are still accepted.
  TOPIC_AUTHORIZATION_FAILED: 'permanent',
  CLUSTER_AUTHORIZATION_FAILED: 'permanent',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'permanent',
  // The producer id's state is gone: a new producer id, then the same records again.
  OUT_OF_ORDER_SEQUENCE_NUMBER: 'producer',
  UNKNOWN_PRODUCER_ID: 'producer',
  INVALID_PRODUCER_EPOCH: 'producer',
  INVALID_PRODUCER_ID_MAPPING: 'producer',
  PRODUCER_FENCED: 'producer',
  // Named for the reader: these are what a healthy cluster answers while it moves things around.
  UNKNOWN_TOPIC_OR_PARTITION: 'retriable',
  LEADER_NOT_AVAILABLE: 'retriable',
  NOT_LEADER_FOR_PARTITION: 'retriable',
  NOT_LEADER_OR_FOLLOWER: 'retriable',
  REQUEST_TIMED_OUT: 'retriable',
  NETWORK_EXCEPTION: 'retriable',
  NOT_ENOUGH_REPLICAS: 'retriable',
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 'retriable',
  KAFKA_STORAGE_ERROR: 'retriable',
  CORRUPT_MESSAGE: 'retriable',
  FENCED_LEADER_EPOCH: 'retriable',
  UNKNOWN_LEADER_EPOCH: 'retriable',
  THROTTLING_QUOTA_EXCEEDED: 'retriable',
  CONCURRENT_TRANSACTIONS: 'retriable',
};

/** What a failed produce attempt means for its records and for the connection. */
export interface KafkaErrorVerdict {
  kind: KafkaErrorKind;
  /** Kafka's error name when the broker answered with one (e.g. `MESSAGE_TOO_LARGE`). */
  name: string | undefined;
  /**
   * True when a broker answered (with an error code): the cluster is reachable. False for
   * connection errors and timeouts.
   */
  answered: boolean;
}

/**
 * kafkajs error classes (`name`) and @platformatic/kafka error codes (`code`; its TimeoutError
 * carries the network one too) that mean no broker answered in time.
 */
const UNREACHABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
  'PLT_KFK_NETWORK',
  'PLT_KFK_TIMEOUT',
]);

/**
 * Sorts an error thrown by a produce call. Walks the clients' wrappers (`cause`, kafkajs'
 * `originalError` and `KafkaJSAggregateError.errors`, platformatic's `MultipleErrors.errors`, at
 * most 8 levels) for a Kafka error name (kafkajs `type`, platformatic `apiId`); a permanent name
 * wins over others found alongside it.
 */
export function classifyKafkaError(error: unknown): KafkaErrorVerdict {
  const names: string[] = [];
  let unreachable = false;
  const visit = (current: unknown, depth: number): void => {
    if (current === null || typeof current !== 'object' || depth > 8) return;
    const { type, apiId, name, code, message, cause, originalError, errors } = current as {
      type?: unknown;
      apiId?: unknown;
      name?: unknown;
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      originalError?: unknown;
      errors?: unknown;
    };
    if (typeof type === 'string' && /^[A-Z_]+$/.test(type)) names.push(type);
    if (typeof apiId === 'string' && /^[A-Z_]+$/.test(apiId)) names.push(apiId);
    if (typeof name === 'string' && UNREACHABLE.has(name)) unreachable = true;
    if (typeof code === 'string' && UNREACHABLE.has(code)) unreachable = true;
    // @platformatic/kafka answers a metadata UNKNOWN_TOPIC_OR_PARTITION with a UserError of its
    // own that keeps neither the code nor the broker's error (dist/clients/base/base.js, kMetadata)
    if (
      code === 'PLT_KFK_USER' &&
      typeof message === 'string' &&
      message.startsWith('Unknown topic ')
    ) {
      names.push('UNKNOWN_TOPIC_OR_PARTITION');
    }
    visit(cause, depth + 1);
    if (originalError !== cause) visit(originalError, depth + 1);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  const rank: Record<KafkaErrorKind, number> = { permanent: 2, producer: 1, retriable: 0 };
  let kind: KafkaErrorKind = 'retriable';
  let chosen: string | undefined;
  for (const found of names) {
    const foundKind = PRODUCE_ERRORS[found] ?? 'retriable';
    if (chosen === undefined || rank[foundKind] > rank[kind]) {
      kind = foundKind;
      chosen = found;
    }
  }
  return { kind, name: chosen, answered: chosen !== undefined && !unreachable };
}
