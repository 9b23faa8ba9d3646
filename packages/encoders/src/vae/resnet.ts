import * as tf from '@tensorflow/tfjs-core';
import { conv2d, groupNorm } from './ops.js';
import type { VaeWeights } from './weights.js';

/**
 * diffusers ResnetBlock2D without time embedding (SPEC section 8):
 * norm1-SiLU-conv3x3-norm2-SiLU-conv3x3, plus the input (through a 1x1 conv when channels change).
 */
export function resnetBlock(x: tf.Tensor4D, weights: VaeWeights, prefix: string, groups: number): tf.Tensor4D {
  const h1 = groupNorm(x, weights, `${prefix}.norm1`, groups, true);
  const c1 = conv2d(h1, weights, `${prefix}.conv1`);
  h1.dispose();
  const h2 = groupNorm(c1, weights, `${prefix}.norm2`, groups, true);
  c1.dispose();
  const c2 = conv2d(h2, weights, `${prefix}.conv2`);
  h2.dispose();
  const shortcut = weights.has(`${prefix}.conv_shortcut.weight`) ? conv2d(x, weights, `${prefix}.conv_shortcut`) : x;
  const out = tf.add(shortcut, c2) as tf.Tensor4D;
  c2.dispose();
  if (shortcut !== x) shortcut.dispose();
  return out;
}
