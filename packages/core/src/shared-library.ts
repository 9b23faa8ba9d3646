import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

const USUAL_LIBRARY_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64', '/lib'];

function run(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return null;
  }
}

/** `ldconfig -p`, read once per process (null where there is no ldconfig: macOS, musl). */
let ldconfigCache: string | null | undefined;
function ldconfigListing(): string | null {
  if (ldconfigCache === undefined) ldconfigCache = run('ldconfig', ['-p']) ?? run('/sbin/ldconfig', ['-p']);
  return ldconfigCache;
}

/** Finds a shared library the way the dynamic loader would: LD_LIBRARY_PATH, then the ldconfig cache, then the usual folders. */
export function findSharedLibrary(name: string, env: Record<string, string | undefined> = process.env): string | null {
  if (isAbsolute(name)) return existsSync(name) ? name : null;
  for (const dir of (env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean)) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  const line = ldconfigListing()?.split('\n').find((l) => l.trim().startsWith(name + ' '));
  if (line) return line.split('=>').pop()!.trim();
  for (const dir of USUAL_LIBRARY_DIRS) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}
