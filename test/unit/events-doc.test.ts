import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_TABLE } from '../../src/pipeline/command-table';
import { EVENTS_DOC, ROOT, renderEventsDoc } from '../../scripts/lib/events-doc';

describe('docs/events.md', () => {
  it('is what `npm run docs:events` makes of schemas/ and the command table (run it when this fails)', () => {
    expect(readFileSync(EVENTS_DOC, 'utf8')).toBe(renderEventsDoc());
  });

  it('covers every schema: each event type of the table has one, and each schema a row', () => {
    const schemas = readdirSync(join(ROOT, 'schemas'))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.replace(/\.json$/, ''))
      .sort();
    expect(schemas).toEqual(COMMAND_TABLE.map((command) => command.type).sort());
  });
});
