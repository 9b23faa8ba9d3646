import type { Sampler, SamplerStepContext } from './types.js';
import type * as tf from '@tensorflow/tfjs-core';

export interface DefineSamplerOptions {
  /** Name for `registerSampler` and `sample({ sampler: name })`. */
  name: string;
  /** Order of accuracy (1 Euler, 2 midpoint, 4 RK4, ...). */
  order: number;
  /** One step from context.t to context.tNext; runs inside `tf.tidy`. */
  step: (context: SamplerStepContext) => tf.Tensor;
}

/** Checks and freezes a sampler. Pass the result to `sample` directly or to `registerSampler`. */
export function defineSampler(options: DefineSamplerOptions): Sampler {
  const { name, order, step } = options;
  if (typeof name !== 'string' || name.trim() === '' || name !== name.trim()) {
    throw new Error(`defineSampler: name must be a non-empty string without surrounding spaces, got ${JSON.stringify(name)}`);
  }
  if (!(order > 0) || !Number.isFinite(order)) throw new Error(`defineSampler: order of '${name}' must be a positive number, got ${order}`);
  if (typeof step !== 'function') throw new Error(`defineSampler: step of '${name}' must be a function, got ${typeof step}`);
  return Object.freeze({ name, order, step });
}
