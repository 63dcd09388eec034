import { COMMAND_TABLE } from '../../src/pipeline/command-table';

/**
 * The vendor's sample body of a command, as raw text: every row's first name has a file in
 * fixtures/commands/ (shipped with the CLI's `send`). See `src/tencent/samples.ts`.
 */
export { sampleText } from '../../src/tencent/samples';

/** Every command name the table accepts, each with its sample. */
export const ALL_COMMANDS: readonly string[] = COMMAND_TABLE.flatMap((row) => row.commands);
