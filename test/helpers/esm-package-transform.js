/**
 * jest transform for the ES-module-only packages in node_modules (@platformatic/kafka and its
 * @platformatic/* dependencies). Node loads them with require() (Node >= 22.12), but jest's own
 * module loader does not, so jest gets them compiled to CommonJS by swc:
 * - `const require = createRequire(import.meta.url);` is dropped: the CommonJS `require` does the
 *   same, and a module-level `require` would clash with the one jest passes in;
 * - any other `import.meta.url` (reading a file next to the module) becomes `__filename`'s URL.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads transforms as CommonJS
const { transformSync } = require('@swc/core');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
const { createHash } = require('node:crypto');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
const { readFileSync } = require('node:fs');

/** Changes with this file, so jest's cache never serves what an older version of it produced. */
const SELF = createHash('sha256').update(readFileSync(__filename)).digest('hex');

module.exports = {
  getCacheKey(source, filename) {
    return createHash('sha256').update(SELF).update(filename).update(source).digest('hex');
  },
  process(source, filename) {
    const code = source
      .replaceAll('const require = createRequire(import.meta.url);', '')
      .replaceAll('import.meta.url', 'require("node:url").pathToFileURL(__filename).href');
    return transformSync(code, {
      filename,
      sourceMaps: 'inline',
      jsc: { target: 'es2023', parser: { syntax: 'ecmascript' } },
      module: { type: 'commonjs' },
    });
  },
};
