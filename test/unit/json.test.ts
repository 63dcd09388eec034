import { CallbackRejectedError } from '../../src/errors';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseJsonBody } from '../../src/tencent/json';

const parse = (text: string | Buffer) =>
  parseJsonBody(typeof text === 'string' ? Buffer.from(text) : text);

function rejection(text: string | Buffer): CallbackRejectedError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof CallbackRejectedError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parseJsonBody', () => {
  it('keeps 18-digit account ids exact, as strings', () => {
    const body = parse(
      '{"RoomInfo":{"Owner_Account":144115216631667826},"MemberList":[{"Member_Account":144115233775727695}]}',
    );
    expect(body).toEqual({
      RoomInfo: { Owner_Account: '144115216631667826' },
      MemberList: [{ Member_Account: '144115233775727695' }],
    });
  });

  it('keeps safe integers as numbers on the careful path', () => {
    expect(parse('{"a":9007199254740991,"b":1703589922780,"c":"144115216631667826"}')).toEqual({
      a: 9007199254740991,
      b: 1703589922780,
      c: '144115216631667826',
    });
  });

  it('keeps a negative 19-digit integer exact', () => {
    expect(parse('{"a":-1234567890123456789}')).toEqual({ a: '-1234567890123456789' });
  });

  it('parses ordinary bodies unchanged', () => {
    expect(parse('{"a":1.5,"b":[true,null],"c":"x"}')).toEqual({ a: 1.5, b: [true, null], c: 'x' });
  });

  it.each([
    ['a __proto__ key', '{"a":1,"__proto__":{"admin":true}}'],
    ['a nested __proto__ key', '{"RoomInfo":{"__proto__":{"x":1}}}'],
    ['an escaped __proto__ key', '{"\\u005f_proto__":{"admin":true}}'],
    ['constructor.prototype', '{"constructor":{"prototype":{"admin":true}}}'],
  ])('refuses %s (prototype poisoning)', (_label, text) => {
    const error = rejection(text);
    expect(error.code).toBe('JSON_INVALID');
    expect(error.message).toMatch(/not allowed/);
  });

  it('allows a harmless "constructor" key', () => {
    expect(parse('{"constructor":"x"}')).toEqual({ constructor: 'x' });
  });

  it.each([
    ['truncated JSON', '{"a":'],
    ['an array', '[1,2]'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['a number out of range', '{"a":1e400}'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
  ])('refuses %s with JSON_INVALID', (_label, text) => {
    expect(rejection(text).code).toBe('JSON_INVALID');
  });

  it('does not echo the body in its message', () => {
    expect(rejection('{"secret-looking":').message).toBe('body is not valid JSON');
  });
});

describe('nestsDeeperThan', () => {
  it('counts nesting of objects and arrays, not brackets inside strings', () => {
    expect(nestsDeeperThan('{"a":[[1]]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":[[[1]]]}', 3)).toBe(true);
    expect(nestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 3)).toBe(false);
    expect(nestsDeeperThan(`{"a":"\\"${'['.repeat(100)}"}`, 3)).toBe(false);
    expect(nestsDeeperThan('[{}, {}, [], [], {"a":{}}]', 3)).toBe(false);
  });

  it('answers for invalid text too (never throws, no recursion)', () => {
    expect(nestsDeeperThan('['.repeat(1_000_000), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan(']]]]{{', MAX_JSON_DEPTH)).toBe(false);
  });

  it('parseJsonBody refuses nesting past MAX_JSON_DEPTH with JSON_TOO_DEEP', () => {
    const at = `{"a":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    expect(() => parse(at)).not.toThrow();
    const over = `{"a":${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`;
    expect(rejection(over).code).toBe('JSON_TOO_DEEP');
  });
});
