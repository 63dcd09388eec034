import { ROOM_CREATED_V1, normalizeRoomCreated, roomCreatedId } from '../events/room-created-v1';
import { createRoomSchema } from '../tencent/commands/create-room';
import type { Command } from './command';
import { afterCommand, byRoom } from './command';

/**
 * Every callback command the bridge turns into an event, one row each: the names Tencent sends →
 * the body's joi schema → the normalizer → the CloudEvents type → the Kafka key. The topic is
 * `kafka.topic`, or `kafka.topicByEntity[<entity of the type>]`. The receiver, the `command`
 * metric label, the README's command table and docs/events.md all read this list: adding a
 * command is its schema and normalizer files, a JSON Schema in schemas/, and one row here.
 * Command list: https://trtc.io/document/64413.
 */
export const COMMAND_TABLE: readonly Command[] = [
  afterCommand({
    commands: ['Live.CallbackAfterCreateRoom'],
    docUrl: 'https://trtc.io/document/64422',
    schema: createRoomSchema,
    normalize: normalizeRoomCreated,
    id: roomCreatedId,
    type: ROOM_CREATED_V1,
    keying: byRoom,
  }),
];

const BY_NAME: ReadonlyMap<string, Command> = new Map(
  COMMAND_TABLE.flatMap((command) => command.commands.map((name) => [name, command] as const)),
);

/** The row for a `CallbackCommand`, or undefined when the bridge has no event for it. */
export function commandFor(name: string): Command | undefined {
  return BY_NAME.get(name);
}

/** Every command name of the table, in table order (aliases after their row's first name). */
export const COMMAND_NAMES: readonly string[] = [...BY_NAME.keys()];

/** The entities of the table's event types, for `kafka.topicByEntity`. */
export const ENTITIES: readonly string[] = [
  ...new Set(COMMAND_TABLE.map((command) => command.entity)),
];

/** Before-callbacks by name, with the verdicts each can be configured to answer. */
export const BEFORE_COMMANDS: ReadonlyMap<string, Readonly<Record<string, number>>> = new Map(
  COMMAND_TABLE.flatMap((command) =>
    command.verdicts === undefined
      ? []
      : command.commands.map((name) => [name, command.verdicts!] as const),
  ),
);

/**
 * The value to use as the `command` metric label for a command taken from an untrusted query
 * string: the command itself when the table has it, `other` otherwise (`none` when absent), so
 * label sets stay bounded.
 */
export function commandLabel(command: string | undefined): string {
  if (command === undefined || command === '') return 'none';
  return BY_NAME.has(command) ? command : 'other';
}
