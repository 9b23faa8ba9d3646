import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Atomic writes (@dit/core) go through `.<name>.<pid>.<time>.tmp` siblings that a killed
 * process leaves behind. Removes them; returns their names.
 */
export async function removeTempFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.startsWith('.') && name.endsWith('.tmp'));
  for (const name of names) await rm(join(dir, name), { force: true });
  return names;
}
