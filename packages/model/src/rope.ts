import * as tf from '@tensorflow/tfjs-core';

/** RoPE base (SPEC section 2). */
export const ROPE_BASE = 10000;

/**
 * 2D RoPE angles for an image grid (SPEC section 2): token index = row * gridWidth + col,
 * inv_freq_j = 10000^(-4j / headDim) for j < headDim / 4, angles = concat(row * inv_freq,
 * col * inv_freq). Returns [gridHeight * gridWidth, headDim / 2], row-major.
 */
export function rope2dAngles(gridHeight: number, gridWidth: number, headDim: number): Float32Array {
  if (headDim % 4 !== 0) throw new Error(`2D RoPE needs head_dim divisible by 4, found ${headDim}`);
  const frequencies = headDim / 4;
  // PyTorch computes inv_freq in float32; rounding here keeps the angles bit-compatible.
  const invFreq = Float32Array.from({ length: frequencies }, (_, j) => 1 / ROPE_BASE ** ((4 * j) / headDim));
  const half = headDim / 2;
  const angles = new Float32Array(gridHeight * gridWidth * half);
  for (let row = 0; row < gridHeight; row++) {
    for (let col = 0; col < gridWidth; col++) {
      const offset = (row * gridWidth + col) * half;
      for (let j = 0; j < frequencies; j++) {
        angles[offset + j] = row * invFreq[j];
        angles[offset + frequencies + j] = col * invFreq[j];
      }
    }
  }
  return angles;
}

/** cos and sin for every token of the sequence, each [textLength + imageTokens, headDim]. */
export interface RopeTables {
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
}

/**
 * Tables for the whole sequence (text first, then image). Text tokens are not rotated
 * (SPEC section 2), which is cos = 1, sin = 0. Each half-size angle row is written twice so the
 * split-half rotation becomes x * cos + concat(-x2, x1) * sin over the full head_dim.
 */
export function ropeTables(options: { textLength: number; gridHeight: number; gridWidth: number; headDim: number }): RopeTables {
  const { textLength, gridHeight, gridWidth, headDim } = options;
  const angles = rope2dAngles(gridHeight, gridWidth, headDim);
  const half = headDim / 2;
  const tokens = textLength + gridHeight * gridWidth;
  const cos = new Float32Array(tokens * headDim);
  const sin = new Float32Array(tokens * headDim);
  cos.fill(1, 0, textLength * headDim);
  for (let i = 0; i < gridHeight * gridWidth; i++) {
    const row = (textLength + i) * headDim;
    for (let j = 0; j < half; j++) {
      const cosine = Math.cos(angles[i * half + j]);
      const sine = Math.sin(angles[i * half + j]);
      cos[row + j] = cosine;
      cos[row + half + j] = cosine;
      sin[row + j] = sine;
      sin[row + half + j] = sine;
    }
  }
  return { cos: tf.tensor2d(cos, [tokens, headDim]), sin: tf.tensor2d(sin, [tokens, headDim]) };
}

/**
 * Split-half rotation of x [B, N, heads, headDim] by the tables [N, headDim]:
 * out = concat(x1 cos - x2 sin, x1 sin + x2 cos) with x1, x2 the halves of head_dim,
 * written as x * cos + concat(-x2, x1) * sin.
 */
export function applyRope(x: tf.Tensor4D, tables: RopeTables): tf.Tensor4D {
  return rotate(x, tables, false);
}

/**
 * The transpose of {@link applyRope} (rotation by minus the angles), which is its backward
 * pass: dx = dy * cos + concat(s2, -s1) with s = dy * sin.
 */
export function applyRopeBackward(dy: tf.Tensor4D, tables: RopeTables): tf.Tensor4D {
  return rotate(dy, tables, true);
}

function rotate(x: tf.Tensor4D, tables: RopeTables, inverse: boolean): tf.Tensor4D {
  const [tokens, headDim] = tables.cos.shape;
  if (x.rank !== 4 || x.shape[1] !== tokens || x.shape[3] !== headDim) {
    throw new Error(`RoPE: x must be [B, ${tokens}, heads, ${headDim}], found [${x.shape.join(', ')}]`);
  }
  const sin = tf.reshape(tables.sin, [tokens, 1, headDim]);
  const swapped = tf.tidy(() => {
    const [first, second] = tf.split(inverse ? tf.mul(x, sin) : x, 2, 3);
    // forward: concat(-x2, x1) * sin; inverse: concat(s2, -s1) with s = dy * sin.
    return inverse ? tf.concat([second, tf.neg(first)], 3) : tf.mul(tf.concat([tf.neg(second), first], 3), sin);
  });
  const out = tf.tidy(() => tf.add(tf.mul(x, tf.reshape(tables.cos, [tokens, 1, headDim])), swapped)) as tf.Tensor4D;
  swapped.dispose();
  sin.dispose();
  return out;
}
