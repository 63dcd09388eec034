import {
  MultipleErrors,
  NetworkError,
  ResponseError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import { PRODUCE_ERRORS, classifyKafkaError } from '../../src/kafka/kafka-errors';

/** kafkajs' error shapes, built the way kafkajs builds them (name, type, cause/originalError). */
function protocolError(type: string): Error {
  return Object.assign(new Error(`broker said ${type}`), { name: 'KafkaJSProtocolError', type });
}
function wrapped(name: string, inner: unknown): Error {
  return Object.assign(new Error('wrapped'), { name, cause: inner, originalError: inner });
}

describe('the table of Kafka produce errors', () => {
  it.each([
    'MESSAGE_TOO_LARGE',
    'RECORD_LIST_TOO_LARGE',
    'INVALID_RECORD',
    'POLICY_VIOLATION',
    'TOPIC_AUTHORIZATION_FAILED',
    'INVALID_TIMESTAMP',
  ])('%s refuses the record for good', (type) => {
    expect(classifyKafkaError(protocolError(type))).toEqual({
      kind: 'permanent',
      name: type,
      answered: true,
    });
  });

  it.each([
    'UNKNOWN_TOPIC_OR_PARTITION',
    'LEADER_NOT_AVAILABLE',
    'NOT_LEADER_OR_FOLLOWER',
    'REQUEST_TIMED_OUT',
    'NOT_ENOUGH_REPLICAS',
    'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  ])('%s may pass: retried, and the cluster answered', (type) => {
    expect(classifyKafkaError(protocolError(type))).toEqual({
      kind: 'retriable',
      name: type,
      answered: true,
    });
  });

  it.each(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH'])(
    '%s needs a new producer id',
    (type) => {
      expect(classifyKafkaError(protocolError(type)).kind).toBe('producer');
    },
  );

  it('an error name it does not know is retriable: nothing is dropped on a guess', () => {
    expect(classifyKafkaError(protocolError('SOMETHING_NEW'))).toMatchObject({
      kind: 'retriable',
      name: 'SOMETHING_NEW',
    });
    expect(PRODUCE_ERRORS.SOMETHING_NEW).toBeUndefined();
  });

  it("finds the broker's answer inside kafkajs' retry wrappers and aggregates", () => {
    const inner = protocolError('MESSAGE_TOO_LARGE');
    const retried = wrapped('KafkaJSNumberOfRetriesExceeded', inner);
    expect(classifyKafkaError(retried)).toMatchObject({ kind: 'permanent', answered: true });
    const aggregate = Object.assign(new Error('several'), {
      name: 'KafkaJSAggregateError',
      errors: [protocolError('NOT_LEADER_OR_FOLLOWER'), protocolError('POLICY_VIOLATION')],
    });
    // A permanent refusal wins over a retriable one found alongside it.
    expect(classifyKafkaError(aggregate)).toMatchObject({
      kind: 'permanent',
      name: 'POLICY_VIOLATION',
    });
  });

  it('connection errors and timeouts are retriable and mean the cluster did not answer', () => {
    const refused = wrapped(
      'KafkaJSNumberOfRetriesExceeded',
      Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' }),
    );
    expect(classifyKafkaError(refused)).toEqual({
      kind: 'retriable',
      name: undefined,
      answered: false,
    });
    expect(
      classifyKafkaError(Object.assign(new Error('t'), { name: 'KafkaJSRequestTimeoutError' })),
    ).toMatchObject({ kind: 'retriable', answered: false });
    expect(classifyKafkaError('not even an error')).toMatchObject({ kind: 'retriable' });
  });

  it('a cyclic cause chain ends', () => {
    const a: { name: string; cause?: unknown } = { name: 'KafkaJSError' };
    a.cause = a;
    expect(classifyKafkaError(a).kind).toBe('retriable');
  });
});

describe("@platformatic/kafka's error shapes (its own classes)", () => {
  /** A Produce (API key 0, v9) response naming `code` for one partition, as the client builds it. */
  const produceResponse = (code: number): ResponseError =>
    new ResponseError(0, 9, { '/responses/0/partitionResponses/0': [code, null] }, {});

  it('reads the Kafka error name (apiId) inside its response and retry wrappers', () => {
    // 10 = MESSAGE_TOO_LARGE
    expect(classifyKafkaError(produceResponse(10))).toEqual({
      kind: 'permanent',
      name: 'MESSAGE_TOO_LARGE',
      answered: true,
    });
    // 19 = NOT_ENOUGH_REPLICAS, after retries
    const retried = new MultipleErrors('produce failed 3 times.', [
      produceResponse(19),
      produceResponse(19),
    ]);
    expect(classifyKafkaError(retried)).toEqual({
      kind: 'retriable',
      name: 'NOT_ENOUGH_REPLICAS',
      answered: true,
    });
    // 45 = OUT_OF_ORDER_SEQUENCE_NUMBER, 59 = UNKNOWN_PRODUCER_ID
    expect(classifyKafkaError(produceResponse(45))).toMatchObject({
      kind: 'producer',
      name: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    });
    expect(classifyKafkaError(produceResponse(59)).kind).toBe('producer');
  });

  it('its "Unknown topic" (a metadata UNKNOWN_TOPIC_OR_PARTITION) is retriable and answered', () => {
    const missing = new MultipleErrors('Producing messages failed.', [
      new UserError('Unknown topic events.'),
    ]);
    expect(classifyKafkaError(missing)).toEqual({
      kind: 'retriable',
      name: 'UNKNOWN_TOPIC_OR_PARTITION',
      answered: true,
    });
    expect(classifyKafkaError(new UserError('Client is closed.'))).toMatchObject({
      name: undefined,
    });
  });

  it('network errors and timeouts are retriable and mean the cluster did not answer', () => {
    const refused = new MultipleErrors('Cannot connect to any broker.', [
      new NetworkError('Connection to 127.0.0.1:1 failed.', {
        cause: new Error('connect ECONNREFUSED'),
      }),
    ]);
    expect(classifyKafkaError(refused)).toEqual({
      kind: 'retriable',
      name: undefined,
      answered: false,
    });
    expect(classifyKafkaError(new TimeoutError('Request timed out.'))).toMatchObject({
      kind: 'retriable',
      answered: false,
    });
  });
});
