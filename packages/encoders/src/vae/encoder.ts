import type * as tf from '@tensorflow/tfjs-core';
import type { AutoencoderKLConfig } from './config.js';
import { midBlock, type VaePassOptions } from './mid-block.js';
import { advance, conv2d, downsample, groupNorm } from './ops.js';
import { resnetBlock } from './resnet.js';
import type { VaeWeights } from './weights.js';

/**
 * images NHWC [B, H, W, in] -> posterior moments NHWC [B, H/f, W/f, 2 * latent] (mean then
 * logvar), quant_conv included: diffusers' `Encoder` followed by `quant_conv`.
 */
export function encodeMoments(images: tf.Tensor4D, weights: VaeWeights, config: AutoencoderKLConfig, options: VaePassOptions = {}): tf.Tensor4D {
  const groups = config.normNumGroups;
  let h = conv2d(images, weights, 'encoder.conv_in');
  config.blockOutChannels.forEach((_, i) => {
    for (let j = 0; j < config.layersPerBlock; j++) h = advance(h, (t) => resnetBlock(t, weights, `encoder.down_blocks.${i}.resnets.${j}`, groups));
    if (i < config.blockOutChannels.length - 1) h = advance(h, (t) => downsample(t, weights, `encoder.down_blocks.${i}.downsamplers.0`));
  });
  h = advance(h, (t) => midBlock(t, weights, 'encoder.mid_block', config, options));
  h = advance(h, (t) => groupNorm(t, weights, 'encoder.conv_norm_out', groups, true));
  h = advance(h, (t) => conv2d(t, weights, 'encoder.conv_out'));
  if (config.useQuantConv) h = advance(h, (t) => conv2d(t, weights, 'quant_conv'));
  return h;
}
