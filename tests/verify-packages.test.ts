import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

// Needs the packages built (`pnpm test` builds first) and the npm registry for their dependencies.
describe('published packages', () => {
  it('pack, install with plain npm outside the workspace, import, require and type-check', () => {
    const result = spawnSync('node', ['scripts/verify-packages.mjs', '--skip-build'], { cwd: root, encoding: 'utf8', timeout: 540_000 });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(result.stdout).toMatch(/verify-packages: \d+ packages ok \(esm ok \w[\w-]*; cjs ok \w[\w-]*; types ok\)/);
  }, 600_000);
});
