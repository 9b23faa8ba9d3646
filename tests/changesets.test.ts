import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const changesetBin = join(root, 'node_modules', '@changesets', 'cli', 'bin.js');

describe('changesets', () => {
  it('every package starts at 0.1.0 with a CHANGELOG', () => {
    for (const name of readdirSync(join(root, 'packages'))) {
      const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
      expect(pkg.version, name).toBe('0.1.0');
      expect(readFileSync(join(root, 'packages', name, 'CHANGELOG.md'), 'utf8')).toContain(`# ${pkg.name}`);
    }
  });

  it('`changeset version` bumps a package and writes its CHANGELOG (on a copy of the workspace)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dit-changeset-'));
    try {
      for (const file of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, file), join(dir, file));
      cpSync(join(root, '.changeset', 'config.json'), join(dir, '.changeset', 'config.json'));
      for (const name of readdirSync(join(root, 'packages'))) {
        mkdirSync(join(dir, 'packages', name), { recursive: true });
        for (const file of ['package.json', 'CHANGELOG.md']) cpSync(join(root, 'packages', name, file), join(dir, 'packages', name, file));
      }
      // Pending changesets of the real repo do not matter here: start from none.
      for (const file of readdirSync(join(dir, '.changeset'))) if (file.endsWith('.md')) rmSync(join(dir, '.changeset', file));
      writeFileSync(join(dir, '.changeset', 'test-change.md'), "---\n'@dit/core': patch\n---\n\nA test change.\n");
      const result = spawnSync('node', [changesetBin, 'version'], { cwd: dir, encoding: 'utf8' });
      expect(result.status, result.stderr + result.stdout).toBe(0);
      const core = JSON.parse(readFileSync(join(dir, 'packages', 'core', 'package.json'), 'utf8'));
      expect(core.version).toBe('0.1.1');
      expect(readFileSync(join(dir, 'packages', 'core', 'CHANGELOG.md'), 'utf8')).toMatch(/## 0\.1\.1[\s\S]*A test change\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
