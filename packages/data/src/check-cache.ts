import { writeFileAtomic } from '@dit/core';
import type { ImageAutoencoder } from '@dit/encoders';
import * as tf from '@tensorflow/tfjs-core';
import { assertEntryFinite, readCacheEntry, type CacheEntryMetadata } from './cache-entry.js';
import { encodePng } from './image-io.js';
import type { LatentTransform } from './latent-transform.js';
import { tensorToImage } from './pixels.js';

export interface CheckCacheOptions {
  /** Where the PNG goes. */
  outPath: string;
  /**
   * Also round-trip the latents through this normalisation (toModel then toVae) before decoding,
   * so the PNG shows what training and sampling will see; the largest round-trip error is returned.
   */
  latentTransform?: LatentTransform;
}

export interface CheckCacheResult {
  outPath: string;
  /** Decoded image size in pixels. */
  width: number;
  height: number;
  metadata: CacheEntryMetadata;
  /** Largest |toVae(toModel(latent)) - latent| in cached-latent units, when a transform was given. */
  roundTripError?: number;
  /** E.g. the entry was made with an autoencoder of another id. */
  warnings: string[];
}

/**
 * Decodes one cached entry back to a PNG, as the original's check_cache.py:
 * image = clamp(decode(z) / 2 + 0.5, 0, 1). A broken cache shows at a glance.
 */
export async function checkCache(entryPath: string, autoencoder: ImageAutoencoder, options: CheckCacheOptions): Promise<CheckCacheResult> {
  const entry = await readCacheEntry(entryPath);
  assertEntryFinite(entryPath, entry);
  const [channels, height, width] = entry.latents.shape;
  if (channels !== autoencoder.latentChannels) {
    throw new Error(`${entryPath}: latents [${entry.latents.shape.join(', ')}] have ${channels} channels, autoencoder ${autoencoder.id} takes ${autoencoder.latentChannels}`);
  }
  const warnings: string[] = [];
  if (entry.metadata.autoencoder !== autoencoder.id) {
    warnings.push(`${entryPath}: made with autoencoder '${entry.metadata.autoencoder}', decoding with '${autoencoder.id}'`);
  }
  const transform = options.latentTransform;
  if (transform?.scalingFactor !== undefined && Math.abs(transform.scalingFactor - autoencoder.scalingFactor) > 1e-9 * autoencoder.scalingFactor) {
    throw new Error(`latentTransform scalingFactor ${transform.scalingFactor} differs from autoencoder ${autoencoder.id}'s ${autoencoder.scalingFactor}`);
  }
  const cached = tf.tensor4d(entry.latents.data, [1, channels, height, width]);
  let scaled: tf.Tensor4D = cached;
  let roundTripError: number | undefined;
  if (transform) {
    scaled = tf.tidy(() => {
      const back = transform.toVae(transform.toModel(cached));
      // toVae gives raw VAE latents when the transform knows the scaling factor; decode wants scaled ones.
      return (transform.scalingFactor !== undefined ? tf.mul(back, autoencoder.scalingFactor) : tf.clone(back)) as tf.Tensor4D;
    });
    const error = tf.tidy(() => tf.max(tf.abs(tf.sub(scaled, cached))));
    roundTripError = (await error.data())[0];
    error.dispose();
  }
  let decoded: tf.Tensor4D | undefined;
  try {
    decoded = await autoencoder.decode(scaled);
    const unit = tf.tidy(() => tf.clipByValue(tf.add(tf.div(decoded!, 2), 0.5), 0, 1));
    const image = await tensorToImage(unit).finally(() => unit.dispose());
    await writeFileAtomic(options.outPath, await encodePng(image));
    return { outPath: options.outPath, width: image.width, height: image.height, metadata: entry.metadata, roundTripError, warnings };
  } finally {
    tf.dispose([cached, scaled, ...(decoded ? [decoded] : [])]);
  }
}
