import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root';
import { COMMAND_TABLE } from '../pipeline/command-table';

/** Where the vendor's sample bodies live: `fixtures/commands/<first command name>.json`. */
export const SAMPLES_DIR = join(packageRoot(), 'fixtures', 'commands');

/**
 * A short, stable name per command for people typing it (`send create-room`): the command name
 * without its family prefix and `Callback`/`After`, in kebab case (`Live.CallbackAfterCreateRoom`
 * → `create-room`, `Group.CallbackBeforeSendMsg` → `before-send-msg`). Before-callbacks keep
 * `before-` so that `send-msg` (after) and `before-send-msg` differ.
 */
export function sampleName(command: string): string {
  const short = command.replace(/^[A-Za-z]+\.Callback/, '').replace(/^After/, '');
  return short.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Every command's short name → its row's first (documented) command name, in table order. */
export const SAMPLE_NAMES: ReadonlyMap<string, string> = new Map(
  COMMAND_TABLE.map((row) => [sampleName(row.commands[0]!), row.commands[0]!] as const),
);

/**
 * The vendor's sample body of a command as raw text (large account numbers stay numbers: parse
 * it with `parseJsonBody`). Accepts any command name of the table, aliases included (an alias
 * gets its row's sample with its own `CallbackCommand`), or a short name from {@link SAMPLE_NAMES}.
 * @throws Error when the table has no such command.
 */
export function sampleText(command: string): string {
  const name = SAMPLE_NAMES.get(command) ?? command;
  const row = COMMAND_TABLE.find((entry) => entry.commands.includes(name));
  if (row === undefined) throw new Error(`${command} is not a command of the command table`);
  const first = row.commands[0]!;
  const text = readFileSync(join(SAMPLES_DIR, `${first}.json`), 'utf8');
  return name === first ? text : text.replace(`"${first}"`, `"${name}"`);
}
