import { rm, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The one naming of @dit's temporary files and folders: an atomic write (writeFileAtomic,
 * writeSafetensors, a training checkpoint) goes through a hidden sibling
 * `.<name>.<pid>.<time>.tmp`, renamed over the target only when complete. A killed process
 * leaves such siblings behind; `removeTempFiles` clears them.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.tmp`);
}

const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-z]+\.tmp$/;

/** Whether a file or folder name is one `tempPathFor` makes. */
export function isTempFileName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** The process id in a `tempPathFor` name (undefined for other names). */
export function tempWriterPid(name: string): number | undefined {
  const match = TEMP_NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

export interface RemoveTempFilesOptions {
  /**
   * Keep temporaries whose writer is another process still running (it may be writing them
   * now). Default false: the caller knows no other writer uses the folder.
   */
  keepLiveWriters?: boolean;
}

/** Whether process `pid`, other than this one, is running (a writer that may still be at work). */
export function isOtherLiveProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes the temporary files and folders a killed writer left in `dir`; returns their names. */
export async function removeTempFiles(dir: string, options: RemoveTempFilesOptions = {}): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => isTempFileName(name) && !(options.keepLiveWriters && isOtherLiveProcess(tempWriterPid(name)!)));
  for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
  return names;
}
