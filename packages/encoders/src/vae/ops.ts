import * as tf from '@tensorflow/tfjs-core';
import { VAE_NORM_EPS } from './config.js';
import type { VaeWeights } from './weights.js';

// Building blocks on NHWC activations [B, H, W, C]. Each returns a new tensor and frees its own
// temporaries at once: a 1024x1024 decode holds 0.5-1 GB activations, so only a few may be alive.

/** `prefix.weight` [kh, kw, in, out] and `prefix.bias`; 3x3 kernels pad 1, 1x1 none (PyTorch's padding=k//2). */
export function conv2d(x: tf.Tensor4D, weights: VaeWeights, prefix: string, stride: 1 | 2 = 1): tf.Tensor4D {
  const filter = weights.get(`${prefix}.weight`) as tf.Tensor4D;
  const bias = weights.get(`${prefix}.bias`) as tf.Tensor1D;
  const kernel = filter.shape[0];
  const pad = kernel === 1 || stride === 2 ? 'valid' : 'same';
  return tf.fused.conv2d({ x, filter, bias, strides: stride, pad });
}

/** GroupNorm (eps 1e-6, as diffusers' VAE), optionally followed by SiLU. */
export function groupNorm(x: tf.Tensor4D, weights: VaeWeights, prefix: string, groups: number, silu = false): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  const gamma = weights.get(`${prefix}.weight`);
  const beta = weights.get(`${prefix}.bias`);
  // y = x * a + b with a = gamma / std and b = beta - mean * a per (image, channel): two full-size temporaries.
  const [scale, shift] = tf.tidy(() => {
    const grouped = tf.reshape(x, [batch, height * width, groups, channels / groups]);
    const { mean, variance } = tf.moments(grouped, [1, 3], true);
    const a = tf.mul(tf.rsqrt(tf.add(variance, VAE_NORM_EPS)), tf.reshape(gamma, [1, 1, groups, channels / groups]));
    const b = tf.sub(tf.reshape(beta, [1, 1, groups, channels / groups]), tf.mul(mean, a));
    return [tf.reshape(a, [batch, 1, 1, channels]), tf.reshape(b, [batch, 1, 1, channels])];
  });
  const scaled = tf.mul(x, scale);
  const normed = tf.add(scaled, shift) as tf.Tensor4D;
  tf.dispose([scaled, scale, shift]);
  if (!silu) return normed;
  const activated = siluOf(normed);
  normed.dispose();
  return activated;
}

/** SiLU: x * sigmoid(x). */
export function siluOf(x: tf.Tensor4D): tf.Tensor4D {
  const gate = tf.sigmoid(x);
  const out = tf.mul(x, gate) as tf.Tensor4D;
  gate.dispose();
  return out;
}

/** Downsample2D with padding 0: pad right and bottom by one, then a stride-2 3x3 conv. */
export function downsample(x: tf.Tensor4D, weights: VaeWeights, prefix: string): tf.Tensor4D {
  const padded = tf.pad(x, [
    [0, 0],
    [0, 1],
    [0, 1],
    [0, 0],
  ]);
  const out = conv2d(padded, weights, `${prefix}.conv`, 2);
  padded.dispose();
  return out;
}

/** Upsample2D: nearest-neighbour x2 then a 3x3 conv. */
export function upsample(x: tf.Tensor4D, weights: VaeWeights, prefix: string): tf.Tensor4D {
  const [, height, width] = x.shape;
  const bigger = tf.image.resizeNearestNeighbor(x, [2 * height, 2 * width]);
  const out = conv2d(bigger, weights, `${prefix}.conv`);
  bigger.dispose();
  return out;
}

/** x [N, in] @ W [in, out] + bias: 2-D and untransposed, the wasm backend's fast path. */
export function linear(x: tf.Tensor2D, weights: VaeWeights, prefix: string): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: weights.get(`${prefix}.weight`) as tf.Tensor2D, bias: weights.get(`${prefix}.bias`) }) as tf.Tensor2D;
}

/** Runs `step` on `x` and frees `x` (the running activation), keeping only the result alive. */
export function advance(x: tf.Tensor4D, step: (x: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  const next = step(x);
  x.dispose();
  return next;
}
