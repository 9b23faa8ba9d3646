// Test-only helpers (imported by *.test.ts, never by the package).
import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors, type TensorData } from '@dit/core';
import { fileURLToPath } from 'node:url';
import type { DiTConfig } from '../config.js';
import { SingleStreamDiTV2 } from '../model.js';

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
}

export async function readFixture(name: string): Promise<Map<string, TensorData>> {
  return (await readAllTensors(fixturePath(name))).tensors;
}

export function toTensor(data: TensorData | undefined): tf.Tensor {
  if (!data) throw new Error('fixture tensor missing');
  return tf.tensor(data.data, data.shape, 'float32');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Non-zero weights everywhere (adaLN and final layer included), so no path is trivially zero. */
export function randomizeWeights(model: { namedVariables(): { name: string; variable: tf.Variable }[] }, seed = 1): void {
  let state = seed;
  for (const { variable } of model.namedVariables()) {
    const fanIn = variable.rank === 2 ? variable.shape[0] : 16;
    tf.tidy(() => variable.assign(tf.mul(tf.randomNormal(variable.shape, 0, 1, 'float32', state++), 1 / Math.sqrt(fanIn))));
  }
}

/** Random float32 inputs for a config. */
export function randomInputs(config: { inChannels: number; textLength: number; textDim: number }, batch: number, height: number, width: number, seed = 7) {
  return {
    x: tf.randomNormal([batch, config.inChannels, height, width], 0, 1, 'float32', seed) as tf.Tensor4D,
    t: tf.randomUniform([batch], 0, 1, 'float32', seed + 1) as tf.Tensor1D,
    text: tf.randomNormal([batch, config.textLength, config.textDim], 0, 1, 'float32', seed + 2) as tf.Tensor3D,
  };
}

export interface ProfileStepOptions {
  batch: number;
  height: number;
  width: number;
  /** A training step (value and gradients of mean(out^2)) rather than a forward pass. */
  training: boolean;
  checkpointing?: boolean;
  /** {@link randomizeWeights} first. */
  randomWeights?: boolean;
}

/** tf.profile of one forward pass or training step of a fresh model (memory.test.ts, largest-tensor.test.ts). */
export async function profileStep(config: DiTConfig, options: ProfileStepOptions): ReturnType<typeof tf.profile> {
  const model = new SingleStreamDiTV2({ ...config, gradientCheckpointing: options.checkpointing ?? false, checkMemory: false });
  if (options.randomWeights) randomizeWeights(model);
  const { x, t, text } = randomInputs(config, options.batch, options.height, options.width);
  const checks = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false); // the profiler would read every kernel's output
  const profile = await tf.profile(() => {
    if (!options.training) return void model.forward(x, t, text).dispose();
    const { value, gradients } = model.valueAndGradients(() => tf.mean(tf.square(model.forward(x, t, text))) as tf.Scalar);
    tf.dispose([value, ...gradients]);
  });
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', checks);
  tf.dispose([x, t, text]);
  model.dispose();
  return profile;
}
