import { readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isOtherLiveProcess, isTempFileName, removeTempFiles } from '@dit/core';
import { listCheckpoints } from './list.js';

export interface RetentionOptions {
  /** Folder holding the checkpoints. */
  dir: string;
  /** Keep this many most recent checkpoints. Default 3. */
  keepLast?: number;
  /** Also keep, for good, every checkpoint taken at the end of an epoch that is a multiple of this. Default none. */
  keepEvery?: number;
  /** Names never removed (the checkpoint just written). */
  protect?: readonly string[];
}

export const RETENTION_DEFAULTS = { keepLast: 3 } as const;

/** Deletes the checkpoints retention does not keep; returns their names. */
export async function applyRetention(options: RetentionOptions): Promise<string[]> {
  const { dir, keepLast = RETENTION_DEFAULTS.keepLast, keepEvery, protect = [] } = options;
  if (!Number.isInteger(keepLast) || keepLast < 1) throw new Error(`keepLast must be an integer >= 1, got ${keepLast}`);
  if (keepEvery !== undefined && !(Number.isInteger(keepEvery) && keepEvery >= 1)) throw new Error(`keepEvery must be an integer >= 1, got ${keepEvery}`);
  const all = await listCheckpoints(dir);
  const recent = new Set(all.slice(-keepLast).map((c) => c.name));
  const removed: string[] = [];
  for (const checkpoint of all) {
    const epoch = checkpoint.state.completedEpoch;
    const milestone = keepEvery !== undefined && epoch !== null && epoch % keepEvery === 0;
    if (recent.has(checkpoint.name) || milestone || protect.includes(checkpoint.name)) continue;
    await rm(checkpoint.path, { recursive: true, force: true });
    removed.push(checkpoint.name);
  }
  return removed;
}

/** `.tmp-<name>-<pid>-<random>`: checkpoint temporaries of @dit 0.1, still cleared. */
const LEGACY_TEMP = /^\.tmp-.+-(\d+)-[0-9a-z]+$/;

/** Whether a name in a checkpoints folder is a checkpoint being (or left half) written. */
export function isCheckpointTemporary(name: string): boolean {
  return isTempFileName(name) || LEGACY_TEMP.test(name);
}

/**
 * Removes temporary folders left by checkpoint writes (core's `tempPathFor` naming) of processes
 * that no longer run; a process still running may be writing its checkpoint now.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const removed = await removeTempFiles(dir, { keepLiveWriters: true });
  for (const name of await readdir(dir)) {
    const legacy = LEGACY_TEMP.exec(name);
    if (!legacy || isOtherLiveProcess(Number(legacy[1]))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
