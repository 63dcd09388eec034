import { CallbackRejectedError } from '../../src/errors';
import { computeSign, expectedSigns, verifySignature } from '../../src/tencent/signature';

const NOW_S = 1_700_000_000;

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof CallbackRejectedError) return error.code;
    throw error;
  }
  return undefined;
}

function check(requestTime: string, sign: string, tokens = ['tok'], nowMs = NOW_S * 1000) {
  return () => verifySignature({ tokens, sign, requestTime, nowMs, windowSeconds: 60 });
}

describe('computeSign', () => {
  it("matches Tencent's known-answer vector", () => {
    expect(computeSign('xxxxyyyy', '1669872112')).toBe(
      '17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061',
    );
  });
});

describe('verifySignature', () => {
  it('accepts the vendor vector at its own time', () => {
    const sign = '17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061';
    expect(codeOf(check('1669872112', sign, ['xxxxyyyy'], 1669872112_000))).toBeUndefined();
  });

  it('accepts an upper-case hex Sign', () => {
    const sign = computeSign('tok', String(NOW_S)).toUpperCase();
    expect(codeOf(check(String(NOW_S), sign))).toBeUndefined();
  });

  it.each([
    ['60 s in the past', -60, undefined],
    ['60 s in the future', 60, undefined],
    ['61 s in the past', -61, 'SIGNATURE_EXPIRED'],
    ['61 s in the future', 61, 'SIGNATURE_EXPIRED'],
  ])('window edge: RequestTime %s', (_label, offset, expected) => {
    const requestTime = String(NOW_S + offset);
    expect(codeOf(check(requestTime, computeSign('tok', requestTime)))).toBe(expected);
  });

  it('compares whole seconds: 60.999 s late is still inside the window', () => {
    const requestTime = String(NOW_S - 60);
    const nowMs = NOW_S * 1000 + 999;
    expect(codeOf(check(requestTime, computeSign('tok', requestTime), ['tok'], nowMs))).toBe(
      undefined,
    );
  });

  it('honours a configured window', () => {
    const requestTime = String(NOW_S - 100);
    const sign = computeSign('tok', requestTime);
    const verify = (windowSeconds: number) => () =>
      verifySignature({ tokens: ['tok'], sign, requestTime, nowMs: NOW_S * 1000, windowSeconds });
    expect(codeOf(verify(120))).toBeUndefined();
    expect(codeOf(verify(99))).toBe('SIGNATURE_EXPIRED');
  });

  it('accepts previous tokens during a rotation and refuses unknown ones', () => {
    const requestTime = String(NOW_S);
    const tokens = ['new-token', 'old-token'];
    expect(codeOf(check(requestTime, computeSign('new-token', requestTime), tokens))).toBe(
      undefined,
    );
    expect(codeOf(check(requestTime, computeSign('old-token', requestTime), tokens))).toBe(
      undefined,
    );
    expect(codeOf(check(requestTime, computeSign('older-token', requestTime), tokens))).toBe(
      'SIGNATURE_MISMATCH',
    );
  });

  it('refuses a Sign computed for another RequestTime', () => {
    const sign = computeSign('tok', String(NOW_S - 1));
    expect(codeOf(check(String(NOW_S), sign))).toBe('SIGNATURE_MISMATCH');
  });

  it.each([
    ['missing Sign', undefined, String(NOW_S), 'SIGNATURE_MISSING'],
    ['missing RequestTime', 'a'.repeat(64), undefined, 'SIGNATURE_MISSING'],
    ['short Sign', 'abc', String(NOW_S), 'SIGNATURE_MALFORMED'],
    ['non-hex Sign', 'z'.repeat(64), String(NOW_S), 'SIGNATURE_MALFORMED'],
    ['RequestTime in ms', 'a'.repeat(64), `${NOW_S}000x`, 'SIGNATURE_MALFORMED'],
    ['negative RequestTime', 'a'.repeat(64), '-5', 'SIGNATURE_MALFORMED'],
  ])('%s', (_label, sign, requestTime, expected) => {
    const verify = () =>
      verifySignature({
        tokens: ['tok'],
        sign,
        requestTime,
        nowMs: NOW_S * 1000,
        windowSeconds: 60,
      });
    expect(codeOf(verify)).toBe(expected);
  });
});

describe('expectedSigns (digests kept per RequestTime)', () => {
  it('gives the same verdicts as hashing every time, across tokens, times and wrong signs', () => {
    const tokens = ['new-token', 'old-token'];
    const expected = expectedSigns(tokens);
    for (let offset = -70; offset <= 70; offset += 7) {
      for (const requestTime of [String(NOW_S + offset), String(NOW_S + offset + 1)]) {
        for (const signer of ['new-token', 'old-token', 'stranger']) {
          const sign = computeSign(signer, requestTime);
          const run = (withCache: boolean) => () =>
            verifySignature({
              tokens,
              sign,
              requestTime,
              nowMs: NOW_S * 1000,
              windowSeconds: 60,
              ...(withCache ? { expected } : {}),
            });
          // twice with the table: the second answer comes from the kept digests
          expect([codeOf(run(true)), codeOf(run(true))]).toEqual([
            codeOf(run(false)),
            codeOf(run(false)),
          ]);
        }
      }
    }
  });

  it('keeps one digest per token per time and stays bounded', () => {
    const expected = expectedSigns(['a', 'b']);
    const first = expected('1700000000');
    expect(first).toHaveLength(2);
    expect(first[1]!.toString('hex')).toBe(computeSign('b', '1700000000'));
    expect(expected('1700000000')).toBe(first);
    for (let t = 0; t < 2000; t++) expected(String(t));
    expect(expected('1700000000')).not.toBe(first); // emptied on the way, computed again
    expect(expected('1700000000')[0]!.toString('hex')).toBe(computeSign('a', '1700000000'));
  });
});
