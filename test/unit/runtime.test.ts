import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_OPTIONS, PROCESS_ENV } from '../../src/runtime';

const ROOT = join(__dirname, '..', '..');

describe('runtime settings', () => {
  it('the image starts node with them', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`ENV NODE_OPTIONS="${NODE_OPTIONS}"`);
    for (const [name, value] of Object.entries(PROCESS_ENV)) {
      if (name !== 'NODE_OPTIONS') expect(dockerfile).toMatch(new RegExp(`\\b${name}=${value}\\b`));
    }
  });

  it('npm start starts node with them', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toContain(`NODE_OPTIONS='${NODE_OPTIONS}'`);
    for (const [name, value] of Object.entries(PROCESS_ENV)) {
      if (name !== 'NODE_OPTIONS') expect(pkg.scripts.start).toContain(`${name}=${value}`);
    }
  });

  it('are options Node accepts in NODE_OPTIONS', () => {
    // Node refuses to start with a flag NODE_OPTIONS may not carry; this would fail here first.
    const allowed = process.allowedNodeEnvironmentFlags;
    for (const flag of NODE_OPTIONS.split(' ')) expect(allowed.has(flag.split('=')[0]!)).toBe(true);
  });
});
