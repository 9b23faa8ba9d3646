import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Finds a shared library by file name the way the dynamic loader would, near enough for a report:
 * `LD_LIBRARY_PATH`, then the ldconfig cache. Returns its path, or null.
 */
export function findSharedLibrary(fileName: string, env: Record<string, string | undefined> = process.env): string | null {
  for (const dir of (env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      if (readdirSync(dir).includes(fileName)) return join(dir, fileName);
    } catch {
      // an unreadable folder: keep looking
    }
  }
  try {
    const cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = cache.split('\n').find((l) => l.trim().startsWith(`${fileName} `));
    return line ? line.split('=>').pop()!.trim() : null;
  } catch {
    return null;
  }
}
