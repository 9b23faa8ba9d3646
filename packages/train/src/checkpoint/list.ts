import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILES, parseTrainState, type TrainState } from './state.js';

export interface CheckpointInfo {
  name: string;
  path: string;
  state: TrainState;
}

/** The folders in `dir` that may be checkpoints: every one but hidden ones (temporaries); none when `dir` does not exist. */
export async function checkpointFolders(dir: string): Promise<{ name: string; path: string }[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map(({ name }) => ({ name, path: join(dir, name) }));
}

/**
 * The complete checkpoints in a folder (those with a readable state.json), oldest step first.
 * Their files are not opened: `scanCheckpoints` also checks those, and lists damaged checkpoints.
 */
export async function listCheckpoints(dir: string): Promise<CheckpointInfo[]> {
  const found: CheckpointInfo[] = [];
  for (const { name, path } of await checkpointFolders(dir)) {
    try {
      const statePath = join(path, CHECKPOINT_FILES.state);
      const state = parseTrainState(JSON.parse(await readFile(statePath, 'utf8')), statePath);
      found.push({ name, path, state });
    } catch {
      // Not a checkpoint (or a damaged one): ignored, never deleted.
    }
  }
  return found.sort((a, b) => a.state.position.globalStep - b.state.position.globalStep || a.name.localeCompare(b.name));
}

/** The checkpoint with the most steps, or undefined when there is none. */
export async function latestCheckpoint(dir: string): Promise<CheckpointInfo | undefined> {
  const all = await listCheckpoints(dir);
  return all[all.length - 1];
}
