import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILES, parseTrainState, type TrainState } from './state.js';

export interface CheckpointInfo {
  name: string;
  path: string;
  state: TrainState;
}

/** The complete checkpoints in a folder (those with a readable state.json), oldest step first. */
export async function listCheckpoints(dir: string): Promise<CheckpointInfo[]> {
  if (!existsSync(dir)) return [];
  const found: CheckpointInfo[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    try {
      const statePath = join(path, CHECKPOINT_FILES.state);
      const state = parseTrainState(JSON.parse(await readFile(statePath, 'utf8')), statePath);
      found.push({ name: entry.name, path, state });
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
