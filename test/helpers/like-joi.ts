import type Joi from 'joi';
import type { PlainCheck, Validation } from '../../src/tencent/commands/validator';

/**
 * Sends `count` generated bodies through joi (the oracle), the plain-body check and the validator,
 * and asserts that every body the check calls plain is one joi accepts unchanged, and that the
 * validator answers exactly like joi (same value, or joi's first message). Returns how many bodies
 * took each way, so the caller can require that the generator reached all three.
 */
export function expectLikeJoi(options: {
  schema: Joi.Schema;
  plain: PlainCheck;
  validate: (body: object) => Validation<unknown>;
  generate: () => Record<string, unknown>;
  count: number;
}): { fast: number; refused: number; converted: number } {
  const counts = { fast: 0, refused: 0, converted: 0 };
  for (let i = 0; i < options.count; i++) {
    const body = options.generate();
    const expected = options.schema.validate(structuredClone(body), {
      abortEarly: true,
      convert: true,
    });
    const got = options.validate(structuredClone(body));
    const plain = options.plain(structuredClone(body));
    if (plain) {
      counts.fast++;
      expect({ body, error: expected.error?.message }).toEqual({ body, error: undefined });
      expect(expected.value).toEqual(body);
    }
    if (expected.error) {
      counts.refused++;
      expect({ body, error: got.error }).toEqual({
        body,
        error: expected.error.details[0]?.message,
      });
    } else {
      if (!plain) counts.converted++;
      expect({ body, value: got.value }).toEqual({ body, value: expected.value as unknown });
    }
  }
  return counts;
}
