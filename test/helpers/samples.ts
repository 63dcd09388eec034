import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_TABLE } from '../../src/pipeline/command-table';

const FIXTURES = join(__dirname, '..', 'fixtures');

/**
 * The vendor's sample body of a command, as raw text (18-digit account numbers stay numbers
 * here; parse it with the bridge's parseJsonBody). Every row's first name has a file in
 * test/fixtures/commands/, except create-room, whose sample is test/fixtures/create-room.json
 * (the one the benchmark and `npm run dev` send). An alias (another spelling of a row's command)
 * gets its row's sample with its own `CallbackCommand`.
 */
export function sampleText(command: string): string {
  const row = COMMAND_TABLE.find((entry) => entry.commands.includes(command));
  if (row === undefined) throw new Error(`${command} is not in the command table`);
  const first = row.commands[0]!;
  const file =
    first === 'Live.CallbackAfterCreateRoom'
      ? join(FIXTURES, 'create-room.json')
      : join(FIXTURES, 'commands', `${first}.json`);
  const text = readFileSync(file, 'utf8');
  return command === first ? text : text.replace(`"${first}"`, `"${command}"`);
}

/** Every command name the table accepts, each with its sample. */
export const ALL_COMMANDS: readonly string[] = COMMAND_TABLE.flatMap((row) => row.commands);
