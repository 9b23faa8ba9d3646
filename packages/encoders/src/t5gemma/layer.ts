import * as tf from '@tensorflow/tfjs-core';
import { selfAttention, type AttentionInputs, type AttentionWeights } from './attention.js';
import type { T5Gemma2EncoderConfig } from './config.js';
import { gatedMlp, type MlpWeights } from './mlp.js';
import { rmsNorm } from './rms-norm.js';

export interface EncoderLayerWeights {
  attention: AttentionWeights;
  mlp: MlpWeights;
  /** 1 + w of the four sandwich norms, [hidden]. */
  preAttentionNorm: tf.Tensor1D;
  postAttentionNorm: tf.Tensor1D;
  preFeedforwardNorm: tf.Tensor1D;
  postFeedforwardNorm: tf.Tensor1D;
}

/**
 * One encoder layer on h [B*L, hidden] (SPEC section 7):
 * h += post_attn_norm(attn(pre_attn_norm(h))); h += post_ff_norm(mlp(pre_ff_norm(h))).
 */
export function encoderLayer(
  hidden: tf.Tensor2D,
  weights: EncoderLayerWeights,
  inputs: AttentionInputs,
  config: T5Gemma2EncoderConfig,
): tf.Tensor2D {
  return tf.tidy(() => {
    const eps = config.rmsNormEps;
    const attended = selfAttention(rmsNorm(hidden, weights.preAttentionNorm, eps) as tf.Tensor2D, weights.attention, inputs, config);
    const afterAttention = tf.add(hidden, rmsNorm(attended, weights.postAttentionNorm, eps)) as tf.Tensor2D;
    const fed = gatedMlp(rmsNorm(afterAttention, weights.preFeedforwardNorm, eps) as tf.Tensor2D, weights.mlp, config.hiddenActivation);
    return tf.add(afterAttention, rmsNorm(fed, weights.postFeedforwardNorm, eps)) as tf.Tensor2D;
  });
}
