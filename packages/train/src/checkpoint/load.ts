import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readAllTensors } from '@dit/core';
import type { SingleStreamDiTV2 } from '@dit/model';
import type { Ema } from '../ema.js';
import type { Optimizer } from '../optim/optimizer.js';
import { describeNonFinite, nonFiniteArrayNames, nonFiniteTensorNames } from './finite.js';
import { CheckpointDamage, inspectCheckpoint, verifyCheckpointDigests } from './integrity.js';
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

/** Runs one loading step, turning any failure into CheckpointDamage naming the file. */
async function loading<T>(path: string, file: string, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof CheckpointDamage) throw error;
    throw new CheckpointDamage(path, `${file} cannot be loaded (${(error as Error).message})`);
  }
}

/**
 * Loads a checkpoint into a model and optimiser (and a new EMA when it holds one). Refuses one
 * whose model config differs from the model's (CheckpointMismatchError), and throws
 * CheckpointDamage for a damaged one: a file missing, truncated, unreadable or changed since it
 * was saved (sha256 in state.json), or weights, EMA or moments holding NaN or Inf.
 */
export async function restoreCheckpoint(options: RestoreCheckpointOptions): Promise<{ state: TrainState; ema: Ema | null }> {
  const { path, model, optimizer } = options;
  const state = await inspectCheckpoint(path);
  const differences = modelConfigDifferences(state.config.model, { ...model.config });
  if (differences.length > 0) throw new CheckpointMismatchError(path, differences);
  await verifyCheckpointDigests(path, state);

  const { model: modelFile, optimizer: optimizerFile, ema: emaFile } = CHECKPOINT_FILES;
  await loading(path, modelFile, () => model.loadWeights(join(path, modelFile), { strict: true }));
  const variables = model.namedVariables();
  const badWeights = await nonFiniteTensorNames(variables.map(({ name, variable }) => [name, variable] as const));
  if (badWeights.length > 0) throw new CheckpointDamage(path, `its weights hold ${describeNonFinite(badWeights, variables.length, modelFile)}`);

  const moments = await loading(path, optimizerFile, async () => (await readAllTensors(join(path, optimizerFile))).tensors);
  const badMoments = nonFiniteArrayNames(moments);
  if (badMoments.length > 0) throw new CheckpointDamage(path, `its optimiser state holds ${describeNonFinite(badMoments, moments.size, optimizerFile)}`);
  await loading(path, optimizerFile, () => optimizer.restore(moments, state.optimizer));

  if (!state.ema) return { state, ema: null };
  const emaPath = join(path, emaFile);
  const tensors = await loading(path, emaFile, async () => fromTorchLayout(variables, (await readAllTensors(emaPath)).tensors, emaPath));
  const badEma = nonFiniteArrayNames(tensors);
  if (badEma.length > 0) throw new CheckpointDamage(path, `its EMA weights hold ${describeNonFinite(badEma, tensors.size, emaFile)}`);
  const ema = options.createEma(state.ema.decay);
  try {
    await loading(path, emaFile, () => ema.restore(tensors, state.ema!));
  } catch (error) {
    ema.dispose();
    throw error;
  }
  return { state, ema };
}
