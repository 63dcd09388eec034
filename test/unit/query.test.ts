import { CallbackRejectedError } from '../../src/errors';
import { parse as parseQueryString } from 'node:querystring';
import { parseCallbackQuery } from '../../src/tencent/query';

// hapi parses `request.query` with Node's querystring, so the tests do too.
const parse = (query: string) => parseCallbackQuery(parseQueryString(query));

function codeOf(query: string): string | undefined {
  try {
    parse(query);
  } catch (error) {
    if (error instanceof CallbackRejectedError) return error.code;
    throw error;
  }
  return undefined;
}

describe('parseCallbackQuery', () => {
  it("reads every parameter of Tencent's URL", () => {
    expect(
      parse(
        'SdkAppid=1400000001&CallbackCommand=Live.CallbackAfterCreateRoom&contenttype=json' +
          '&ClientIP=127.0.0.1&OptPlatform=RESTAPI&Sign=abc&RequestTime=1669872112',
      ),
    ).toEqual({
      sdkAppId: '1400000001',
      command: 'Live.CallbackAfterCreateRoom',
      contentType: 'json',
      clientIp: '127.0.0.1',
      optPlatform: 'RESTAPI',
      sign: 'abc',
      requestTime: '1669872112',
    });
  });

  it('treats ClientIP, OptPlatform, Sign and RequestTime as optional', () => {
    const query = parse(
      'SdkAppid=1&CallbackCommand=Live.CallbackAfterChangeOwner&contenttype=json',
    );
    expect(query.clientIp).toBeUndefined();
    expect(query.optPlatform).toBeUndefined();
    expect(query.sign).toBeUndefined();
    expect(query.requestTime).toBeUndefined();
  });

  it('treats empty optional values as absent', () => {
    expect(parse('SdkAppid=1&CallbackCommand=A.B&ClientIP=&OptPlatform=').clientIp).toBeUndefined();
  });

  it('falls back to case-insensitive names (SdkAppId, callbackcommand)', () => {
    const query = parse('SdkAppId=42&callbackcommand=Live.CallbackAfterCreateRoom&SIGN=ff');
    expect(query.sdkAppId).toBe('42');
    expect(query.command).toBe('Live.CallbackAfterCreateRoom');
    expect(query.sign).toBe('ff');
  });

  it('prefers the exact documented name', () => {
    expect(parse('SdkAppid=1&sdkappid=2&CallbackCommand=A.B').sdkAppId).toBe('1');
  });

  it('tolerates a repeated parameter with the same value', () => {
    expect(parse('SdkAppid=1&SdkAppid=1&CallbackCommand=A.B').sdkAppId).toBe('1');
  });

  it.each([
    ['missing SdkAppid', 'CallbackCommand=A.B'],
    ['non-numeric SdkAppid', 'SdkAppid=abc&CallbackCommand=A.B'],
    ['missing CallbackCommand', 'SdkAppid=1'],
    ['malformed CallbackCommand', 'SdkAppid=1&CallbackCommand=not a command'],
    ['conflicting SdkAppid', 'SdkAppid=1&SdkAppid=2&CallbackCommand=A.B'],
    ['overlong parameter', `SdkAppid=1&CallbackCommand=A.B&ClientIP=${'x'.repeat(300)}`],
  ])('refuses %s with QUERY_INVALID', (_label, query) => {
    expect(codeOf(query)).toBe('QUERY_INVALID');
  });
});
