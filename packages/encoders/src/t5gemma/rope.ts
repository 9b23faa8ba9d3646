import * as tf from '@tensorflow/tfjs-core';
import type { RopeConfig } from './config.js';

const f32 = Math.fround;

/**
 * Inverse frequencies 1 / theta^(2i/headDim), divided by the linear factor, rounded to float32
 * step by step as transformers computes them in float32.
 */
export function ropeInverseFrequencies(headDim: number, rope: RopeConfig): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const exponent = f32((2 * i) / headDim);
    out[i] = f32(f32(1 / f32(Math.pow(rope.theta, exponent))) / rope.linearFactor);
  }
  return out;
}

/** cos and sin tables [length, headDim] for positions 0..length-1 (both halves repeat the frequencies). */
export function ropeTables(length: number, headDim: number, rope: RopeConfig): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const inv = ropeInverseFrequencies(headDim, rope);
  const half = headDim / 2;
  const cos = new Float32Array(length * headDim);
  const sin = new Float32Array(length * headDim);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f32(p * inv[i]);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[p * headDim + i] = c;
      cos[p * headDim + half + i] = c;
      sin[p * headDim + i] = s;
      sin[p * headDim + half + i] = s;
    }
  }
  return { cos: tf.tensor2d(cos, [length, headDim]), sin: tf.tensor2d(sin, [length, headDim]) };
}

/**
 * Rotary embedding, rotate-half convention: x * cos + [-x2, x1] * sin, for x [B, L, heads, headDim]
 * and tables [L, headDim]. The halves are swapped with one reverse (no slicing, which copies
 * the whole input per output on wasm).
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, length, heads, headDim] = x.shape;
    const swapped = tf.reverse(tf.reshape(x, [batch, length, heads, 2, headDim / 2]), 3);
    const rotated = tf.reshape(tf.mul(swapped, tf.tensor2d([-1, 1], [2, 1])), [batch, length, heads, headDim]);
    const cos4 = tf.reshape(cos, [1, length, 1, headDim]);
    const sin4 = tf.reshape(sin, [1, length, 1, headDim]);
    return tf.add(tf.mul(x, cos4), tf.mul(rotated, sin4)) as tf.Tensor4D;
  });
}
