import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { breakingChanges } from '../helpers/schema-compat';

/**
 * A published v1 schema only grows by optional additions. test/fixtures/published-schemas/ holds
 * each v1 schema as published; schemas/ must stay an additive change of it. A new v1 type is
 * published by copying its schema there; after an additive change ships, copy it again so later
 * changes are checked against it. A breaking change is a new `.v2` type, never an edit.
 */

const ROOT = join(__dirname, '..', '..');
const CURRENT = join(ROOT, 'schemas');
const PUBLISHED = join(ROOT, 'test', 'fixtures', 'published-schemas');

type Json = Parameters<typeof breakingChanges>[0];

/** A JSON Schema to break on purpose. */
interface Node {
  [keyword: string]: unknown;
  properties: Record<string, Node>;
  required: string[];
  enum: string[];
}

/** A property's schema, which must exist. */
function p(schema: Node, name: string): Node {
  const property = schema.properties[name];
  if (property === undefined) throw new Error(`no property ${name}`);
  return property;
}
const read = (dir: string, file: string) =>
  JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json;
const v1 = (dir: string) =>
  readdirSync(dir)
    .filter((file) => /\.v1\.json$/.test(file))
    .sort();

describe('published v1 schemas', () => {
  it('every v1 schema is published, and every published one still exists', () => {
    expect(v1(CURRENT)).toEqual(v1(PUBLISHED));
  });

  it.each(v1(PUBLISHED))('%s changed only by additions', (file) => {
    expect(breakingChanges(read(PUBLISHED, file), read(CURRENT, file))).toEqual([]);
  });
});

describe('breakingChanges', () => {
  const published = read(PUBLISHED, 'com.tencentcloud.live.room.destroyed.v1.json');
  /** A copy of the published schema with one change made to it. */
  const changed = (edit: (schema: Node) => void): Json => {
    const copy = structuredClone(published) as unknown as Node;
    edit(copy);
    return copy as unknown as Json;
  };

  it('finds nothing in the same schema', () => {
    expect(breakingChanges(published, structuredClone(published))).toEqual([]);
  });

  it.each<[string, (schema: Node) => void, string]>([
    ['a removed property', (s) => delete s.properties.roomName, '/properties/roomName: removed'],
    [
      'a renamed property',
      (s) => {
        s.properties.name = p(s, 'roomName');
        delete s.properties.roomName;
      },
      '/properties/roomName: removed',
    ],
    [
      'a changed type',
      (s) => (p(s, 'maxMemberCount').type = ['string', 'null']),
      '/properties/maxMemberCount/type: ["integer","null"] became ["string","null"]',
    ],
    [
      'a type made nullable',
      (s) => (p(s, 'roomId').type = ['string', 'null']),
      '/properties/roomId/type: "string" became ["string","null"]',
    ],
    [
      'a new required field',
      (s) => {
        s.properties.region = { type: 'string' } as unknown as Node;
        s.required.push('region');
      },
      '/required: "region" became required',
    ],
    [
      'a tightened enum',
      (s) => (p(s, 'eventTimeSource').enum = ['EventTime', 'receivedAt']),
      '/properties/eventTimeSource/enum: "RoomInfo.EventTime" removed',
    ],
    [
      'a removed nested property',
      (s) => delete p(s, 'statistic').properties.totalViewers,
      '/properties/statistic/properties/totalViewers: removed',
    ],
    [
      'a new format',
      (s) => (p(s, 'coverUrl').format = 'uri'),
      '/properties/coverUrl/format: absent became "uri"',
    ],
    [
      'a tighter bound',
      (s) => (p(s, 'maxSeatCount').minimum = 1),
      '/properties/maxSeatCount/minimum: 0 became 1',
    ],
    [
      'closed items of a list',
      (s) => (p(s, 'category').items = { type: 'integer', maximum: 10 }),
      '/properties/category/items/maximum: absent became 10',
    ],
  ])('fails %s', (_label, edit, problem) => {
    expect(breakingChanges(published, changed(edit))).toContain(problem);
  });

  it('allows a new optional property, a new enum value and new descriptions', () => {
    const grown = changed((s) => {
      s.properties.region = {
        description: 'new, optional',
        type: ['string', 'null'],
      } as unknown as Node;
      p(s, 'eventTimeSource').enum.push('RoomInfo.CreateTime');
      p(s, 'roomName').description = 'Reworded.';
      s.description = 'Reworded too.';
    });
    expect(breakingChanges(published, grown)).toEqual([]);
  });
});
