import type { AlphaMode } from './image-io.js';
import type { ResizeMode } from './resize.js';

/**
 * Everything besides the source image and caption that changes what a cache entry holds.
 * An entry made under other settings is stale and is redone.
 */
export interface CacheSettings {
  textEncoder: string;
  textMaxLength: number;
  textDim: number;
  autoencoder: string;
  latentChannels: number;
  downsample: number;
  /** The autoencoder's scaling factor: cached latents are raw latents times this. */
  scalingFactor: number;
  resize: ResizeMode;
  alpha: AlphaMode;
  autoOrient: boolean;
  /** 'sample' draws from the VAE posterior (the original), 'mean' takes its mean. */
  encodeMode: 'sample' | 'mean';
  seed: number;
}

/** A canonical string of the settings (sorted keys), stored in every entry and compared on resume. */
export function cacheSettingsKey(settings: CacheSettings): string {
  const sorted = Object.fromEntries(Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify(sorted);
}
