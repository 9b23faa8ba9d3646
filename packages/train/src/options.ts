import { consoleLogger, withDefaults, type Logger } from '@dit/core';
import type { SingleStreamDiTV2 } from '@dit/model';
import type { TrainingDataset } from './dataset.js';
import type { TrainCallbacks } from './events.js';
import type { EstimateMemory } from './memory-plan.js';
import type { OptimizerOptions } from './optim/create.js';
import { validateSchedule, type Phase } from './phases.js';
import type { FinalPipelineOptions } from './final-pipeline.js';
import type { ValidationOptions } from './validation.js';

export interface TrainOptions extends TrainCallbacks {
  model: SingleStreamDiTV2;
  /** A `CachedDataset` opened without `latentTransform` or `textDropout` (each phase sets those), or any `TrainingDataset`. */
  dataset: TrainingDataset;
  /** Phases to run, e.g. `originalSchedule` or `scaleSchedule(originalSchedule, { epochs: 6 })`. */
  schedule: readonly Phase[];
  /** Receives checkpoints/, samples/, final/, log.csv and log.jsonl. */
  outputDir: string;
  /** Seeds batch order, noise, timesteps, text dropout and flips. Default 0. */
  seed?: number;
  /** Samples per optimiser step. Default 8 (SPEC section 5). */
  batchSize?: number;
  /** Samples per forward/backward pass (gradients are accumulated to the batch). Default: batchSize, or the memory plan's choice. */
  microBatch?: number;
  /** Memory to fit into, e.g. '16GB' or bytes: picks micro-batch size and checkpointing. Default none. */
  memoryBudget?: string | number;
  /** Peak-memory estimate used by the memory plan. Default: @dit/model's `estimateMemory`. */
  estimateMemory?: EstimateMemory;
  /** Recompute block activations in the backward pass. Default: the model's setting, or the memory plan's choice. */
  gradientCheckpointing?: boolean;
  optimizer?: OptimizerOptions;
  /** Clip gradients to this global L2 norm; null disables. Default 1 (SPEC section 6). */
  maxGradNorm?: number | null;
  /** Checkpoint after epochs that are multiples of this (and at every phase end). Default 10. */
  checkpointEvery?: number;
  /** Keep this many most recent checkpoints. Default 3. */
  keepLast?: number;
  /** Also keep checkpoints of epochs that are multiples of this, for good. Default none. */
  keepEvery?: number;
  /**
   * false: start a new run (refused when outputDir already holds a run's files, see `startOver`).
   * true: continue from the latest checkpoint in outputDir (start at step 0 when it has none); a
   * damaged latest checkpoint stops the run with DamagedCheckpointError unless `resumeFallback`.
   * A string: continue from that checkpoint (a path, or a folder name in outputDir/checkpoints).
   * Default false.
   */
  resume?: boolean | string;
  /**
   * With resume: true, continue from the newest good checkpoint when newer ones are damaged
   * (they are moved to outputDir/checkpoints-damaged/, not deleted). Default false: stop and say so.
   */
  resumeFallback?: boolean;
  /**
   * With resume: false and an outputDir holding a run's files (checkpoints, logs, final/, samples/):
   * move them into outputDir/previous-<time>/ and start a new run. Default false: refuse.
   */
  startOver?: boolean;
  /** Sample images during training. Default false (no autoencoder given). */
  validation?: ValidationOptions | false;
  /** What `final/pipeline.json` records (text encoder, autoencoder, sampling defaults). Default: taken from the cache and the validation autoencoder. */
  pipeline?: FinalPipelineOptions;
  /**
   * On a NaN/Inf loss or gradient: 'stop' after checkpointing the state before the step (when its
   * weights are finite; a checkpoint never holds NaN or Inf weights), or 'skip' the update. Default 'stop'.
   */
  nonFinite?: 'stop' | 'skip';
  /** With 'skip', stop anyway after this many skipped steps. Default 25. */
  maxSkippedSteps?: number;
  /** Abort to stop after the current step with a checkpoint (see `stopOnSignals`). */
  signal?: AbortSignal;
  /** Information lines. Default consoleLogger (stderr). */
  logger?: Logger;
  /** Show the progress line on stderr. Default true. */
  progress?: boolean;
  /** Equal-width bins of t for the per-timestep loss in log.jsonl. Default 10. */
  timestepBins?: number;
}

