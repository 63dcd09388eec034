import Joi from 'joi';
import { COMMAND_TABLE } from '../../src/pipeline/command-table';
import { parseJsonBody } from '../../src/tencent/json';
import { compilePlainCheck, createValidator } from '../../src/tencent/commands/validator';
import { sampleText } from '../helpers/samples';
import type { Random } from '../helpers/random';
import { seededRandom } from '../helpers/random';
import { expectLikeJoi } from '../helpers/like-joi';

/**
 * The fast path derived from each command's joi schema may be narrower than joi, never wider:
 * a body it calls plain is one joi accepts without changing anything. Checked on bodies generated
 * from each schema's own description with valid, edge and wrong values, joi as the oracle.
 */

interface Node {
  type?: string;
  flags?: Record<string, unknown>;
  rules?: { name: string; args?: { limit?: number } }[];
  allow?: unknown[];
  keys?: Record<string, Node>;
  items?: Node[];
  matches?: { schema: Node }[];
}

const limit = (node: Node, name: string): number | undefined =>
  node.rules?.find((rule) => rule.name === name)?.args?.limit;

const WRONG: unknown[] = [null, true, 'x', 42, -0, 1.5, {}, [], '17', ''];

function generate(node: Node, random: Random, wrong: number, depth = 0): unknown {
  // the body itself is always an object (the JSON parser refuses anything else)
  if (depth > 0 && random.next() < wrong) return random.pick(WRONG);
  switch (node.type) {
    case 'string': {
      const max = limit(node, 'max') ?? 64;
      return random.pick([
        'x',
        'room-1',
        'é中🙂',
        'a'.repeat(Math.min(max, 300)),
        'a'.repeat(max),
        ...(random.next() < wrong * 3 ? ['', 'a'.repeat(max + 1), ' 12 ', 12, null] : []),
      ]);
    }
    case 'number': {
      const min = limit(node, 'min') ?? -1000;
      const max = limit(node, 'max') ?? Number.MAX_SAFE_INTEGER;
      const inside = [min, max, Math.floor((min + max) / 2), Math.min(max, min + 17)];
      const edges = [min - 1, max + 1, -0, 1.5, String(max), ' 17 ', '1e3', 'abc', 2 ** 53 + 2];
      return random.pick<unknown>(random.next() < wrong * 3 ? edges : inside);
    }
    case 'boolean':
      return random.pick<unknown>(
        random.next() < wrong * 3 ? ['true', 'false', 1, 0, 'yes'] : [true, false],
      );
    case 'alternatives':
      return generate(random.pick(node.matches!).schema, random, wrong, depth);
    case 'array': {
      if (depth > 3) return [];
      const item = node.items?.[0];
      return Array.from({ length: random.int(0, 3) }, () =>
        item ? generate(item, random, wrong, depth + 1) : random.pick(WRONG),
      );
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node.keys ?? {})) {
        const required = child.flags?.presence === 'required';
        if (random.next() < (required ? wrong : 0.2)) continue;
        out[key] = generate(child, random, wrong, depth + 1);
      }
      if (random.bool(0.3))
        out[`Extra${random.int(0, 9)}`] = random.pick([1, 'x', null, { a: [1] }]);
      return out;
    }
    default:
      return random.pick([1, 'x', null, { a: 1 }]);
  }
}

describe.each(COMMAND_TABLE.map((row) => [row.commands[0]!, row] as const))(
  '%s: the plain check derived from its schema',
  (name, row) => {
    it('accepts only bodies joi accepts unchanged; the validator answers exactly like joi', () => {
      const random = seededRandom(name.length * 7919);
      const description = row.schema.describe() as Node;
      const { fast, refused, converted } = expectLikeJoi({
        schema: row.schema,
        plain: compilePlainCheck(row.schema),
        validate: row.validate,
        generate: () => {
          const wrong = random.pick([0, 0, 0.03, 0.2]);
          const body = generate(description, random, wrong) as Record<string, unknown>;
          body.CallbackCommand = name;
          return body;
        },
        count: 3000,
      });
      // the generator reaches all three kinds, so the assertions above are exercised
      expect(fast).toBeGreaterThan(500);
      expect(refused).toBeGreaterThan(100);
      expect(converted).toBeGreaterThan(20);
    });

    it('takes the fast path for the vendor sample, unless it sends a number as a string', () => {
      const parsed = parseJsonBody(Buffer.from(sampleText(name)));
      // the room-message samples send EventTime as a string: joi converts it
      expect(compilePlainCheck(row.schema)(parsed)).toBe(!name.startsWith('Group.'));
    });
  },
);

describe('compilePlainCheck on its own', () => {
  it('knows that joi converts a numeric string for an earlier number alternative', () => {
    const check = compilePlainCheck(Joi.alternatives().try(Joi.number(), Joi.string()));
    expect(check('12')).toBe(false);
    expect(Joi.alternatives().try(Joi.number(), Joi.string()).validate('12').value).toBe(12);
    expect(check('abc')).toBe(false); // joi tries the number first: not provably plain
    expect(check(12)).toBe(true);
    const stringFirst = compilePlainCheck(Joi.alternatives().try(Joi.string(), Joi.number()));
    expect(stringFirst('12')).toBe(true);
    expect(stringFirst(12)).toBe(true);
  });

  it('answers false for what it does not understand', () => {
    expect(compilePlainCheck(Joi.string().pattern(/^a/))('abc')).toBe(false);
    expect(compilePlainCheck(Joi.object().pattern(Joi.string(), Joi.number()))({ a: 1 })).toBe(
      false,
    );
    expect(compilePlainCheck(Joi.number().default(3))(1)).toBe(false);
    expect(compilePlainCheck(Joi.string().invalid('x'))('y')).toBe(false);
    expect(compilePlainCheck(Joi.string().trim())('a')).toBe(false);
    expect(compilePlainCheck(Joi.number().precision(2))(1.5)).toBe(false);
  });

  it('follows valid, allow, lengths, -0, unsafe numbers and required keys', () => {
    expect(compilePlainCheck(Joi.string().valid('a', 'b'))('a')).toBe(true);
    expect(compilePlainCheck(Joi.string().valid('a', 'b'))('c')).toBe(false);
    expect(compilePlainCheck(Joi.number().allow(null))(null)).toBe(true);
    expect(compilePlainCheck(Joi.string())('')).toBe(false);
    expect(compilePlainCheck(Joi.string().allow(''))('')).toBe(true);
    expect(compilePlainCheck(Joi.string().max(2))('abc')).toBe(false);
    expect(compilePlainCheck(Joi.number())(-0)).toBe(false);
    expect(compilePlainCheck(Joi.number())(2 ** 53)).toBe(false);
    expect(compilePlainCheck(Joi.number().greater(1))(1)).toBe(false);
    const object = compilePlainCheck(Joi.object({ a: Joi.string().required() }));
    expect(object({ a: 'x' })).toBe(true);
    expect(object({})).toBe(false);
    expect(object({ a: 'x', b: 1 })).toBe(false); // unknown keys refused by this schema
    expect(compilePlainCheck(Joi.object({ a: Joi.string() }).unknown(true))({ b: 1 })).toBe(true);
  });

  it('createValidator returns the very object it was given on the fast path', () => {
    const validate = createValidator(Joi.object({ a: Joi.number() }));
    const body = { a: 1 };
    expect(validate(body).value).toBe(body);
    expect(validate({ a: '1' }).value).toEqual({ a: 1 });
    expect(validate({ a: 'x' }).error).toBe('"a" must be a number');
  });
});
