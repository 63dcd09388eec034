import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The package root: the nearest folder above this file with a package.json. The same answer
 * from `src/` (tsx, jest) and from `dist/src/` (the built service and CLI, the image), so shipped
 * folders (`schemas/`, `fixtures/`) are found from either.
 */
export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}
