import * as tf from '@tensorflow/tfjs-core';
import { Rng, withDefaults } from '@dit/core';
import { sampleTimestepValues, type LossKind } from '@dit/flow';
import type { SingleStreamDiTV2 } from '@dit/model';
import { DiTPipeline } from '@dit/pipeline';
import { clipGradNorm } from './clip.js';
import type { ShapedArray } from './in-memory-dataset.js';
import { createOptimizer, type OptimizerOptions } from './optim/create.js';
import { computeGradients } from './train-step.js';

export interface OverfitOptions {
  model: SingleStreamDiTV2;
  /** One sample: model-space latents [C, h, w] and its text embeddings [L, dim]. */
  entry: { latents: tf.Tensor3D | ShapedArray; text: tf.Tensor2D | ShapedArray };
  /** Default 1000 (the original's train_overfit.py). */
  steps?: number;
  /** Default 1e-4 (the original's). */
  lr?: number;
  /** Default 'mse'. */
  loss?: LossKind;
  /** Copies of the sample per step (each with its own noise and t). Default 1. */
  batchSize?: number;
  optimizer?: OptimizerOptions;
  /** Global-norm clipping; the original's overfit script did not clip. Default null. */
  maxGradNorm?: number | null;
  /** Seeds noise and timesteps. Default 0. */
  seed?: number;
  /** Sampling after training, as the original checked its result: default 50 Euler steps at CFG 1.15. */
  sampling?: { steps?: number; sampler?: string; guidanceScale?: number; seed?: number };
  onStep?: (info: { step: number; loss: number }) => void;
}

export const OVERFIT_DEFAULTS = { steps: 1000, lr: 1e-4, loss: 'mse', batchSize: 1, maxGradNorm: null, seed: 0, sampling: { steps: 50, sampler: 'euler', guidanceScale: 1.15, seed: 0 } } as const;

export interface OverfitResult {
  /** Loss of every step. */
  losses: number[];
  /** Mean loss over the last tenth of the steps. */
  finalLoss: number;
  /** The sample drawn after training, [1, C, h, w] model-space latents; the caller disposes it. */
  sample: tf.Tensor4D;
  /** Mean squared difference between that sample and the entry's latents. */
  sampleError: number;
}

function asTensor<R extends tf.Rank>(value: tf.Tensor<R> | ShapedArray, rank: number, field: string): tf.Tensor<R> {
  if (value.shape.length !== rank) throw new Error(`${field} must have rank ${rank}, got shape [${value.shape.join(', ')}]`);
  return value instanceof tf.Tensor ? tf.clone(value) : (tf.tensor<tf.Rank>(value.data, value.shape, 'float32') as tf.Tensor<R>);
}

/**
 * A sanity check (the original's `train_overfit.py`): trains on one sample until the model can
 * reproduce it, then samples from noise with that sample's text. A pipeline that cannot overfit
 * one image has a bug; one that can is worth a real run.
 */
export async function overfit(options: OverfitOptions): Promise<OverfitResult> {
  const overfitting = { ...withDefaults(OVERFIT_DEFAULTS, options), sampling: withDefaults(OVERFIT_DEFAULTS.sampling, options.sampling) };
  if (!Number.isInteger(overfitting.steps) || overfitting.steps < 1) throw new Error(`steps must be a positive integer, got ${overfitting.steps}`);
  if (!Number.isInteger(overfitting.batchSize) || overfitting.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${overfitting.batchSize}`);
  if (overfitting.entry.text.shape.length !== 2) throw new Error(`entry.text must have rank 2, got shape [${overfitting.entry.text.shape.join(', ')}]`);
  const latents = asTensor<tf.Rank.R3>(overfitting.entry.latents, 3, 'entry.latents');
  const text = asTensor<tf.Rank.R2>(overfitting.entry.text, 2, 'entry.text');
  const batchLatents = tf.tidy(() => tf.tile(tf.expandDims(latents, 0), [overfitting.batchSize, 1, 1, 1])) as tf.Tensor4D;
  const batchText = tf.tidy(() => tf.tile(tf.expandDims(text, 0), [overfitting.batchSize, 1, 1])) as tf.Tensor3D;
  const variables = new Map(overfitting.model.namedVariables().map(({ name, variable }) => [name, variable]));
  const optimizer = createOptimizer(variables, overfitting.optimizer);
  const rng = new Rng(`overfit/${overfitting.seed}`);
  const noiseRng = rng.fork('noise');
  const timeRng = rng.fork('timesteps');
  const losses: number[] = [];
  try {
    for (let step = 1; step <= overfitting.steps; step++) {
      const noise = noiseRng.normalTensor(batchLatents.shape) as tf.Tensor4D;
      const times = sampleTimestepValues({ batchSize: overfitting.batchSize, rng: timeRng });
      const { grads, loss } = await computeGradients({ model: overfitting.model, latents: batchLatents, noise, text: batchText, times, loss: overfitting.loss, microBatch: overfitting.batchSize });
      noise.dispose();
      if (overfitting.maxGradNorm !== null) await clipGradNorm(grads, { maxNorm: overfitting.maxGradNorm });
      if (!Number.isFinite(loss)) {
        tf.dispose([...grads.values()]);
        throw new Error(`overfit: non-finite loss (${loss}) at step ${step}; lower lr`);
      }
      await optimizer.apply(grads, overfitting.lr);
      tf.dispose([...grads.values()]);
      losses.push(loss);
      overfitting.onStep?.({ step, loss });
    }
    const [channels, height, width] = latents.shape;
    const start = new Rng(`overfit-sample/${overfitting.sampling.seed}`).normalTensor([1, channels, height, width]);
    const cond = tf.expandDims(text, 0);
    // The pipeline's sampling stage; its output stays in model space, compared with the entry below.
    const result = await new DiTPipeline({ model: overfitting.model })
      .denoise({ noise: start, cond, steps: overfitting.sampling.steps, sampler: overfitting.sampling.sampler, guidanceScale: overfitting.sampling.guidanceScale })
      .finally(() => tf.dispose([start, cond]));
    const error = tf.tidy(() => tf.mean(tf.squaredDifference(result, tf.expandDims(latents, 0))));
    const sampleError = (await error.data())[0];
    error.dispose();
    const tail = losses.slice(-Math.max(1, Math.floor(losses.length / 10)));
    return { losses, finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length, sample: result, sampleError };
  } finally {
    optimizer.dispose();
    tf.dispose([latents, text, batchLatents, batchText]);
  }
}
