import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readAllTensors } from '@dit/core';
import type { SingleStreamDiTV2 } from '@dit/model';
import type { Ema } from '../ema.js';
import type { Optimizer } from '../optim/optimizer.js';
import { CHECKPOINT_FILES, modelConfigDifferences, parseTrainState, type TrainState } from './state.js';
import { fromTorchLayout } from './torch-layout.js';

/** A checkpoint made for another model architecture; `differences` lists each field. */
export class CheckpointMismatchError extends Error {
  constructor(
    readonly path: string,
    readonly differences: string[],
  ) {
    super(`${path}: the checkpoint was saved for a different model; refusing to load it. Differing fields:\n  ${differences.join('\n  ')}`);
    this.name = 'CheckpointMismatchError';
  }
}

/** Reads and checks a checkpoint's state.json. */
export async function readCheckpointState(path: string): Promise<TrainState> {
  const statePath = join(path, CHECKPOINT_FILES.state);
  if (!existsSync(statePath)) throw new Error(`${path}: not a checkpoint folder (no ${CHECKPOINT_FILES.state})`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(statePath, 'utf8'));
  } catch (error) {
    throw new Error(`${statePath}: not valid JSON: ${(error as Error).message}`);
  }
  return parseTrainState(json, statePath);
}

export interface RestoreCheckpointOptions {
  path: string;
  model: SingleStreamDiTV2;
  optimizer: Optimizer;
  /** Makes the EMA to restore into when the checkpoint has one. */
  createEma: (decay: number) => Ema;
}

/**
 * Loads a checkpoint into a model and optimiser (and a new EMA when it holds one), after
 * refusing one whose model config differs from the model's.
 */
export async function restoreCheckpoint(options: RestoreCheckpointOptions): Promise<{ state: TrainState; ema: Ema | null }> {
  const { path, model, optimizer } = options;
  const state = await readCheckpointState(path);
  const differences = modelConfigDifferences(state.config.model, { ...model.config });
  if (differences.length > 0) throw new CheckpointMismatchError(path, differences);
  await model.loadWeights(join(path, CHECKPOINT_FILES.model), { strict: true });
  const optimizerPath = join(path, CHECKPOINT_FILES.optimizer);
  const { tensors: moments } = await readAllTensors(optimizerPath);
  try {
    optimizer.restore(moments, state.optimizer);
  } catch (error) {
    throw new Error(`${optimizerPath}: ${(error as Error).message}`);
  }
  if (!state.ema) return { state, ema: null };
  const emaPath = join(path, CHECKPOINT_FILES.ema);
  const { tensors } = await readAllTensors(emaPath);
  const ema = options.createEma(state.ema.decay);
  try {
    ema.restore(fromTorchLayout(model.namedVariables(), tensors, emaPath), state.ema);
  } catch (error) {
    ema.dispose();
    throw error;
  }
  return { state, ema };
}
