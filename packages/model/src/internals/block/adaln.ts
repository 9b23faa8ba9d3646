import * as tf from '@tensorflow/tfjs-core';
import type { BlockShape } from './types.js';

/**
 * The adaLN-Zero element-wise steps (SPEC section 2 step 4) on token rows [T, D], T = B * N,
 * each sample's rows modulated by its own [B, 1, D] vectors, with their backward passes. Each
 * backward output is computed in its own tidy, so only one temporary [T, D] lives at a time.
 */

/** The six [B, 1, D] modulation vectors of a block, split in SPEC order, with 1 + scale precomputed. */
export interface Modulation {
  shift1: tf.Tensor3D; scalePlus1: tf.Tensor3D; gate1: tf.Tensor3D;
  shift2: tf.Tensor3D; scalePlus2: tf.Tensor3D; gate2: tf.Tensor3D;
}

/** [B, 6D] (the adaLN Linear's output) -> shift1, scale1, gate1, shift2, scale2, gate2, in that order. */
export function splitModulation(modulation: tf.Tensor2D, shape: BlockShape): Modulation {
  return tf.tidy(() => {
    const [shift1, scale1, gate1, shift2, scale2, gate2] = tf.split(modulation, 6, 1).map((part) => tf.reshape(part, [shape.batch, 1, shape.hiddenSize]) as tf.Tensor3D);
    return { shift1, scalePlus1: tf.add(scale1, 1) as tf.Tensor3D, gate1, shift2, scalePlus2: tf.add(scale2, 1) as tf.Tensor3D, gate2 };
  });
}

const perSample = (rows: tf.Tensor, shape: BlockShape) => tf.reshape(rows, [shape.batch, shape.tokens, shape.hiddenSize]) as tf.Tensor3D;
const asRows = (perSampleTokens: tf.Tensor, shape: BlockShape) => tf.reshape(perSampleTokens, [shape.batch * shape.tokens, shape.hiddenSize]) as tf.Tensor2D;
/** Sum over the tokens of each sample: [T, D] -> [B, D]. */
const sumPerSample = (rows: tf.Tensor, shape: BlockShape) => tf.sum(perSample(rows, shape), 1) as tf.Tensor2D;

/** h = x_hat (1 + scale) + shift. */
export function modulate(normalized: tf.Tensor2D, scalePlus1: tf.Tensor3D, shift: tf.Tensor3D, shape: BlockShape): tf.Tensor2D {
  return tf.tidy(() => asRows(tf.add(tf.mul(perSample(normalized, shape), scalePlus1), shift), shape));
}

/** The gradients of {@link modulate}: d(x_hat) = dh (1 + scale), d(scale) = sum dh x_hat, d(shift) = sum dh. */
export function modulateBackward(dModulated: tf.Tensor2D, normalized: tf.Tensor2D, scalePlus1: tf.Tensor3D, shape: BlockShape) {
  const dScale = tf.tidy(() => sumPerSample(tf.mul(dModulated, normalized), shape));
  const dShift = sumPerSample(dModulated, shape);
  const dNormalized = tf.tidy(() => asRows(tf.mul(perSample(dModulated, shape), scalePlus1), shape));
  return { dNormalized, dScale, dShift };
}

/** out = residual + gate * branch. */
export function gatedResidual(residual: tf.Tensor2D, gate: tf.Tensor3D, branch: tf.Tensor2D, shape: BlockShape): tf.Tensor2D {
  return tf.tidy(() => asRows(tf.add(perSample(residual, shape), tf.mul(gate, perSample(branch, shape))), shape));
}

/** The gradients of {@link gatedResidual} but the residual's (which is d(out) itself): d(branch) = d(out) gate, d(gate) = sum d(out) branch. */
export function gatedResidualBackward(dOut: tf.Tensor2D, gate: tf.Tensor3D, branch: tf.Tensor2D, shape: BlockShape) {
  const dGate = tf.tidy(() => sumPerSample(tf.mul(perSample(dOut, shape), perSample(branch, shape)), shape));
  const dBranch = tf.tidy(() => asRows(tf.mul(perSample(dOut, shape), gate), shape));
  return { dBranch, dGate };
}
