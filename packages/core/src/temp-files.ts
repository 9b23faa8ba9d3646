import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The one naming of @dit's temporary files: an atomic write (writeFileAtomic, writeSafetensors)
 * goes through a hidden sibling `.<name>.<pid>.<time>.tmp`, renamed over the target only when
 * complete. A killed process leaves such siblings behind; `removeTempFiles` clears them.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/** Whether a file name is one `tempPathFor` makes. */
export function isTempFileName(name: string): boolean {
  return /^\..+\.\d+\.[0-9a-z]+\.tmp$/.test(name);
}

/** Removes the temporary files a killed writer left in `dir`; returns their names. */
export async function removeTempFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter(isTempFileName);
  for (const name of names) await rm(join(dir, name), { force: true });
  return names;
}
