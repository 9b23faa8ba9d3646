import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Logger } from '@dit/core';
import { DamagedCheckpointError, type DamagedCheckpoint, type GoodCheckpoint } from './checkpoint/damaged-error.js';
import { CheckpointDamage } from './checkpoint/integrity.js';
import { scanCheckpoints, type ScannedCheckpoint } from './checkpoint/scan.js';
import type { TrainState } from './checkpoint/state.js';
import type { Ema } from './ema.js';

/** Folder (in the run folder) that damaged checkpoints are moved to when a resume falls back past them. */
export const DAMAGED_CHECKPOINTS_DIR = 'checkpoints-damaged';

export interface Restored {
  path: string;
  state: TrainState;
  ema: Ema | null;
}

export interface ResumeCheckpointOptions {
  outputDir: string;
  checkpointsDir: string;
  /** true: the newest checkpoint; a string: that checkpoint (a path, or a name in checkpointsDir). */
  resume: true | string;
  /** With resume: true, continue from the newest good checkpoint when newer ones are damaged. */
  fallback: boolean;
  /** Loads a checkpoint into the run; throws CheckpointDamage for a damaged one. */
  restore: (path: string) => Promise<{ state: TrainState; ema: Ema | null }>;
  logger: Logger;
}

/** Loads candidates newest first until one passes every check; the rest are the damaged ones met on the way. */
async function newestGood(candidates: readonly ScannedCheckpoint[], options: ResumeCheckpointOptions): Promise<{ restored: Restored | null; damaged: DamagedCheckpoint[]; good: GoodCheckpoint | null }> {
  const damaged: DamagedCheckpoint[] = [];
  for (const candidate of [...candidates].reverse()) {
    const { name, path } = candidate;
    if (candidate.problem) {
      damaged.push({ name, path, problem: candidate.problem });
      continue;
    }
    try {
      const { state, ema } = await options.restore(path);
      return { restored: { path, state, ema }, damaged, good: { name, path, step: state.position.globalStep } };
    } catch (error) {
      if (!(error instanceof CheckpointDamage)) throw error;
      damaged.push({ name, path, problem: error.problem });
    }
  }
  return { restored: null, damaged, good: null };
}

function checkpointPath(options: ResumeCheckpointOptions, given: string): string {
  if (existsSync(given) || isAbsolute(given)) return given;
  const named = join(options.checkpointsDir, given);
  return existsSync(named) ? named : given;
}

/** Moves damaged checkpoints into `<outputDir>/checkpoints-damaged/`, so later saves cannot overwrite them. */
async function moveAside(damaged: readonly DamagedCheckpoint[], options: ResumeCheckpointOptions): Promise<void> {
  const target = join(options.outputDir, DAMAGED_CHECKPOINTS_DIR);
  await mkdir(target, { recursive: true });
  for (const { name, path, problem } of damaged) {
    let destination = join(target, name);
    for (let k = 2; existsSync(destination); k++) destination = join(target, `${name}-${k}`);
    await rename(path, destination);
    options.logger.warn(`checkpoint ${name} is damaged: ${problem}; moved to ${destination}`);
  }
}

/**
 * Finds and loads the checkpoint to resume from. A damaged checkpoint (missing or truncated
 * file, unreadable state.json, bytes changed since saved, NaN or Inf weights) stops the resume
 * with DamagedCheckpointError naming it and the newest good one, unless `fallback` allows going
 * back to that one. Returns null when there is no checkpoint at all (the run starts at step 0).
 */
export async function resumeCheckpoint(options: ResumeCheckpointOptions): Promise<Restored | null> {
  const scanned = await scanCheckpoints(options.checkpointsDir);
  if (typeof options.resume === 'string') {
    const path = checkpointPath(options, options.resume);
    try {
      const { state, ema } = await options.restore(path);
      return { path, state, ema };
    } catch (error) {
      if (!(error instanceof CheckpointDamage)) throw error;
      const others = scanned.filter((c) => resolve(c.path) !== resolve(path));
      const { restored, good } = await newestGood(others, options);
      restored?.ema?.dispose();
      throw new DamagedCheckpointError(options.checkpointsDir, [{ name: options.resume, path, problem: error.problem }], good);
    }
  }
  if (scanned.length === 0) return null;
  const { restored, damaged, good } = await newestGood(scanned, options);
  if (damaged.length > 0 && (!restored || !options.fallback)) {
    restored?.ema?.dispose();
    throw new DamagedCheckpointError(options.checkpointsDir, damaged, good);
  }
  await moveAside(damaged, options);
  for (const older of scanned) {
    if (older.problem && older.step < restored!.state.position.globalStep) options.logger.warn(`older checkpoint ${older.name} is damaged: ${older.problem}; left in place`);
  }
  return restored;
}
