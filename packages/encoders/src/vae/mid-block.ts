import type * as tf from '@tensorflow/tfjs-core';
import type { AutoencoderKLConfig } from './config.js';
import { midAttention } from './attention.js';
import { advance } from './ops.js';
import { resnetBlock } from './resnet.js';
import type { VaeWeights } from './weights.js';

/** Options shared by the encoder and decoder passes. */
export interface VaePassOptions {
  /** Query rows per mid-attention chunk. Default: keep each score chunk under 16M floats. */
  attentionQueryChunk?: number;
}

/** The mid block: resnet, optional self-attention, resnet. Does not free `x`. */
export function midBlock(x: tf.Tensor4D, weights: VaeWeights, prefix: string, config: AutoencoderKLConfig, options: VaePassOptions): tf.Tensor4D {
  const groups = config.normNumGroups;
  let h = resnetBlock(x, weights, `${prefix}.resnets.0`, groups);
  if (config.midBlockAddAttention) h = advance(h, (t) => midAttention(t, weights, `${prefix}.attentions.0`, groups, options.attentionQueryChunk));
  return advance(h, (t) => resnetBlock(t, weights, `${prefix}.resnets.1`, groups));
}
