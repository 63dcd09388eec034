export { SpoolError, SpoolFullError, SpoolUnavailableError, isSpoolError } from './spool';
export type { Spool, SpooledMessage, SpoolRecord, SpoolStats, SpoolFullReason } from './spool';
export { createSqliteSpool } from './sqlite-spool';
export type { SqliteSpoolOptions } from './sqlite-spool';
export { createDrainer } from './drainer';
export type { Drainer, DrainerOptions } from './drainer';