export const TRAIN_DEFAULTS = {
  seed: 0,
  batchSize: 8,
  maxGradNorm: 1,
  checkpointEvery: 10,
  keepLast: 3,
  resume: false,
  resumeFallback: false,
  startOver: false,
  nonFinite: 'stop',
  maxSkippedSteps: 25,
  progress: true,
  timestepBins: 10,
} as const;

export type ResolvedTrainOptions = TrainOptions &
  Required<Pick<TrainOptions, 'seed' | 'batchSize' | 'checkpointEvery' | 'keepLast' | 'resume' | 'resumeFallback' | 'startOver' | 'nonFinite' | 'maxSkippedSteps' | 'progress' | 'timestepBins' | 'logger'>> & {
    maxGradNorm: number | null;
  };

/** Fills defaults and checks every field, naming the one at fault. */
export function resolveTrainOptions(options: TrainOptions): ResolvedTrainOptions {
  const training = withDefaults({ ...TRAIN_DEFAULTS, logger: consoleLogger }, options) as ResolvedTrainOptions;
  if (!training.model || typeof training.model.forward !== 'function') throw new Error('model must be a SingleStreamDiTV2');
  if (!training.dataset || typeof training.dataset.loadBatch !== 'function') throw new Error('dataset must be a CachedDataset or another TrainingDataset');
  if (typeof training.outputDir !== 'string' || training.outputDir === '') throw new Error('outputDir must be a folder path');
  validateSchedule(training.schedule);
  const positiveInteger = (field: keyof ResolvedTrainOptions) => {
    const value = training[field];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 1)) throw new Error(`${field} must be a positive integer, got ${JSON.stringify(value)}`);
  };
  for (const field of ['batchSize', 'microBatch', 'checkpointEvery', 'keepLast', 'keepEvery', 'maxSkippedSteps', 'timestepBins'] as const) positiveInteger(field);
  if (!Number.isInteger(training.seed)) throw new Error(`seed must be an integer, got ${training.seed}`);
  if (training.microBatch !== undefined && training.microBatch > training.batchSize) throw new Error(`microBatch (${training.microBatch}) must not exceed batchSize (${training.batchSize})`);
  if (training.maxGradNorm !== null && !(training.maxGradNorm > 0 && Number.isFinite(training.maxGradNorm))) throw new Error(`maxGradNorm must be a finite number > 0 or null, got ${training.maxGradNorm}`);
  if (training.nonFinite !== 'stop' && training.nonFinite !== 'skip') throw new Error(`nonFinite must be 'stop' or 'skip', got ${JSON.stringify(training.nonFinite)}`);
  if (typeof training.resume !== 'boolean' && typeof training.resume !== 'string') throw new Error(`resume must be true, false or a checkpoint path`);
  for (const field of ['resumeFallback', 'startOver'] as const) {
    if (typeof training[field] !== 'boolean') throw new Error(`${field} must be true or false, got ${JSON.stringify(training[field])}`);
  }
  if (training.startOver && training.resume !== false) throw new Error('startOver starts a new run: it cannot go with resume');
  if (training.validation) {
    if (!training.validation.autoencoder) throw new Error('validation.autoencoder is required to decode samples');
    const every = training.validation.every;
    if (every !== undefined && !(Number.isInteger(every) && every >= 1)) throw new Error(`validation.every must be a positive integer, got ${every}`);
    for (const index of training.validation.entries ?? []) {
      if (!Number.isInteger(index) || index < 0 || index >= training.dataset.size) throw new Error(`validation.entries: ${index} is not an index of the dataset (size ${training.dataset.size})`);
    }
  }
  return training;
}

/** The options recorded in checkpoints, compared on resume. */
export function recordedTrainingConfig(training: ResolvedTrainOptions, plan: { microBatch: number; checkpointing: boolean }): Record<string, unknown> {
  return {
    seed: training.seed,
    batchSize: training.batchSize,
    microBatch: plan.microBatch,
    gradientCheckpointing: plan.checkpointing,
    optimizer: withDefaults({ kind: 'adamw' }, training.optimizer),
    maxGradNorm: training.maxGradNorm,
    nonFinite: training.nonFinite,
    datasetSize: training.dataset.size,
  };
}
