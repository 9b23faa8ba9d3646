import * as tf from '@tensorflow/tfjs-core';
import type { EncodeImageOptions, ImageAutoencoder } from './interfaces.js';

export interface PixelAutoencoderOptions {
  /** Space-to-depth factor: each f x f pixel patch becomes 3*f*f channels. Default 1 (pixels as latents). */
  factor?: number;
  /** Multiplier applied on encode and divided out on decode. Default 1. */
  scalingFactor?: number;
}

/**
 * An autoencoder with no weights: latents are the pixels themselves, optionally folded
 * space-to-depth. For pixel-space training, offline demos and tests; exact inverse.
 */
export class PixelAutoencoder implements ImageAutoencoder {
  readonly latentChannels: number;
  readonly downsample: number;
  readonly scalingFactor: number;
  readonly id: string;

  constructor(options: PixelAutoencoderOptions = {}) {
    const factor = options.factor ?? 1;
    if (!Number.isInteger(factor) || factor < 1) throw new Error(`PixelAutoencoder: factor must be a positive integer, got ${factor}`);
    this.downsample = factor;
    this.latentChannels = 3 * factor * factor;
    this.scalingFactor = options.scalingFactor ?? 1;
    this.id = `pixel-f${factor}`;
  }

  async encode(images: tf.Tensor4D, _options?: EncodeImageOptions): Promise<tf.Tensor4D> {
    const [batch, channels, height, width] = images.shape;
    const f = this.downsample;
    if (channels !== 3) throw new Error(`PixelAutoencoder.encode: expected images [B, 3, H, W], got [${images.shape.join(', ')}]`);
    if (height % f || width % f) {
      throw new Error(`PixelAutoencoder.encode: image ${height}x${width} is not divisible by the factor ${f}`);
    }
    return tf.tidy(() => {
      // [B, 3, H, W] -> [B, 3, h, f, w, f] -> [B, 3, f, f, h, w] -> [B, 3*f*f, h, w]
      const patches = tf.reshape(images, [batch, 3, height / f, f, width / f, f]);
      const folded = tf.reshape(tf.transpose(patches, [0, 1, 3, 5, 2, 4]), [batch, 3 * f * f, height / f, width / f]);
      return tf.mul(folded, this.scalingFactor) as tf.Tensor4D;
    });
  }

  async decode(latents: tf.Tensor4D): Promise<tf.Tensor4D> {
    const [batch, channels, h, w] = latents.shape;
    const f = this.downsample;
    if (channels !== this.latentChannels) {
      throw new Error(`PixelAutoencoder.decode: expected ${this.latentChannels} latent channels, got latents [${latents.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const patches = tf.reshape(tf.div(latents, this.scalingFactor), [batch, 3, f, f, h, w]);
      return tf.reshape(tf.transpose(patches, [0, 1, 4, 2, 5, 3]), [batch, 3, h * f, w * f]) as tf.Tensor4D;
    });
  }

  dispose(): void {}
}
