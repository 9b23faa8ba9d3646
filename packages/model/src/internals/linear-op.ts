import * as tf from '@tensorflow/tfjs-core';
import { matMul2d } from './products.js';

/**
 * y = x W + b for x [N, in], W [in, out], b [out], with a hand-written backward pass.
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
    value: tf.fused.matMul({ a: x, b: weight, bias }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedX] = saved as [tf.Tensor2D];
      const dy2d = dy as tf.Tensor2D;
      // tfjs runs a customGrad's gradFunc outside any tidy: without one, explicit transposes
      // would live until the whole backward pass ends.
      return tf.tidy(() => [matMul2d(dy2d, weight, false, true), matMul2d(savedX, dy2d, true, false), tf.sum(dy2d, 0)]);
    },
  };
});

/** x [N, in] -> [N, out]; `weight` is [in, out] (the transpose of PyTorch's nn.Linear.weight). */
export function linear2d(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (x.rank !== 2 || x.shape[1] !== weight.shape[0]) {
    throw new Error(`linear: input must be [N, ${weight.shape[0]}], found [${x.shape.join(', ')}]`);
  }
  return linearWithBias(x, weight, bias) as tf.Tensor2D;
}
