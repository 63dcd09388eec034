import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A new empty folder for a test's throw-away files (spools, certificates, broker data), inside
 * the jest run's own temporary folder, which the global teardown deletes with everything in it
 * (kafka-global-setup.ts). Outside jest, in the system's temporary folder.
 */
export function testTempDir(prefix: string): string {
  return mkdtempSync(join(process.env.BRIDGE_TEST_TMP ?? tmpdir(), prefix));
}
