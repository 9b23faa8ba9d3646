import * as tf from '@tensorflow/tfjs-core';
import type { AutoencoderKLConfig } from './config.js';
import { midBlock, type VaePassOptions } from './mid-block.js';
import { advance, conv2d, groupNorm, upsample } from './ops.js';
import { resnetBlock } from './resnet.js';
import type { VaeWeights } from './weights.js';

/**
 * Raw latents NHWC [B, h, w, latent] -> images NHWC [B, h*f, w*f, out]: diffusers'
 * `post_quant_conv` followed by `Decoder` (conv_in, mid block, up blocks, norm-SiLU-conv_out).
 */
export function decodeLatents(latents: tf.Tensor4D, weights: VaeWeights, config: AutoencoderKLConfig, options: VaePassOptions = {}): tf.Tensor4D {
  const groups = config.normNumGroups;
  const blocks = config.blockOutChannels.length;
  let h = config.usePostQuantConv ? conv2d(latents, weights, 'post_quant_conv') : latents;
  h = h === latents ? conv2d(h, weights, 'decoder.conv_in') : advance(h, (t) => conv2d(t, weights, 'decoder.conv_in'));
  h = advance(h, (t) => midBlock(t, weights, 'decoder.mid_block', config, options));
  for (let i = 0; i < blocks; i++) {
    for (let j = 0; j < config.layersPerBlock + 1; j++) h = advance(h, (t) => resnetBlock(t, weights, `decoder.up_blocks.${i}.resnets.${j}`, groups));
    if (i < blocks - 1) h = advance(h, (t) => upsample(t, weights, `decoder.up_blocks.${i}.upsamplers.0`));
  }
  h = advance(h, (t) => groupNorm(t, weights, 'decoder.conv_norm_out', groups, true));
  return advance(h, (t) => conv2d(t, weights, 'decoder.conv_out'));
}
