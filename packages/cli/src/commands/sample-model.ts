import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CONFIG_FILE, SingleStreamDiTV2, WEIGHTS_FILE } from '@dit/model';
import { CHECKPOINT_FILES, latestCheckpoint, phaseIndexAt, readCheckpointState, type TrainState } from '@dit/train';
import { CliError, EXIT } from '../errors.js';
import { foreignFileNote } from '../foreign-files.js';

/** Which weights of a training checkpoint to sample with. */
export type CheckpointWeights = 'ema' | 'model';

/** Cached latent -> model latent: `latent / std + offset` (SPEC section 4). */
export interface LatentNormValues {
  std: number;
  offset: number;
}

export interface SamplingModelSource {
  /** The weights file loaded. */
  weightsPath: string;
  /** 'ema' or 'model' for a checkpoint, 'pretrained' for a model folder. */
  weights: CheckpointWeights | 'pretrained';
  /** The normalisation the weights were trained with, when a checkpoint tells; `from` names the state.json. */
  latentNorm: (LatentNormValues & { from: string }) | null;
}

/**
 * The normalisation of the phase that trained the weights in a checkpoint: the phase of the
 * last epoch trained (a phase-end checkpoint already points at the next phase).
 */
export function trainedLatentNorm(state: TrainState): LatentNormValues {
  const { schedule } = state.config;
  const { epoch, batch, globalStep } = state.position;
  const lastTrained = globalStep === 0 ? schedule[0].epochs[0] : batch > 0 ? epoch : epoch - 1;
  const index = phaseIndexAt(schedule, Math.max(lastTrained, schedule[0].epochs[0]));
  const phase = index === -1 ? schedule[schedule.length - 1] : schedule[index];
  return { std: phase.latentNorm?.std ?? 1, offset: phase.latentNorm?.offset ?? 0 };
}

async function normFromCheckpoint(dir: string): Promise<SamplingModelSource['latentNorm']> {
  const state = await readCheckpointState(dir);
  return { ...trainedLatentNorm(state), from: join(dir, CHECKPOINT_FILES.state) };
}

/**
 * Finds the weights to sample from `path`: a training checkpoint (state.json; `weights` picks
 * EMA or raw weights, EMA by default when present), a model folder (config.json +
 * model.safetensors; a run's `final/` takes its normalisation from the run's latest
 * checkpoint), or a run folder (its `final/`, else its latest checkpoint).
 */
export async function findSamplingModel(path: string, weights?: CheckpointWeights): Promise<SamplingModelSource> {
  if (!existsSync(path)) throw new CliError(`--model ${path}: no such file or folder`, EXIT.usage);
  if (existsSync(join(path, CHECKPOINT_FILES.state))) {
    const hasEma = existsSync(join(path, CHECKPOINT_FILES.ema));
    const chosen = weights ?? (hasEma ? 'ema' : 'model');
    if (chosen === 'ema' && !hasEma) throw new CliError(`--weights ema: ${path} has no ${CHECKPOINT_FILES.ema} (that phase kept no EMA); use --weights model`, EXIT.usage);
    return { weightsPath: join(path, CHECKPOINT_FILES[chosen]), weights: chosen, latentNorm: await normFromCheckpoint(path) };
  }
  if (existsSync(join(path, CONFIG_FILE)) && existsSync(join(path, WEIGHTS_FILE))) {
    if (weights) throw new CliError(`--weights applies to training checkpoints; ${path} is a model folder`, EXIT.usage);
    const run = dirname(path);
    const latest = basename(path) === 'final' ? await latestCheckpoint(join(run, 'checkpoints')) : undefined;
    return { weightsPath: join(path, WEIGHTS_FILE), weights: 'pretrained', latentNorm: latest ? await normFromCheckpoint(latest.path) : null };
  }
  if (existsSync(join(path, 'final', WEIGHTS_FILE))) return findSamplingModel(join(path, 'final'), weights);
  const latest = await latestCheckpoint(join(path, 'checkpoints'));
  if (latest) return findSamplingModel(latest.path, weights);
  const foreign = foreignFileNote(path);
  throw new CliError(
    `--model ${path}: not a model folder (${CONFIG_FILE} + ${WEIGHTS_FILE}), a training checkpoint (${CHECKPOINT_FILES.state}) or a run folder (final/ or checkpoints/)${foreign ? `; ${foreign}` : ''}`,
    EXIT.usage,
  );
}

/** Loads the model `findSamplingModel` found (config.json beside the weights file). */
export function loadSamplingModel(source: SamplingModelSource): Promise<SingleStreamDiTV2> {
  return SingleStreamDiTV2.fromPretrained(source.weightsPath, { model: { checkMemory: true } });
}
