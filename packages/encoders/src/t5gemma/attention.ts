import * as tf from '@tensorflow/tfjs-core';
import type { T5Gemma2EncoderConfig } from './config.js';
import type { AttentionBias } from './mask.js';
import { rmsNorm } from './rms-norm.js';
import { applyRope } from './rope.js';

/** Self-attention weights; projections stored [in, out] for plain 2-D matmuls. */
export interface AttentionWeights {
  q: tf.Tensor2D;
  k: tf.Tensor2D;
  v: tf.Tensor2D;
  o: tf.Tensor2D;
  /** 1 + w of the per-head RMSNorms on queries and keys, [headDim]. */
  qNorm: tf.Tensor1D;
  kNorm: tf.Tensor1D;
}

/** What one forward pass shares across the layers of one type. */
export interface AttentionInputs {
  batch: number;
  length: number;
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
  mask: AttentionBias;
}

/**
 * Bidirectional grouped-query self-attention of T5Gemma 2 (SPEC section 7) on x [B*L, hidden]:
 * per-head RMSNorm on q and k, then RoPE, scores scaled by query_pre_attn_scalar^-0.5,
 * key padding (and window) bias, softmax, values, output projection.
 *
 * Grouping without copying keys: query head h uses key head floor(h / G), so queries
 * [B, H, L, D] reshape to [B*KV, G*L, D] and meet keys [B*KV, D, L] in one batched matmul.
 */
export function selfAttention(x: tf.Tensor2D, weights: AttentionWeights, inputs: AttentionInputs, config: T5Gemma2EncoderConfig): tf.Tensor2D {
  return tf.tidy(() => {
    const { batch, length, cos, sin, mask } = inputs;
    const { numHeads: heads, numKeyValueHeads: kvHeads, headDim } = config;
    const groups = heads / kvHeads;
    const project = (w: tf.Tensor2D, count: number) => tf.reshape(tf.matMul(x, w), [batch, length, count, headDim]) as tf.Tensor4D;

    const q = applyRope(rmsNorm(project(weights.q, heads), weights.qNorm, config.rmsNormEps) as tf.Tensor4D, cos, sin);
    const k = applyRope(rmsNorm(project(weights.k, kvHeads), weights.kNorm, config.rmsNormEps) as tf.Tensor4D, cos, sin);
    const v = project(weights.v, kvHeads);

    const queries = tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [batch * kvHeads, groups * length, headDim]);
    const keys = tf.reshape(tf.transpose(k, [0, 2, 3, 1]), [batch * kvHeads, headDim, length]);
    const values = tf.reshape(tf.transpose(v, [0, 2, 1, 3]), [batch * kvHeads, length, headDim]);

    // No soft cap, whatever attn_logit_softcapping says: transformers' T5Gemma2SelfAttention reads
    // it but never passes it to the attention function (modeling_t5gemma2.py), so published
    // encoders run without one (tools/reference/t5gemma_softcap_fixture.py checks this).
    let scores: tf.Tensor = tf.mul(tf.matMul(queries, keys), config.queryPreAttnScalar ** -0.5);
    scores = tf.reshape(scores, [batch, heads, length, length]);
    if (mask.bias) scores = tf.add(scores, mask.bias);
    let weightsOfKeys = tf.softmax(scores);
    if (mask.rowValid) weightsOfKeys = tf.mul(weightsOfKeys, mask.rowValid);

    const attended = tf.matMul(tf.reshape(weightsOfKeys, [batch * kvHeads, groups * length, length]) as tf.Tensor3D, values);
    const merged = tf.reshape(tf.transpose(tf.reshape(attended, [batch, heads, length, headDim]), [0, 2, 1, 3]), [batch * length, heads * headDim]);
    return tf.matMul(merged as tf.Tensor2D, weights.o);
  });
}
