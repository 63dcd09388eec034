export {
  SpoolError,
  SpoolFullError,
  SpoolUnavailableError,
  inThreadSpool,
  isSpoolError,
  isSpoolHeld,
} from './spool';
export type {
  DeadLetterMark,
  DeadLetterMessage,
  DeadLetterRecord,
  Spool,
  SpooledMessage,
  SpoolRecord,
  SpoolStats,
  SpoolFullReason,
  SyncSpool,
} from './spool';
export { createSqliteSpool, volumeFreeBytes } from './sqlite-spool';
export type { SqliteSpoolOptions } from './sqlite-spool';
export { createDrainer } from './drainer';
export type { Drainer, DrainerOptions } from './drainer';
export { createWorkerSpool } from './worker-spool';
