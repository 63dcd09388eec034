import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { envKeys } from '../../src/config/load';
import { createMetrics } from '../../src/metrics';
import { COMMAND_TABLE } from '../../src/pipeline/command-table';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DEFAULTS = JSON.parse(
  readFileSync(join(ROOT, 'config', 'default.json'), 'utf8'),
) as Parameters<typeof envKeys>[0];

/** The first cell of a Markdown table row, without its backticks. */
function rowKey(line: string): string | undefined {
  return /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1];
}

/** The README's configuration and metrics tables must keep up with the code. */
describe('README', () => {
  it.each(envKeys(DEFAULTS).map((key) => [key.path.join('.'), key.name]))(
    'documents config key %s with env %s and its current default',
    (path, name) => {
      const row = README.split('\n').find((line) => rowKey(line) === path);
      expect(row).toBeDefined();
      expect(row).toContain(`\`${name}\``);
      const value = path
        .split('.')
        .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], DEFAULTS);
      expect(row).toContain(`\`${JSON.stringify(value)}\``);
    },
  );

  it('documents every live_bridge_ metric', async () => {
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names.length).toBeGreaterThan(10);
    const documented = new Set(README.split('\n').map(rowKey));
    for (const name of names) expect(documented.has(name) ? name : `${name} (missing)`).toBe(name);
  });
});

/** The README's command table must list every command of the command table, in its order. */
describe('README command table', () => {
  it('has one row per command name: its event type and Kafka key, as the table has them', () => {
    const section = README.slice(README.indexOf('## Commands and events'));
    const rows = section
      .slice(0, section.indexOf('\n\n', section.indexOf('| command')))
      .split('\n')
      .filter((line) => /^\|\s*`/.test(line))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim().replace(/^`|`$/g, '')),
      );
    const expected = COMMAND_TABLE.flatMap((command) =>
      command.commands.map((name) => [name, command.type, command.keyDoc]),
    );
    expect(rows).toEqual(expected);
  });
});
