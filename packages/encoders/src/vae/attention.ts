import * as tf from '@tensorflow/tfjs-core';
import { groupNorm, linear } from './ops.js';
import type { VaeWeights } from './weights.js';

/** Query rows per chunk keep one chunk's score matrix under this many floats (64 MB). */
export const ATTENTION_SCORE_BUDGET = 2 ** 24;

/** Query rows per chunk for `tokens` keys: the whole sequence when it fits the budget. */
export function defaultQueryChunk(tokens: number): number {
  return Math.max(1, Math.floor(ATTENTION_SCORE_BUDGET / tokens));
}

/**
 * The VAE mid-block self-attention (SPEC section 8): one head over all pixels, GroupNorm first,
 * residual after. Queries go in chunks of `queryChunk` rows, so a 128x128 latent (16384 tokens)
 * never materialises the 16384 x 16384 score matrix; the result is the same as unchunked.
 */
export function midAttention(x: tf.Tensor4D, weights: VaeWeights, prefix: string, groups: number, queryChunk?: number): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  const tokens = height * width;
  const rows = Math.max(1, Math.min(tokens, queryChunk ?? defaultQueryChunk(tokens)));
  const normed = groupNorm(x, weights, `${prefix}.group_norm`, groups);
  const perImage: tf.Tensor4D[] = [];
  for (let b = 0; b < batch; b++) {
    const hidden = tf.tidy(() => tf.reshape(batch === 1 ? normed : tf.slice(normed, [b, 0, 0, 0], [1, height, width, channels]), [tokens, channels]));
    // Scaling the queries by 1/sqrt(C) is the same as scaling the scores, on a smaller tensor.
    const query = tf.tidy(() => tf.mul(linear(hidden as tf.Tensor2D, weights, `${prefix}.to_q`), 1 / Math.sqrt(channels))) as tf.Tensor2D;
    const keysT = tf.tidy(() => tf.transpose(linear(hidden as tf.Tensor2D, weights, `${prefix}.to_k`))) as tf.Tensor2D;
    const values = linear(hidden as tf.Tensor2D, weights, `${prefix}.to_v`);
    hidden.dispose();
    const chunks: tf.Tensor2D[] = [];
    for (let start = 0; start < tokens; start += rows) {
      const count = Math.min(rows, tokens - start);
      chunks.push(
        tf.tidy(() => {
          const q = count === tokens ? query : tf.slice(query, [start, 0], [count, channels]);
          return tf.matMul(tf.softmax(tf.matMul(q, keysT)), values);
        }),
      );
    }
    tf.dispose([query, keysT, values]);
    const attended = chunks.length === 1 ? chunks[0] : tf.concat(chunks, 0);
    if (chunks.length > 1) tf.dispose(chunks);
    perImage.push(tf.tidy(() => tf.reshape(linear(attended, weights, `${prefix}.to_out.0`), [1, height, width, channels])));
    attended.dispose();
  }
  normed.dispose();
  const attention = perImage.length === 1 ? perImage[0] : tf.concat(perImage, 0);
  const out = tf.add(x, attention) as tf.Tensor4D;
  tf.dispose([attention, ...perImage]);
  return out;
}
