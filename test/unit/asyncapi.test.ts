import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse } from 'yaml';
import { ASYNCAPI_DOC, ROOT, componentName, renderAsyncApi } from '../../scripts/lib/asyncapi';
import { COMMAND_TABLE } from '../../src/pipeline/command-table';

const text = readFileSync(ASYNCAPI_DOC, 'utf8');
/** Spectral's severities: 0 error, 1 warning, 2 information, 3 hint. */
const WARNING = 1;

/** Every keyword a schema in schemas/ uses at a schema position (not property names). */
function keywords(schema: Record<string, unknown>, into = new Set<string>()): Set<string> {
  for (const [key, value] of Object.entries(schema)) {
    into.add(key);
    if (key === 'properties') {
      for (const child of Object.values(value as Record<string, Record<string, unknown>>)) {
        keywords(child, into);
      }
    } else if (key === 'items' || key === 'additionalProperties') {
      if (typeof value === 'object' && value !== null)
        keywords(value as Record<string, unknown>, into);
    } else if (['oneOf', 'anyOf', 'allOf'].includes(key)) {
      for (const child of value as Record<string, unknown>[]) keywords(child, into);
    }
  }
  return into;
}

describe('docs/asyncapi.yaml', () => {
  it('is what `npm run docs:asyncapi` makes of the command table and schemas/ (run it when this fails)', () => {
    expect(text).toBe(renderAsyncApi());
  });

  it('is a valid AsyncAPI 3.0 document for @asyncapi/parser, without errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    const problems = diagnostics
      .filter((d) => Number(d.severity) <= WARNING)
      .map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`);
    expect(problems).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    const channel = document!.channels().get('events')!;
    expect(channel.address()).toBe('tencent-live-events');
    const names = channel
      .messages()
      .all()
      .map((message) => message.name());
    expect(names).toEqual(COMMAND_TABLE.map((command) => command.type));
  });

  it('carries every schema of schemas/ unchanged (but for $schema), with its key and headers', () => {
    const doc = parse(text) as {
      components: {
        schemas: Record<string, Record<string, unknown>>;
        messages: Record<
          string,
          {
            headers: { properties: Record<string, { const?: string }> };
            bindings: { kafka: { key: { description: string } } };
          }
        >;
      };
    };
    const files = readdirSync(join(ROOT, 'schemas')).filter((file) => file.endsWith('.json'));
    expect(files).toHaveLength(COMMAND_TABLE.length);
    for (const command of COMMAND_TABLE) {
      const name = componentName(command.type);
      const { $schema, ...schema } = JSON.parse(
        readFileSync(join(ROOT, 'schemas', `${command.type}.json`), 'utf8'),
      ) as Record<string, unknown>;
      expect($schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(doc.components.schemas[name]).toEqual(schema);
      const message = doc.components.messages[name]!;
      expect(message.headers.properties.ce_type!.const).toBe(command.type);
      expect(message.bindings.kafka.key.description).toContain(command.keyDoc);
    }
  });

  it('labels the schemas draft-07 truthfully: they use no keyword that 2020-12 added or changed', () => {
    const changed = [
      '$defs',
      'prefixItems',
      'unevaluatedProperties',
      'unevaluatedItems',
      'dependentRequired',
      'dependentSchemas',
      '$anchor',
      '$dynamicRef',
      'dependencies',
      'definitions',
    ];
    for (const file of readdirSync(join(ROOT, 'schemas'))) {
      const used = keywords(
        JSON.parse(readFileSync(join(ROOT, 'schemas', file), 'utf8')) as Record<string, unknown>,
      );
      expect({ file, used: changed.filter((keyword) => used.has(keyword)) }).toEqual({
        file,
        used: [],
      });
    }
  });
});
