import * as tf from '@tensorflow/tfjs-core';
import { tiledMatMul } from '../webgpu/matmul.js';
import { matMul2d, sumRows, tiledProductApplies } from './products.js';

/** y = x W + b for x [N, in], W [in, out], b [out], as one fused op (one output tensor instead of a product and a sum). */
export function linearForward(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (tiledProductApplies(x, weight)) return tiledMatMul(x, weight, { bias });
  return tf.fused.matMul({ a: x, b: weight, bias }) as tf.Tensor2D;
}

/** dy -> [dW, db] for y = x W + b: dW = x^T dy, db = sum dy (each product in its backend's fast form, products.ts). */
export function linearWeightGradients(dy: tf.Tensor2D, x: tf.Tensor2D): [tf.Tensor2D, tf.Tensor1D] {
  return [matMul2d(x, dy, true, false), sumRows(dy)];
}

/** dy -> dx = dy W^T for y = x W + b. */
export function linearInputGradient(dy: tf.Tensor2D, weight: tf.Tensor2D): tf.Tensor2D {
  return matMul2d(dy, weight, false, true);
}

/** dy -> [dx, dW, db] for y = x W + b; on wasm x^T is freed before dx exists. */
export function linearBackward(dy: tf.Tensor2D, x: tf.Tensor2D, weight: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] {
  const [dWeight, dBias] = linearWeightGradients(dy, x);
  return [linearInputGradient(dy, weight), dWeight, dBias];
}

/**
 * y = x W + b with a hand-written backward pass, for the Linear layers outside the blocks.
 *
 * tfjs' autograd of matMul produces transposed matmuls (dy W^T, x^T dy), which the wasm
 * backend runs 8-17x slower than a plain 2-D product: XNNPACK only takes 2-D, non-transposed
 * operands. Here both backward products take the fast form of each backend (products.ts).
 */
const linearWithBias = tf.customGrad((...args: unknown[]) => {
  const [x, weight, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  // Only x is saved: the weight is a variable that outlives the step (a saved clone would add
  // its full size to tfjs' byte count).
  save([x]);
  return {
    value: linearForward(x, weight, bias),
    // tfjs runs a customGrad's gradFunc outside any tidy: without one, explicit transposes
    // would live until the whole backward pass ends.
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => linearBackward(dy as tf.Tensor2D, saved[0] as tf.Tensor2D, weight)),
  };
});

/** x [N, in] -> [N, out]; `weight` is [in, out] (the transpose of PyTorch's nn.Linear.weight). */
export function linear2d(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (x.rank !== 2 || x.shape[1] !== weight.shape[0]) {
    throw new Error(`linear: input must be [N, ${weight.shape[0]}], found [${x.shape.join(', ')}]`);
  }
  return linearWithBias(x, weight, bias) as tf.Tensor2D;
}
