import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointDamage, inspectCheckpoint } from './integrity.js';
import { checkpointFolders } from './list.js';
import { CHECKPOINT_FILES, type TrainState } from './state.js';

/** A checkpoint folder found in a run, good or damaged. */
export interface ScannedCheckpoint {
  name: string;
  path: string;
  /** Optimiser steps done: from state.json, or from the folder name when state.json is damaged. */
  step: number;
  /** The state when its structural checks passed. */
  state?: TrainState;
  /** What is wrong, when something is. */
  problem?: string;
}

/** `epoch-0003-step-0000075`, as checkpointName writes them. */
const NAME = /^epoch-\d+-step-(\d+)$/;

/**
 * Every checkpoint folder in `dir` (named as the trainer names them, or holding a state.json),
 * oldest step first, each with the structural checks of inspectCheckpoint done (no tensor data
 * read). Damaged ones are listed with their problem, never deleted.
 */
export async function scanCheckpoints(dir: string): Promise<ScannedCheckpoint[]> {
  const found: ScannedCheckpoint[] = [];
  for (const { name, path } of await checkpointFolders(dir)) {
    const named = NAME.exec(name);
    if (!named && !existsSync(join(path, CHECKPOINT_FILES.state))) continue;
    try {
      const state = await inspectCheckpoint(path);
      found.push({ name, path, step: state.position.globalStep, state });
    } catch (error) {
      if (!(error instanceof CheckpointDamage)) throw error;
      found.push({ name, path, step: named ? Number(named[1]) : -1, problem: error.problem });
    }
  }
  return found.sort((a, b) => a.step - b.step || a.name.localeCompare(b.name));
}
