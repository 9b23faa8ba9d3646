import type * as tf from '@tensorflow/tfjs-core';
import type { BlockShape } from '../internals/block/types.js';
import { perSampleAffine } from './per-sample-affine.js';
import { sampleColumnSumsOfProduct, sampleColumnSumsWithProduct } from './sample-column-sums.js';

/**
 * adaLN-Zero's element-wise steps on webgpu, with the operands of the block's kernel
 * interface (internals/block/kernels.ts): token rows [T, D] and per-sample vectors [B, 1, D].
 * Each step is one kernel pass (per-sample-affine.ts), each per-sample gradient one reduction
 * (sample-column-sums.ts).
 */

/** h = x_hat (1 + scale) + shift. */
export function modulateWebgpu(normalized: tf.Tensor2D, scalePlus1: tf.Tensor3D, shift: tf.Tensor3D, shape: BlockShape): tf.Tensor2D {
  return perSampleAffine(normalized, shape.tokens, { scale: scalePlus1, offset: shift });
}

/** d(x_hat) = dh (1 + scale), d(scale) = sum dh x_hat, d(shift) = sum dh. */
export function modulateBackwardWebgpu(dModulated: tf.Tensor2D, normalized: tf.Tensor2D, scalePlus1: tf.Tensor3D, shape: BlockShape) {
  const { sumOfProduct: dScale, sum: dShift } = sampleColumnSumsWithProduct(dModulated, normalized, shape.tokens);
  const dNormalized = perSampleAffine(dModulated, shape.tokens, { scale: scalePlus1 });
  return { dNormalized, dScale, dShift };
}

/** out = residual + gate * branch. */
export function gatedResidualWebgpu(residual: tf.Tensor2D, gate: tf.Tensor3D, branch: tf.Tensor2D, shape: BlockShape): tf.Tensor2D {
  return perSampleAffine(branch, shape.tokens, { scale: gate, residual });
}

/** d(branch) = d(out) gate, d(gate) = sum d(out) branch (the residual's gradient is d(out) itself). */
export function gatedResidualBackwardWebgpu(dOut: tf.Tensor2D, gate: tf.Tensor3D, branch: tf.Tensor2D, shape: BlockShape) {
  const dGate = sampleColumnSumsOfProduct(dOut, branch, shape.tokens);
  const dBranch = perSampleAffine(dOut, shape.tokens, { scale: gate });
  return { dBranch, dGate };
}
