import type { RngState } from '@dit/core';
import type { BucketBatchSamplerState } from '@dit/data';
import type { EmaMeta } from '../ema.js';
import type { OptimizerMeta } from '../optim/optimizer.js';
import type { Phase } from '../phases.js';
import type { LrUnit } from '../schedule/lr.js';

export const CHECKPOINT_FORMAT = 'dit-train-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** File names inside a checkpoint folder. */
export const CHECKPOINT_FILES = {
  config: 'config.json',
  model: 'model.safetensors',
  ema: 'ema.safetensors',
  optimizer: 'optimizer.safetensors',
  state: 'state.json',
} as const;

/** Where a run stands: what the next step will train. */
export interface TrainPosition {
  /** Index in the schedule of the phase the next step belongs to (schedule length when finished). */
  phaseIndex: number;
  phaseName: string;
  /** Epoch of the next step. */
  epoch: number;
  /** Batches of `epoch` already trained; the next step trains batch number `batch` of the epoch's order. */
  batch: number;
  /** Optimiser steps done in all (log.csv's Global_Step of the last row). */
  globalStep: number;
  /** Optimiser steps done in the current phase. */
  phaseStep: number;
}

export type CheckpointReason = 'periodic' | 'phase-end' | 'final' | 'interrupt' | 'non-finite';

/** Everything besides tensors that a resumed run needs, as `state.json` holds it. */
export interface TrainState {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  savedAt: string;
  reason: CheckpointReason;
  position: TrainPosition;
  /** The last epoch trained to its end when the checkpoint was taken, or null mid-epoch. */
  completedEpoch: number | null;
  /** The learning rate of the last step and where it came from in its schedule. */
  lr: { unit: LrUnit; index: number; value: number };
  /** States of the trainer's random streams (noise, timesteps, text dropout). */
  rng: Record<string, RngState>;
  /** The batch sampler of the current phase (its order is a function of seed and epoch). */
  sampler: BucketBatchSamplerState | null;
  optimizer: OptimizerMeta;
  ema: EmaMeta | null;
  counters: { skippedSteps: number; imagesSeen: number; trainSeconds: number };
  config: CheckpointConfig;
  /**
   * Size and sha256 of each other file of the checkpoint as written, checked before a resume
   * (absent in checkpoints of earlier versions, whose files are checked by structure only).
   */
  files?: Record<string, CheckpointFileDigest>;
}

export interface CheckpointFileDigest {
  bytes: number;
  sha256: string;
}

/** The run's configuration, recorded so a resume can check it is continuing the same run. */
export interface CheckpointConfig {
  /** The model's architecture (DiTConfig fields). */
  model: Record<string, number>;
  schedule: Phase[];
  /** Trainer options that shape the run (batch size, seed, optimiser, clipping...). */
  training: Record<string, unknown>;
}

/** Throws when `value` is not a state.json this version can resume from. */
export function parseTrainState(value: unknown, source: string): TrainState {
  const state = value as Partial<TrainState> | null;
  if (state?.format !== CHECKPOINT_FORMAT) throw new Error(`${source}: not a training checkpoint (format ${JSON.stringify(state?.format)})`);
  if (state.version !== CHECKPOINT_VERSION) throw new Error(`${source}: checkpoint version ${state.version}, this trainer reads ${CHECKPOINT_VERSION}`);
  for (const field of ['position', 'lr', 'rng', 'optimizer', 'counters', 'config'] as const) {
    if (typeof state[field] !== 'object' || state[field] === null) throw new Error(`${source}: '${field}' is missing`);
  }
  const position = state.position!;
  for (const field of ['phaseIndex', 'epoch', 'batch', 'globalStep', 'phaseStep'] as const) {
    if (!Number.isInteger(position[field]) || position[field] < 0) throw new Error(`${source}: position.${field} must be an integer >= 0, got ${position[field]}`);
  }
  return state as TrainState;
}

/** Fields where two model configs differ, as "field: checkpoint X, model Y". */
export function modelConfigDifferences(saved: Record<string, unknown>, current: Record<string, unknown>): string[] {
  const fields = [...new Set([...Object.keys(saved), ...Object.keys(current)])].sort();
  return fields
    .filter((field) => JSON.stringify(saved[field]) !== JSON.stringify(current[field]))
    .map((field) => `${field}: checkpoint ${JSON.stringify(saved[field])}, model ${JSON.stringify(current[field])}`);
}
